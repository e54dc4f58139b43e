import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// A corpus of hostile runs built into sites: script tags, quotes, bidirectional overrides and
/// control characters in every string a run carries, ids that try to leave the output folder or
/// name a device, ids differing only in case, a 10,000-character token, and an output folder that
/// is a symbolic link. Nothing may reach a page unescaped, and nothing may be written outside `--out`.
struct HostileRunTests {
    typealias Kit = SiteTestKit

    static let long = String(repeating: "<&\u{202E}>", count: 2_500)
    static let branches: [Kit.SynthBranch] = [
        .init(id: "CON", label: "\u{202E}evil\u{202C} <script>alert(1)</script>", tokens: ["<s>", "\u{202E}txt.exe", "\"'&", long],
              positions: [0, 1, 2, 3]),
        .init(id: "../../escape", label: "..", parent: "CON", forkAt: 2, tokens: ["\u{2066}x\u{2069}", "y"], positions: [2, 3]),
        .init(id: "a", label: "a", tokens: ["<s>", "b", "c"], positions: [0, 1, 2]),
        .init(id: "A", label: "A", tokens: ["<s>", "d", "e"], positions: [0, 1, 2]),
        .init(id: "nul.txt", label: "nul", tokens: ["<s>", "f"], positions: [0, 1]),
        .init(id: "ok-name", label: "fine", tokens: ["<s>", "g", "h"], positions: [0, 1, 2]),
    ]

    @Test func nothingEscapesThePagesOrTheFolder() throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("run"), site = tmp.appendingPathComponent("out/site")
            try Kit.writeRun(at: run, branches: Self.branches, layers: [0, 1],
                             title: "\u{202E}<title>x</title>", model: "<img src=x onerror=alert(2)>")
            var options = BuildOptions(run: run.path, out: site.path)
            options.analysis.projections = [.pca]
            _ = try Build.run(options)
            // Only the site was written: the temporary folder holds the run and out/site alone.
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.appendingPathComponent("out").path) == ["site"])
            let files = try Kit.snapshot(site).keys.sorted()
            // Device names, traversal and case twins get `_<index>` folders; the plain id keeps its name.
            let folders = Set(files.filter { $0.hasPrefix("branches/") }.map { $0.split(separator: "/")[1] })
            #expect(folders == ["_0", "_1", "_2", "_3", "_4", "ok-name"])
            for page in files where page.hasSuffix(".html") {
                let html = try Kit.text(site.appendingPathComponent(page))
                #expect(!Kit.withoutExplorer(html).lowercased().contains("<script") && !html.contains("<img") && !html.contains("<title>x"), "\(page)")
                for bidi: Unicode.Scalar in ["\u{202E}", "\u{202C}", "\u{2066}", "\u{2069}"] {
                    #expect(!html.unicodeScalars.contains(bidi), "\(page) carries a raw U+\(String(bidi.value, radix: 16, uppercase: true))")
                }
                for svg in Kit.svgFragments(html) { #expect(Kit.xmlError(svg) == nil, "\(page)") }
            }
            let branch = try Kit.text(site.appendingPathComponent("branches/_0/0.html"))
            #expect(branch.contains("\\u{202E}txt.exe"))                          // the override shown, not obeyed
            #expect(branch.contains(String(repeating: "&lt;&amp;\\u{202E}&gt;", count: 2_500)))  // the long token whole
        }
    }

    /// An output folder that is a symbolic link to another folder is replaced by the new site; the
    /// folder it pointed to is left exactly as it was.
    @Test func aSymlinkedOutputIsReplacedNotWrittenThrough() throws {
        try TemporaryFolder.with { tmp in
            let elsewhere = tmp.appendingPathComponent("elsewhere"), out = tmp.appendingPathComponent("site")
            try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            try Data("forkscope".utf8).write(to: elsewhere.appendingPathComponent(SiteWriter.marker))
            try Data("keep me".utf8).write(to: elsewhere.appendingPathComponent("index.html"))
            try FileManager.default.createSymbolicLink(at: out, withDestinationURL: elsewhere)
            let before = try Kit.snapshot(elsewhere)
            var options = BuildOptions(run: Fixtures.treeF32, out: out.path)
            options.analysis.projections = [.pca]
            _ = try Build.run(options)
            #expect(try Kit.snapshot(elsewhere) == before)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out.path)) == nil)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.json").path))
        }
    }

    @Test func bidirectionalControlsAreShownAsEscapes() {
        #expect(TokenText.visible("a\u{202E}b\u{2066}c\u{200F}") == "a\\u{202E}b\\u{2066}c\\u{200F}")
        #expect(TokenText.inline("\u{061C}x") == "\\u{061C}x")
        #expect(TokenText.visible("\u{200D}") == "\u{200D}")  // a joiner inside emoji is no override
    }
}
