import Foundation
import Testing
@testable import Forkscope

@Suite("SitePaths")
struct SitePathsTests {
    static func folders(_ ids: [String]) -> [String] {
        let paths = SitePaths(run: SiteTestKit.memoryRun(ids: ids))
        return ids.indices.map { paths.branchFolder($0) }
    }

    @Test("plain ids are kept as folder names")
    func plainIDsKept() {
        let ids = ["p0", "p0.b1", "p0.b1.c1", "a_b-c", "X9", "r1.a.x", "under_score", "v1.2"]
        #expect(Self.folders(ids) == ids.map { "branches/\($0)/" })
        let paths = SitePaths(run: SiteTestKit.memoryRun(ids: ids))
        #expect(paths.branchPage(1, layer: 12) == "branches/p0.b1/12.html")
        #expect(paths.layerPage(7) == "layers/7.html")
        #expect(paths.layerData(7) == "layers/7.csv")
    }

    @Test("unsafe ids get _<index>", arguments: [
        "a/b", "..", ".", ".hidden", "a b", "é", "日本", "a\\b", "a:b", "a\u{0}b", "", "<x>", "a%2Fb",
        String(repeating: "x", count: 101),
    ])
    func unsafeIDs(id: String) {
        // Put the unsafe id at index 2 between two plain ones.
        let folders = Self.folders(["ok1", "ok2", id, "ok3"])
        #expect(folders[2] == "branches/_2/", "\(id.debugDescription) -> \(folders[2])")
        #expect(folders[0] == "branches/ok1/" && folders[1] == "branches/ok2/" && folders[3] == "branches/ok3/")
    }

    @Test("ids equal ignoring case both get _<index>")
    func caseInsensitiveDuplicates() {
        let folders = Self.folders(["P0", "x", "p0", "Ab.c", "aB.C"])
        #expect(folders == ["branches/_0/", "branches/x/", "branches/_2/", "branches/_3/", "branches/_4/"])
    }

    @Test("an id of 100 characters is still plain")
    func longestPlain() {
        let id = String(repeating: "a", count: 100)
        #expect(Self.folders([id]) == ["branches/\(id)/"])
    }

    /// SitePaths promises `_<index>` "which no plain id can be", but `isPlainName` accepts ids
    /// starting with "_", so a branch whose id is literally "_1" collides with the fallback
    /// folder of branch 1.
    @Test("no two branches share a folder, even ignoring case and with ids that look like fallbacks", arguments: [
        ["_1", "a/b"],
        ["a/b", "_0"],
        ["x", "_2", "..", "X"],
        ["P0", "p0", "_0", "_1"],
        ["ok", ".git", "_1"],
    ])
    func foldersAreUnique(ids: [String]) {
        let folders = Self.folders(ids).map { $0.lowercased() }
        #expect(Set(folders).count == folders.count, "\(ids) -> \(folders)")
    }

    @Test("every folder name is one safe path component")
    func foldersAreSafe() {
        let ids = ["p0", "a/b", "..", ".", ".x", "a b", "é", "P0", "p0", "_3", "-", "--x", "a..b", "CON"]
        for folder in Self.folders(ids) {
            #expect(folder.hasPrefix("branches/") && folder.hasSuffix("/"))
            let name = folder.dropFirst("branches/".count).dropLast()
            #expect(!name.isEmpty && !name.contains("/") && !name.hasPrefix(".") && name.allSatisfy(\.isASCII), "\(folder)")
        }
    }

    @Test("root(from:) climbs one level per folder", arguments: [
        ("index.html", ""),
        ("report.json", ""),
        ("layers/0.html", "../"),
        ("branches/p0/5.html", "../../"),
        ("branches/_3/30.html", "../../"),
        ("a/b/c/d.html", "../../../"),
    ])
    func root(path: String, expected: String) {
        #expect(SitePaths.root(from: path) == expected)
    }

    @Test("root(from:) + a site path resolves from the page back to the same file")
    func rootRoundTrip() {
        let paths = SitePaths(run: SiteTestKit.memoryRun(ids: ["p0", "a/b"]))
        let page = paths.branchPage(1, layer: 3)
        let link = SitePaths.root(from: page) + paths.layerPage(3)
        let resolved = URL(fileURLWithPath: "/site/" + page).deletingLastPathComponent()
            .appendingPathComponent(link).standardizedFileURL.path
        #expect(resolved == "/site/layers/3.html")
    }
}
