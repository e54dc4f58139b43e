import Foundation
import Testing
import Forkscope
import ForkscopeTestSupport
@testable import ForkscopeServer

/// `SiteService` without the HTTP server: versions move when the site or its failure changes,
/// a failure keeps the last good site, and the watcher sees edits but not the site it writes.
struct SiteServiceTests {
    @Test func versionsFollowChangesAndFailuresKeepTheLastGoodSite() throws {
        try TemporaryFolder.with { tmp in
            let site = tmp.appendingPathComponent("site"), templates = tmp.appendingPathComponent("templates")
            try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
            var options = BuildOptions(run: Fixtures.treeF32, out: site.path, templates: templates.path)
            options.cache = try AnalysisCache(directory: tmp.appendingPathComponent("cache").path, inMemory: 64)
            let lines = Lines()
            let service = SiteService(options: options, watching: [templates.path]) { lines.add($0) }
            service.rebuild()
            #expect(service.state.version == 1 && service.state.failure == nil)
            let good = try Data(contentsOf: site.appendingPathComponent("index.html"))

            service.rebuild()   // nothing changed: open pages are not reloaded
            #expect(service.state.version == 1)

            try "{{#open}} never closed".write(to: templates.appendingPathComponent("index.mustache"), atomically: true, encoding: .utf8)
            service.rebuild()
            let failure = try #require(service.state.failure)
            #expect(service.state.version == 2 && failure.contains("index.mustache") && failure.contains("line 1"))
            #expect(try Data(contentsOf: site.appendingPathComponent("index.html")) == good)   // the last good site stays

            try FileManager.default.removeItem(at: templates.appendingPathComponent("index.mustache"))
            service.rebuild()
            #expect(service.state.version == 3 && service.state.failure == nil)
            #expect(lines.all.contains { $0.hasPrefix("build failed: ") && $0.contains("index.mustache") })
        }
    }

    @Test func theWatcherSeesEditsButNotTheSite() throws {
        try TemporaryFolder.with { tmp in
            let content = tmp.appendingPathComponent("content"), site = content.appendingPathComponent("site")
            try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
            try "a".write(to: content.appendingPathComponent("index.md"), atomically: true, encoding: .utf8)
            let files = WatchedFiles(paths: [content.path], ignoring: site.path)
            let before = files.fingerprint()
            try "page".write(to: site.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
            #expect(files.fingerprint() == before)
            try "ab".write(to: content.appendingPathComponent("index.md"), atomically: true, encoding: .utf8)
            #expect(files.fingerprint() != before)
        }
    }
}

/// Log lines collected from the service.
private final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var list = [String]()
    func add(_ s: String) { lock.withLock { list.append(s) } }
    var all: [String] { lock.withLock { list } }
}
