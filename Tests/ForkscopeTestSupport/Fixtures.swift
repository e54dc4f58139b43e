import Foundation

/// Where the tests find the package's files: the fixtures under Tests/Fixtures, the example run,
/// the templates. Paths are found from this source file's location (`#filePath`).
public enum Fixtures {
    /// The package root: the nearest folder above this file that holds Package.swift.
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url = url.deletingLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `relative` (e.g. "Tests/Fixtures/npz") below the package root.
    public static func url(_ relative: String) -> URL { packageRoot.appendingPathComponent(relative) }

    /// The run folder Tests/Fixtures/runs/`name` (e.g. "tree-f32", "synthetic").
    public static func run(_ name: String) -> URL {
        url("Tests/Fixtures/runs").appendingPathComponent(name)
    }

    /// Tests/Fixtures/runs/tree-f32, the run most tests build.
    public static var treeF32: String { run("tree-f32").path }
    /// Examples/topics-mini, the example run.
    public static var topicsMini: String { url("Examples/topics-mini").path }
    /// Templates/, the built-in templates.
    public static var templates: URL { url("Templates") }
    /// Tests/Fixtures/check_site.py, the NumPy checker of built sites.
    public static var checkSite: String { url("Tests/Fixtures/check_site.py").path }
}
