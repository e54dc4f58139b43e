import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

@Suite("SiteWriter")
struct SiteWriterTests {
    typealias Kit = SiteTestKit

    static let files = [
        SiteFile(path: "index.html", text: "<p>index</p>\n"),
        SiteFile(path: "layers/0.html", text: "<p>layer</p>\n"),
        SiteFile(path: "branches/p0/0.html", text: "<p>branch</p>\n"),
    ]

    /// Names in `parent` left by a write: staging (`.NAME.forkscope-new-*`) or old (`.NAME.forkscope-old-*`) folders.
    static func leftovers(_ parent: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: parent.path).filter { $0.contains(".forkscope-") }
    }

    @Test("a fresh write leaves the files and the marker, and nothing beside the site")
    func freshWrite() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site")
            try SiteWriter.write(Self.files, to: out.path, force: false)
            let snap = try Kit.snapshot(out)
            #expect(Set(snap.keys) == Set(Self.files.map(\.path) + [SiteWriter.marker]))
            for f in Self.files { #expect(snap[f.path] == f.contents) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == ["site"])
        }
    }

    @Test("missing parent folders are created")
    func nestedOut() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("a/b/c/site")
            try SiteWriter.write(Self.files, to: out.path, force: false)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
            #expect(try Self.leftovers(out.deletingLastPathComponent()).isEmpty)
        }
    }

    @Test("rewriting a site replaces it whole: files the new build lacks are gone")
    func rewriteReplaces() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site")
            try SiteWriter.write(Self.files + [SiteFile(path: "stale/old.html", text: "old")], to: out.path, force: false)
            try SiteWriter.write(Self.files, to: out.path, force: false)
            #expect(try Set(Kit.snapshot(out).keys) == Set(Self.files.map(\.path) + [SiteWriter.marker]))
            #expect(try Self.leftovers(tmp).isEmpty)
        }
    }

    @Test("an empty existing folder is written into")
    func emptyFolderAllowed() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try SiteWriter.write(Self.files, to: out.path, force: false)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(SiteWriter.marker).path))
        }
    }

    @Test("a non-empty folder without the marker is refused unless forced")
    func refusesForeignFolder() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("precious")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try Data("keep me".utf8).write(to: out.appendingPathComponent("thesis.tex"))
            #expect(throws: SettingError.foreignOutput(out.path)) {
                try SiteWriter.write(Self.files, to: out.path, force: false)
            }
            #expect(try Kit.snapshot(out) == ["thesis.tex": Data("keep me".utf8)])
            #expect(try Self.leftovers(tmp).isEmpty)

            // Also through a build.
            #expect(throws: SettingError.foreignOutput(out.path)) { try Build.run(BuildOptions(run: Fixtures.treeF32, out: out.path)) }
            #expect(try Kit.snapshot(out) == ["thesis.tex": Data("keep me".utf8)])

            // A hidden file alone makes a folder non-empty too.
            let hidden = tmp.appendingPathComponent("hidden")
            try FileManager.default.createDirectory(at: hidden, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: hidden.appendingPathComponent(".git"))
            #expect(throws: SettingError.foreignOutput(hidden.path)) { try SiteWriter.write(Self.files, to: hidden.path, force: false) }

            // Forced: replaced.
            try SiteWriter.write(Self.files, to: out.path, force: true)
            let snap = try Kit.snapshot(out)
            #expect(snap["thesis.tex"] == nil)
            #expect(snap[SiteWriter.marker] != nil && snap["index.html"] != nil)
            #expect(try Self.leftovers(tmp).isEmpty)
        }
    }

    @Test("an output path that is a file is refused and kept")
    func outIsAFile() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site")
            try Data("file".utf8).write(to: out)
            for force in [false, true] {
                #expect(throws: InputError.self) { try SiteWriter.write(Self.files, to: out.path, force: force) }
            }
            #expect(try Data(contentsOf: out) == Data("file".utf8))
        }
    }

    @Test("a write that fails midway leaves the previous site byte-identical and no staging folder")
    func failedWriteKeepsPreviousSite() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site")
            try SiteWriter.write(Self.files, to: out.path, force: false)
            let before = try Kit.snapshot(out)
            // "x" as a file and then "x/y" below it: the second write must fail.
            let bad = [SiteFile(path: "index.html", text: "new"), SiteFile(path: "x", text: "file"),
                       SiteFile(path: "x/y", text: "below a file")]
            #expect(throws: InputError.self) { try SiteWriter.write(bad, to: out.path, force: false) }
            #expect(try Kit.snapshot(out) == before)
            let left = try Self.leftovers(tmp)
            #expect(left.isEmpty, "left behind: \(left)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == ["site"])
        }
    }

    @Test("a build that fails (NaN state, missing tensor) leaves the previous good site byte-identical",
          arguments: ["nan", "missing-tensor", "bad-json"])
    func failedBuildKeepsPreviousSite(failure: String) throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site")
            let good = tmp.appendingPathComponent("runs/good")
            try Kit.writeRun(at: good, branches: Kit.smallTree)
            _ = try Build.run(BuildOptions(run: good.path, out: out.path))
            let before = try Kit.snapshot(out)
            #expect(before["index.html"] != nil)

            let bad = tmp.appendingPathComponent("runs/bad")
            switch failure {
            case "nan": try Kit.writeRun(at: bad, branches: Kit.smallTree, nanAt: "a.x")
            case "missing-tensor": try Kit.writeRun(at: bad, branches: Kit.smallTree, omitTensor: "a.y")
            default:
                try Kit.writeRun(at: bad, branches: Kit.smallTree)
                try Data("{\"format\": ".utf8).write(to: bad.appendingPathComponent("run.json"))
            }
            let error = try #require(throws: InputError.self) { try Build.run(BuildOptions(run: bad.path, out: out.path)) }
            if failure == "nan" { #expect(error.description.contains("a.x") && error.description.lowercased().contains("nan")) }
            if failure == "missing-tensor" { #expect(error.description.contains("a.y")) }
            #expect(try Kit.snapshot(out) == before, "the previous site changed")
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["runs", "site"])
        }
    }

    @Test("the same files written twice give the same bytes")
    func deterministic() throws {
        try TemporaryFolder.with { tmp in
            try SiteWriter.write(Self.files, to: tmp.appendingPathComponent("one").path, force: false)
            try SiteWriter.write(Self.files, to: tmp.appendingPathComponent("two").path, force: false)
            #expect(try Kit.snapshot(tmp.appendingPathComponent("one")) == Kit.snapshot(tmp.appendingPathComponent("two")))
        }
    }
}
