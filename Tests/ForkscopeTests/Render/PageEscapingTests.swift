import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Hostile token texts of Tests/Fixtures/runs/tree-f32 through whole pages.
@Suite("Escaping through built pages (tree-f32)")
struct PageEscapingTests {
    typealias Kit = SiteTestKit

    /// (raw token, as HTML text when shown `visible`, as HTML text when shown `inline`).
    /// Hard-coded, not computed with the code under test.
    static let hostile: [(raw: String, visible: String, inline: String)] = [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (" a&b", " a&amp;b", " a&amp;b"),
        ("a&b", "a&amp;b", "a&amp;b"),
        ("\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;", "&quot;quoted&quot; &#39;single&#39;"),
        ("]]>", "]]&gt;", "]]&gt;"),
        ("tab\there\u{7}bell", "tab\u{21E5}here\u{2407}bell", "tab\there\u{2407}bell"),
        ("\u{0}nul", "\u{2400}nul", "\u{2400}nul"),
        ("\u{FFFD} broken", "\u{FFFD} broken", "\u{FFFD} broken"),
        ("\n", "\u{21B5}", "\n"),
        (", quiet,", ", quiet,", ", quiet,"),
        ("<|start|>", "&lt;|start|&gt;", "&lt;|start|&gt;"),
    ]

    /// Which branch (slug = id in this fixture) owns each hostile token, from run.json.
    static func owners(_ info: SiteTestKit.RunInfo) -> [String: [String]] {
        var out = [String: [String]]()
        for b in info.branches { for t in b.tokens { out[t, default: []].append(b.id) } }
        return out
    }

    @Test("no page carries a <script> element but the explorer's, raw control characters or an unescaped hostile token")
    func noRawHostileText() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let pages = try Kit.htmlPages(site)
            #expect(pages.count == 2 + 3 + 6 * 3 + 2 * 3)  // index and 404, layers, branch pages, clusters pages (raw and recommended)
            for page in pages {
                let html = try Kit.text(site.appendingPathComponent(page))
                #expect(!Kit.withoutExplorer(html).lowercased().contains("<script"), "\(page) contains a <script> besides the explorer's")
                #expect(!html.contains("alert(1)</"), "\(page) contains an unescaped closing tag from data")
                #expect(!html.contains("]]>"), "\(page) contains a raw ]]>")
                #expect(!html.contains("\"quoted\""), "\(page) contains raw quotes from a token")
                #expect(!html.contains("'single'"), "\(page) contains raw apostrophes from a token")
                #expect(!html.contains(" a&b"), "\(page) contains a raw & from a token")
                for bad: Unicode.Scalar in ["\u{0}", "\u{7}", "\u{1}", "\u{7F}", "\u{85}"] {
                    #expect(!html.unicodeScalars.contains(bad), "\(page) contains raw U+\(String(bad.value, radix: 16))")
                }
            }
        }
    }

    @Test("every hostile token appears escaped in the branch table, the running text and the SVG <title>")
    func hostileTokensEscapedEverywhere() throws {
        let info = try Kit.runInfo(Fixtures.treeF32)
        let owners = Self.owners(info)
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            for (raw, visible, inline) in Self.hostile {
                let ids = try #require(owners[raw], "fixture lost token \(raw.debugDescription)")
                for layer in info.layers {
                    let layerPage = try Kit.text(site.appendingPathComponent("layers/\(layer).html"))
                    // SVG tooltip: "id · position P · <visible token>" (the label is on the branch's line)
                    #expect(layerPage.contains(" \u{B7} \(visible)</title>"),
                            "layer \(layer): no escaped SVG <title> for \(raw.debugDescription)")
                    for id in ids {
                        let page = try Kit.text(site.appendingPathComponent("branches/\(id)/\(layer).html"))
                        #expect(page.contains("<code class=\"tok\">\(visible)</code>"),
                                "branches/\(id)/\(layer).html: table lacks \(visible.debugDescription)")
                        #expect(page.contains("\">\(inline)</span>"),
                                "branches/\(id)/\(layer).html: text lacks \(inline.debugDescription)")
                    }
                }
            }
            // A fork token is quoted on the index page.
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            #expect(index.contains("<q class=\"tok\">&lt;script&gt;alert(1)&lt;/script&gt;</q>"))
            #expect(index.contains("<q class=\"tok\">a&amp;b</q>"))
        }
    }

    @Test("a theme putting tokens into title=\"…\" attributes gets them escaped")
    func tokensInTitleAttributes() throws {
        let info = try Kit.runInfo(Fixtures.treeF32)
        let owners = Self.owners(info)
        try TemporaryFolder.with { tmp in
            let templates = tmp.appendingPathComponent("theme")
            try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
            try "{{> header}}\n{{#rows}}<p class=\"row\" title=\"{{token}}\">{{index}}</p>\n{{/rows}}\n{{> footer}}\n"
                .write(to: templates.appendingPathComponent("branch.mustache"), atomically: true, encoding: .utf8)
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: Fixtures.treeF32, out: site.path, templates: templates.path))
            for (raw, visible, _) in Self.hostile {
                for id in owners[raw] ?? [] {
                    let page = try Kit.text(site.appendingPathComponent("branches/\(id)/0.html"))
                    #expect(page.contains("title=\"\(visible)\""), "branches/\(id)/0.html: \(raw.debugDescription)")
                    // Every title attribute closes where it should: no quote or < leaks into its value.
                    for value in Kit.attributeValues("title", in: page) {
                        #expect(!value.contains("<") && !value.contains(">"), "\(value)")
                    }
                }
            }
        }
    }

    @Test("every inline SVG of every page parses as XML")
    func svgFragmentsAreWellFormed() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            var scatterCount = 0, sweepCount = 0
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                for svg in Kit.svgFragments(html) {
                    if svg.contains("class=\"scatter") { scatterCount += 1 }
                    if svg.contains("class=\"sweep\"") {
                        sweepCount += 1
                        #expect(page == "index.html", "\(page): a layer sweep chart outside the index")
                    }
                    if let error = Kit.xmlError(svg) {
                        Issue.record("\(page): SVG does not parse: \(error)\n\(svg.prefix(300))")
                    }
                }
            }
            // 3 layers x one PCA plot per view (the defaults without zero_pe: tree-f32 has no such
            // variant), plus a UMAP plot for each view with a UMAP layout
            let layers = try #require((try Kit.reportObject(site))["layers"] as? [[String: Any]])
            let umaps = layers.reduce(0) { n, layer in
                n + ((layer["views"] as? [String: [String: Any]])?.values.filter { $0["umap_initialisation"] is String }.count ?? 0)
            }
            #expect(umaps > 0)
            #expect(scatterCount == 3 * (try Kit.settingsViews(site)).count + umaps)
            #expect(try Kit.settingsViews(site).count == View.defaults.count - 1)
            #expect(sweepCount == Measure.catalogue.filter(\.shown).count)  // the layer sweep: a chart per measure
        }
    }

    @Test("all attribute values of all pages are closed properly and hold no raw < or >")
    func attributesAreInert() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                // Every tag: from < to the next >, quotes balanced.
                var rest = html[...]
                while let open = rest.firstIndex(of: "<") {
                    guard let close = rest[open...].firstIndex(of: ">") else { Issue.record("\(page): unterminated tag"); break }
                    let tag = rest[open...close]
                    #expect(tag.filter { $0 == "\"" }.count % 2 == 0, "\(page): unbalanced quotes in \(tag)")
                    rest = rest[rest.index(after: close)...]
                }
            }
        }
    }

    /// A run whose title, branch labels and ids are hostile (markup, `]]>`, control characters).
    static func withHostileLabelSite(_ body: (URL) throws -> Void) throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("run")
            try Kit.writeRun(at: run, branches: [
                .init(id: "<r>&\"", label: "root <b>&amp;</b> ]]> \u{1}\u{7}", tokens: ["a", "b", "c"], positions: [0, 1, 2]),
                .init(id: "kid", label: "kid\u{0}nul 'q' \u{85}", parent: "<r>&\"", forkAt: 2, tokens: ["d", "e"], positions: [2, 3]),
                .init(id: "r2", label: "second", tokens: ["f", "g", "h", "i"], positions: [0, 1, 2, 3]),
            ], title: "title <script>x</script> \u{1}")
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            try body(site)
        }
    }

    @Test("hostile run titles, branch labels and ids are escaped on every page")
    func hostileLabelsEscaped() throws {
        try Self.withHostileLabelSite { site in
            let pages = try Kit.htmlPages(site)
            #expect(pages.contains("branches/_0/0.html") && pages.contains("branches/kid/0.html"))
            for page in pages {
                let html = try Kit.text(site.appendingPathComponent(page))
                #expect(!Kit.withoutExplorer(html).lowercased().contains("<script"), "\(page)")
                #expect(!html.contains("<b>&amp;</b>"), "\(page): label markup not escaped")
                #expect(!html.contains("]]>"), "\(page): raw ]]>")
                #expect(!html.contains("<r>"), "\(page): raw id markup")
            }
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            #expect(index.contains("&lt;b&gt;&amp;amp;&lt;/b&gt;"))
            #expect(index.contains("<code class=\"id\">&lt;r&gt;&amp;&quot;</code>"))
        }
    }

    /// Branch labels and ids are untrusted like tokens, but SiteRenderer.plot builds the marker
    /// tooltips as "\(branch.label) (\(branch.id)) · …" without `TokenText.visible`, so a control
    /// character in a label reaches the SVG <title> raw, where XML does not allow it.
    @Test("hostile branch labels keep every inline SVG well-formed XML")
    func hostileLabelsSVGWellFormed() throws {
        try Self.withHostileLabelSite { site in
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                for svg in Kit.svgFragments(html) {
                    if let error = Kit.xmlError(svg) {
                        let line = svg.split(separator: "\n", omittingEmptySubsequences: false)
                        let bad = (Int(error.split(separator: " ").drop { $0 != "line" }.dropFirst().first ?? "") ?? 0) - 1
                        Issue.record("\(page): SVG does not parse: \(error): \(line.indices.contains(bad) ? String(line[bad]).debugDescription : "")")
                    }
                }
            }
        }
    }

    /// TokenText's reason to exist: C0 controls "which browsers drop or which are not allowed in
    /// XML at all" are made visible. Titles and labels go onto the pages without it.
    @Test("no raw C0 control characters from titles or labels reach any page")
    func hostileLabelsNoRawControls() throws {
        try Self.withHostileLabelSite { site in
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                for bad: Unicode.Scalar in ["\u{0}", "\u{1}", "\u{7}"] {
                    #expect(!html.unicodeScalars.contains(bad), "\(page) contains raw U+\(String(bad.value, radix: 16))")
                }
            }
        }
    }
}
