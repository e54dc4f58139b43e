import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Hostile text through the diff site: token texts, a branch id only B has (listed as left out),
/// a run title and model name. None may reach a page unescaped.
struct DiffPageEscapingTests {
    typealias Kit = SiteTestKit

    static let branches: [Kit.SynthBranch] = [
        .init(id: "r", label: "<i>root</i> & co", tokens: ["<s>", "<script>alert(1)</script>", " a&b", "\"quoted\" 'single'", "]]>", "tab\there\u{7}bell"],
              positions: [0, 1, 2, 3, 4, 5]),
        .init(id: "r.x", label: "x", parent: "r", forkAt: 3, tokens: ["\u{0}nul", "<|start|>", "x"], positions: [3, 4, 5]),
        .init(id: "r.y", label: "y", parent: "r", forkAt: 3, tokens: ["y1", "y2", "y3"], positions: [3, 4, 5]),
        .init(id: "s", label: "s", tokens: ["<s>", "one", "two", "three"], positions: [0, 1, 2, 3]),
    ]
    static let hostileId = "<img src=x onerror=alert(2)>"

    @Test func noPageCarriesHostileTextUnescaped() throws {
        try TemporaryFolder.with { tmp in
            let a = tmp.appendingPathComponent("a"), b = tmp.appendingPathComponent("b"), site = tmp.appendingPathComponent("site")
            try Kit.writeRun(at: a, branches: Self.branches, layers: [0, 1], title: "A </title><script>alert(3)</script>")
            // B: another branch first, so the pseudo-random states differ and tokens change neighbours.
            try Kit.writeRun(at: b, branches: [.init(id: Self.hostileId, label: "evil", tokens: ["<s>", "z"], positions: [0, 1])] + Self.branches,
                             layers: [0, 1], title: "B \"&")
            var options = DiffOptions(a: a.path, b: b.path)
            options.out = site.path
            let result = try DiffBuild.run(options)
            #expect(result.runs?.pairing.mismatches.map(\.branch) == [Self.hostileId])
            let pages = try Kit.htmlPages(site)
            #expect(pages == ["404.html", "index.html", "layers/0.html", "layers/1.html"])
            for page in pages {
                let html = try Kit.text(site.appendingPathComponent(page))
                #expect(!html.lowercased().contains("<script"), "\(page)")
                #expect(!html.contains("<img"), "\(page)")
                #expect(!html.contains("<i>root"), "\(page)")
                #expect(!html.contains("\"quoted\"") && !html.contains(" a&b") && !html.contains("]]>"), "\(page)")
                for bad: Unicode.Scalar in ["\u{0}", "\u{7}"] { #expect(!html.unicodeScalars.contains(bad), "\(page)") }
                for svg in Kit.svgFragments(html) { #expect(Kit.xmlError(svg) == nil, "\(page)") }
                #expect(html.contains("A &lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;"), "\(page): title")
            }
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            #expect(index.contains("<code class=\"id\">&lt;img src=x onerror=alert(2)&gt;</code>: only in B"))
            let layer = try Kit.text(site.appendingPathComponent("layers/1.html"))
            #expect(layer.contains(" \u{B7} &lt;script&gt;alert(1)&lt;/script&gt;"))       // a marker's tooltip
            #expect(layer.contains("&lt;i&gt;root&lt;/i&gt; &amp; co"))                      // a label
            #expect(layer.contains("<code class=\"tok\">"))                                  // a moved-token table
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: site.appendingPathComponent("diff.json"))) as? [String: Any]
            let mismatches = (json?["branches"] as? [String: Any])?["mismatches"] as? [[String: String]]
            #expect(mismatches?.first?["branch"] == Self.hostileId)                         // raw in JSON, escaped by the encoder
        }
    }
}
