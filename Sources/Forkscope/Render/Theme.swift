import Foundation
import Mustache

/// The page templates (Mustache) and stylesheet a site is rendered with.
///
/// The default theme (Templates/ in the repository) is compiled in; a user's `--templates DIR`
/// replaces any of its files by name (`index.mustache`, `layer.mustache`, `branch.mustache`,
/// `diff.mustache`, `diff-layer.mustache` (`forkscope diff`), `series.mustache`, `series-layer.mustache`
/// (`forkscope diff` of three or more versions), `not-found.mustache` (404.html),
/// `header.mustache`, `footer.mustache`,
/// `style.css`, `explore.js` (the layer pages' explorer)) and keeps the rest.
public struct Theme: Sendable {
    public static let pageTemplates = ["index", "layer", "branch", "clusters", "diff", "diff-layer", "series", "series-layer", "not-found", "header", "footer"]

    public let stylesheet: String
    /// The layer pages' explorer script (`ExploreData`).
    public let script: String
    /// SHA-256 of every file of the theme (names and text): part of the render cache's key.
    public let digest: String
    private let library: MustacheLibrary

    public static let `default` = try! Theme(files: DefaultTheme.files, origin: "built-in theme")

    /// The default theme with the files found in `directory` in place of their namesakes.
    public init(overridesIn directory: String?) throws {
        var files = DefaultTheme.files
        if let directory {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
                throw InputError(file: directory, "templates folder not found")
            }
            for name in files.keys {
                let path = (directory as NSString).appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: path) else { continue }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw InputError(file: path, "cannot be read as UTF-8 text")
                }
                files[name] = text
            }
        }
        try self.init(files: files, origin: directory ?? "built-in theme")
    }

    init(files: [String: String], origin: String) throws {
        var library = MustacheLibrary()
        for name in Self.pageTemplates {
            let file = name + ".mustache"
            do {
                try library.register(files[file] ?? "", named: name)
            } catch let error as MustacheTemplate.ParserError {
                // The field is where the parser stopped; the error's case names what it expected.
                throw InputError(file: (origin as NSString).appendingPathComponent(file),
                                 field: "line \(error.context.lineNumber), column \(error.context.columnNumber)",
                                 "not a valid Mustache template (\(error.error))")
            } catch {
                throw InputError(file: (origin as NSString).appendingPathComponent(file), "not a valid Mustache template (\(error))")
            }
        }
        self.library = library
        self.stylesheet = files["style.css"] ?? ""
        self.script = files[ExploreData.script] ?? ""
        self.digest = Digest.hex(fields: files.keys.sorted().flatMap { [$0, files[$0]!] })
    }

    /// Renders a template with a typed context (structs, arrays, optionals and strings, which
    /// Mustache reads through reflection).
    func render<Context>(_ template: String, _ context: Context) -> String {
        library.render(context, withTemplate: template) ?? ""
    }
}
