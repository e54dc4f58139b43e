import Foundation
import Testing
import ForkscopeTestSupport
@testable import ForkscopeServer

/// `ServedPath`: only regular files inside the site, however the target is spelt.
struct ServedPathTests {
    /// A site folder with a page, a folder with an index, and a secret beside the site.
    static func withSite(_ body: (_ site: String, _ outside: String) throws -> Void) throws {
        try TemporaryFolder.with { tmp in
            let site = tmp.appendingPathComponent("site").path, fm = FileManager.default
            try fm.createDirectory(atPath: site + "/layers", withIntermediateDirectories: true)
            try "<html>index</html>".write(toFile: site + "/index.html", atomically: true, encoding: .utf8)
            try "<html>layer</html>".write(toFile: site + "/layers/3.html", atomically: true, encoding: .utf8)
            try "a,b".write(toFile: site + "/layers/3 data.csv", atomically: true, encoding: .utf8)
            try "secret".write(toFile: tmp.path + "/secret.txt", atomically: true, encoding: .utf8)
            try body(site, tmp.path)
        }
    }

    @Test func filesInsideTheSiteAreServed() throws {
        try Self.withSite { site, _ in
            let real = ServedPath.realPath(site)!
            #expect(ServedPath.resolve("/", root: site) == .file(real + "/index.html", html: true))
            #expect(ServedPath.resolve("/index.html?x=1#y", root: site) == .file(real + "/index.html", html: true))
            #expect(ServedPath.resolve("/layers/3.html", root: site) == .file(real + "/layers/3.html", html: true))
            #expect(ServedPath.resolve("/layers/3%20data.csv", root: site) == .file(real + "/layers/3 data.csv", html: false))
            #expect(ServedPath.resolve("/layers//3.html", root: site) == .file(real + "/layers/3.html", html: true))
            #expect(ServedPath.resolve("/layers", root: site) == .redirect("/layers/"))
            #expect(ServedPath.resolve("/layers/", root: site) == .notFound)   // no index.html there
            #expect(ServedPath.resolve("/missing.html", root: site) == .notFound)
        }
    }

    @Test(arguments: ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/..%2fsecret.txt",
                      "/layers/%2e%2e/%2e%2e/secret.txt", "/layers/..%5c..%5csecret.txt", "/layers/..\\..\\secret.txt",
                      "/./index.html", "/%00", "/index.html%00.txt", "/%zz", "//secret.txt", "http://host/index.html", "*", ""])
    func traversalIsRefused(_ target: String) throws {
        try Self.withSite { site, _ in
            #expect(ServedPath.resolve(target, root: site) == .refused)
        }
    }

    @Test func symbolicLinksOutOfTheSiteAreNotFollowedOut() throws {
        try Self.withSite { site, outside in
            let fm = FileManager.default
            try fm.createSymbolicLink(atPath: site + "/leak.txt", withDestinationPath: outside + "/secret.txt")
            try fm.createSymbolicLink(atPath: site + "/up", withDestinationPath: outside)
            try fm.createSymbolicLink(atPath: site + "/alias.html", withDestinationPath: site + "/index.html")
            #expect(ServedPath.resolve("/leak.txt", root: site) == .notFound)
            #expect(ServedPath.resolve("/up/secret.txt", root: site) == .notFound)
            // Back into the site through a link out of it: the real path is inside, so it is served.
            #expect(ServedPath.resolve("/up/site/index.html", root: site) == .file(ServedPath.realPath(site)! + "/index.html", html: true))
            // A link that stays inside the site is served as its target.
            #expect(ServedPath.resolve("/alias.html", root: site) == .file(ServedPath.realPath(site)! + "/index.html", html: true))
        }
    }

    /// An absolute path is a path inside the site, never one on the machine.
    @Test func absolutePathsAreSitePaths() throws {
        try Self.withSite { site, outside in
            #expect(ServedPath.resolve(outside + "/secret.txt", root: site) == .notFound)
            #expect(ServedPath.resolve("/etc/passwd", root: site) == .notFound)
        }
    }

    /// Types by extension (Hummingbird's table), text declared as UTF-8.
    @Test func contentTypes() {
        #expect(ServedPath.contentType("/s/layers/3.html") == "text/html; charset=utf-8")
        #expect(ServedPath.contentType("/s/explore.js") == "text/javascript; charset=utf-8")
        #expect(ServedPath.contentType("/s/style.css") == "text/css; charset=utf-8")
        #expect(ServedPath.contentType("/s/layers/3.csv") == "text/csv; charset=utf-8")
        #expect(ServedPath.contentType("/s/report.json") == "application/json")
        #expect(ServedPath.contentType("/s/.forkscope-site") == "application/octet-stream")
    }
}
