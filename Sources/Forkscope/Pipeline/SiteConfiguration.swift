import Foundation

/// A site's build settings kept beside its content (e.g. `Site/forkscope.json`), so a report
/// can be rebuilt with one short command. Paths are relative to the configuration file.
///
///     {"run": "../Examples/topics-mini", "content": "commentary", "out": "../out/demo", "templates": null}
public struct SiteConfiguration: Sendable, Equatable {
    public var run: String?
    public var out: String?
    public var content: String?
    public var templates: String?

    public init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InputError(file: file, "not found")
        }
        guard let json = try? JSONValue.parse(data) else {
            throw InputError(file: file, "malformed JSON")
        }
        let object = try JSONObject(json, file: file, path: nil)
        let base = (file as NSString).deletingLastPathComponent
        func path(_ key: String) throws -> String? {
            try object.optionalString(key).map { ($0 as NSString).isAbsolutePath ? $0 : (base as NSString).appendingPathComponent($0) }
        }
        for key in object.keys where !["run", "out", "content", "templates"].contains(key) {
            throw InputError(file: file, field: key, "unknown setting (known: run, out, content, templates)")
        }
        run = try path("run")
        out = try path("out")
        content = try path("content")
        templates = try path("templates")
    }
}
