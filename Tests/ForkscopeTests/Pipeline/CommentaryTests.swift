import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

@Suite("Commentary from a content folder")
struct CommentaryTests {
    typealias Kit = SiteTestKit

    static func write(_ text: String, _ path: String, in dir: URL) throws {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Pages (relative paths) whose text contains `marker`.
    static func pages(containing marker: String, in site: URL) throws -> Set<String> {
        Set(try Kit.htmlPages(site).filter { try Kit.text(site.appendingPathComponent($0)).contains(marker) })
    }

    @Test("index.md, layers/0.md and branches/p0.md are rendered onto their pages and only there")
    func commentaryOnTheRightPages() throws {
        let info = try Kit.runInfo(Fixtures.topicsMini)
        try TemporaryFolder.with { tmp in
            let content = tmp.appendingPathComponent("content")
            try Self.write("# Overview IDXMARK\n\nSome *emphasis* and a [link](layers/0.html).\n\n<script>alert(1)</script>\n", "index.md", in: content)
            try Self.write("Layer zero LAYERMARK with **bold**.\n", "layers/0.md", in: content)
            try Self.write("## Gardening BRANCHMARK\n\n- one\n- two\n", "branches/p0.md", in: content)
            try Self.write("Nobody's page NOPEMARK\n", "branches/nope.md", in: content)
            let site = tmp.appendingPathComponent("site")
            let result = try Build.run(BuildOptions(run: Fixtures.topicsMini, out: site.path, content: content.path))

            let index = try Kit.text(site.appendingPathComponent("index.html"))
            let section = try #require(Kit.between(index, "<section class=\"commentary\">", "</section>"))
            #expect(section.contains("<h1>Overview IDXMARK</h1>"))
            #expect(section.contains("<em>emphasis</em>"))
            #expect(section.contains("<a href=\"layers/0.html\">link</a>"))
            #expect(!index.lowercased().contains("<script"))
            #expect(try Self.pages(containing: "IDXMARK", in: site) == ["index.html"])

            let layer0 = try Kit.text(site.appendingPathComponent("layers/0.html"))
            #expect(Kit.between(layer0, "<section class=\"commentary\">", "</section>")?
                .contains("<p>Layer zero LAYERMARK with <strong>bold</strong>.</p>") == true)
            #expect(try Self.pages(containing: "LAYERMARK", in: site) == ["layers/0.html"])

            let branchPages = Set(info.layers.map { "branches/p0/\($0).html" })
            #expect(try Self.pages(containing: "BRANCHMARK", in: site) == branchPages)
            for page in branchPages {
                let html = try Kit.text(site.appendingPathComponent(page))
                let s = try #require(Kit.between(html, "<section class=\"commentary\">", "</section>"))
                #expect(s.contains("<h2>Gardening BRANCHMARK</h2>") && s.contains("<li>one</li>"))
            }
            // Pages without commentary have no commentary section.
            let other = try Kit.text(site.appendingPathComponent("branches/p0.b1/0.html"))
            #expect(!other.contains("<section class=\"commentary\">"))

            // Commentary for a branch the run lacks: a warning naming the file, nothing rendered.
            #expect(try Self.pages(containing: "NOPEMARK", in: site).isEmpty)
            #expect(result.warnings.contains { $0.file.hasSuffix("branches/nope.md") }, "\(result.warnings)")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: site.appendingPathComponent("report.json"))) as? [String: Any]
            let warnings = try #require(report?["warnings"] as? [String])
            #expect(warnings.contains { $0.contains("nope.md") })
        }
    }

    @Test("without content:, the run's own commentary/ folder is used")
    func runOwnCommentary() throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("run")
            try Kit.writeRun(at: run, branches: Kit.smallTree)
            try Self.write("OWNMARK *here*\n", "commentary/index.md", in: run)
            try Self.write("KIDMARK\n", "commentary/branches/a.x.md", in: run)
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            #expect(try Kit.text(site.appendingPathComponent("index.html")).contains("<p>OWNMARK <em>here</em></p>"))
            #expect(try Self.pages(containing: "KIDMARK", in: site) == ["branches/a.x/0.html", "branches/a.x/1.html"])
        }
    }

    @Test("a content folder that does not exist is an InputError naming it")
    func missingContentFolder() throws {
        try TemporaryFolder.with { tmp in
            let missing = tmp.appendingPathComponent("no-such-content").path
            let error = try #require(throws: InputError.self) {
                try Build.run(BuildOptions(run: Fixtures.treeF32, out: tmp.appendingPathComponent("site").path, content: missing))
            }
            #expect(error.file == missing)
            #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("site").path))
        }
    }

    @Test("commentary that is not valid UTF-8 is rendered with U+FFFD and a warning")
    func brokenUTF8() throws {
        try TemporaryFolder.with { tmp in
            let content = tmp.appendingPathComponent("content")
            try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
            try Data("BROKEN ".utf8 + [0xFF, 0xFE] + Data(" end\n".utf8)).write(to: content.appendingPathComponent("index.md"))
            let site = tmp.appendingPathComponent("site")
            let result = try Build.run(BuildOptions(run: Fixtures.treeF32, out: site.path, content: content.path))
            #expect(try Kit.text(site.appendingPathComponent("index.html")).contains("BROKEN \u{FFFD}\u{FFFD} end"))
            #expect(result.warnings.contains { $0.file.hasSuffix("index.md") })
        }
    }

    @Test("the repository's demo configuration (Site/forkscope.json) builds with its commentary")
    func demoConfiguration() throws {
        let config = try SiteConfiguration(file: Fixtures.packageRoot.appendingPathComponent("Site/forkscope.json").path)
        let run = try #require(config.run), content = try #require(config.content)
        #expect(URL(fileURLWithPath: run).standardizedFileURL.path == URL(fileURLWithPath: Fixtures.topicsMini).standardizedFileURL.path)
        let info = try Kit.runInfo(run)
        // Every layer note of the demo's commentary belongs to a layer of the demo run.
        let notes = try FileManager.default.contentsOfDirectory(atPath: content + "/layers").filter { $0.hasSuffix(".md") }.sorted()
        try #require(!notes.isEmpty, "the demo has no layer commentary")
        var firstWordsByPage = [String: String]()
        for note in notes {
            let layer = try #require(Int(note.dropLast(3)), "\(note) is not named after a layer")
            #expect(info.layers.contains(layer), "\(note): the demo run has no layer \(layer) (layers \(info.layers))")
            let text = try String(contentsOfFile: content + "/layers/" + note, encoding: .utf8)
            // The first words of the note up to any Markdown or HTML punctuation, which rendering would change.
            let firstWords = try #require(text.split(separator: "\n").first).prefix { !"*_`[<&'\"\\".contains($0) }.prefix(30)
            #expect(firstWords.count >= 10, "\(note)")
            firstWordsByPage["layers/\(layer).html"] = String(firstWords)
        }
        try TemporaryFolder.with { tmp in
            let site = tmp.appendingPathComponent("demo")
            let result = try Build.run(BuildOptions(run: run, out: site.path, content: content, templates: config.templates))
            #expect(result.warnings.isEmpty, "\(result.warnings)")
            for (page, words) in firstWordsByPage {
                #expect(try Self.pages(containing: words, in: site) == [page], "\(words)")
            }
        }
    }
}

@Suite("SiteConfiguration")
struct SiteConfigurationTests {
    typealias Kit = SiteTestKit

    @Test("relative paths are taken from the configuration file's folder; absolute ones are kept")
    func relativePaths() throws {
        try TemporaryFolder.with { tmp in
            let file = tmp.appendingPathComponent("cfg/forkscope.json")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(#"{"run": "../runs/x", "out": "/abs/out", "content": "notes", "templates": null}"#.utf8).write(to: file)
            let c = try SiteConfiguration(file: file.path)
            #expect(c.run == tmp.appendingPathComponent("cfg").path + "/../runs/x")
            #expect(c.out == "/abs/out")
            #expect(c.content == tmp.appendingPathComponent("cfg/notes").path)
            #expect(c.templates == nil)
        }
    }

    @Test("unknown settings, wrong types, malformed JSON and a missing file are InputErrors", arguments: [
        #"{"run": "x", "output": "y"}"#, #"{"run": 3}"#, #"{"run": "#, #"["run"]"#, "MISSING",
    ])
    func invalid(text: String) throws {
        try TemporaryFolder.with { tmp in
            let file = tmp.appendingPathComponent("forkscope.json")
            if text != "MISSING" { try Data(text.utf8).write(to: file) }
            let error = try #require(throws: InputError.self) { try SiteConfiguration(file: file.path) }
            #expect(error.file == file.path)
            if text.contains("output") { #expect(error.field == "output") }
        }
    }
}
