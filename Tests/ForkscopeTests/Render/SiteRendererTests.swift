import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

@Suite("SiteRenderer pages")
struct SiteRendererTests {
    typealias Kit = SiteTestKit

    @Test("the files of a site: index, 404, stylesheets, the explorer script, report, a page, CSV and clusters pages per layer, a page per branch and layer")
    func fileList() throws {
        let info = try Kit.runInfo(Fixtures.treeF32)
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, result in
            var expected: Set<String> = ["index.html", "404.html", "style.css", "highlight.css", "explore.js", "report.json", SiteWriter.marker]
            let recommended = try Kit.reportObject(site)["recommended_view"] as? String
            for l in info.layers {
                expected.insert("layers/\(l).html")
                expected.insert("layers/\(l).csv")
                // A clusters page for the raw view and the recommended one.
                for view in Set(["raw"] + (recommended.map { [$0] } ?? [])) {
                    expected.insert("layers/\(l)-clusters-\(view.replacingOccurrences(of: "+", with: "_")).html")
                }
                for b in info.branches { expected.insert("branches/\(b.id)/\(l).html") }
            }
            let written = try Set(Kit.snapshot(site).keys)
            #expect(written == expected)
            #expect(result.files == expected.count - 1)  // the marker is not a site file
        }
    }

    @Test("branch pages: the running text holds the inherited prefix, then the branch's own tokens")
    func branchText() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let page = try Kit.text(site.appendingPathComponent("branches/r1.a.x/2.html"))
            let text = try #require(Kit.between(page, "<p class=\"text\">", "</p>"))
            #expect(Kit.count("<span class=\"tok inherited\"", in: text) == 6 + 2)  // r1's 6, r1.a's first 2
            #expect(Kit.count("<span class=\"tok\"", in: text) == 3)
            #expect(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))  // r1.a's 2nd token is inherited
            #expect(!text.contains(" in</span>"))  // r1.a's 3rd token is after the fork
            #expect(page.contains("<a href=\"../../branches/r1.a/2.html\">branch r1.a</a> after its token 2"))
        }
    }

    @Test("absent things leave no empty markup: commentary, variants, excluded-token note")
    func noEmptySections() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            // tree-f32 has no commentary folder and no variants.
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            #expect(!index.contains("<section class=\"commentary\">"), "index.html: empty commentary section")
            #expect(!index.contains("<dt>Variants</dt>"), "index.html: 'Variants' listed for a run without variants")
            let layer = try Kit.text(site.appendingPathComponent("layers/0.html"))
            #expect(!layer.contains("<section class=\"commentary\">"), "layers/0.html: empty commentary section")
            // The raw view keeps every token: its caption needs no note.
            #expect(!layer.contains("<span class=\"note\"></span>"), "layers/0.html: empty note in the raw caption")
            let root = try Kit.text(site.appendingPathComponent("branches/r1/0.html"))
            #expect(!root.contains("<section class=\"commentary\">"), "branches/r1/0.html: empty commentary section")
        }
    }

    /// swift-mustache renders a section for any value but `false`, nil and empty lists, so the
    /// number 0 is "truthy": branch.mustache's `{{#inheritedCount}}, after … inherited{{/inheritedCount}}`
    /// shows for roots, whose inheritedCount SiteRenderer.branchPage sets to 0.
    @Test("a root's token count does not mention inherited tokens")
    func rootInheritsNothing() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let root = try Kit.text(site.appendingPathComponent("branches/r1/0.html"))
            let fact = Kit.between(root, "<dt>Tokens</dt>", "</dd>") ?? ""
            #expect(fact == "<dd>6 of its own", "branches/r1/0.html: \(fact)")
            let child = try Kit.text(site.appendingPathComponent("branches/r1.a/0.html"))
            #expect(Kit.between(child, "<dt>Tokens</dt>", "</dd>") == "<dd>4 of its own, after 6 inherited")
        }
    }

    @Test("each plot's caption gives its fitted and covered token counts; only position_mean says how many tokens it leaves out")
    func excludedNote() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let layer = try Kit.text(site.appendingPathComponent("layers/0.html"))
            #expect(layer.contains("<span class=\"note\">1 token"), "no note on the one excluded token")
            let report = try Kit.reportObject(site)
            let measures = try #require((report["layers"] as? [[String: Any]])?.first?["views"] as? [String: [String: Any]])
            let figures = layer.components(separatedBy: "<figure class=\"plot\">").dropFirst()
            let views = try Kit.settingsViews(site)
            try #require(figures.count == views.count)
            for (name, figure) in zip(views, figures) {
                #expect(figure.contains("<code>\(name)</code>"), "plots not in settings.views order")
                let m = try #require(measures[name])
                let tokens = try #require(m["tokens"] as? Int), fit = try #require(m["fit_tokens"] as? Int)
                #expect(figure.contains("PCA of \(fit) of \(tokens) tokens"), "\(name): caption lacks its token counts")
                #expect(figure.contains("<span class=\"note\">") == name.hasPrefix("position_mean"), "\(name): note")
            }
            #expect(layer.contains("PCA of 25 of 25 tokens") && layer.contains("PCA of 26 of 26 tokens"))
        }
    }

    /// The note under position_mean gives a reason for the tokens it leaves out. With massive
    /// activations kept out of fits, a position can lose its support because its only tokens
    /// are massive (every root's first token in the demo's middle layers), although several
    /// branches hold it: the note must not then say they sit "at positions seen in only one branch".
    @Test("the position_mean note's reason is true of the tokens it leaves out (massive first tokens)")
    func excludedNoteReason() throws {
        let info = try Kit.runInfo(Fixtures.topicsMini)
        try Kit.withBuiltSite(run: Fixtures.topicsMini) { site, _ in
            let massive = try Kit.massiveTokens(try Kit.reportObject(site), info)
            let ids = info.tokenBranchIDs, positions = info.tokenPositions
            var branchesAt = [Int: Set<String>]()
            for t in positions.indices { branchesAt[positions[t], default: []].insert(ids[t]) }
            var checked = 0
            for l in info.layers {
                let html = try Kit.text(site.appendingPathComponent("layers/\(l).html"))
                let figure = try #require(html.components(separatedBy: "<figure class=\"plot\">").first { $0.contains("<code>position_mean</code>") })
                let left = Set(0..<info.tokenCount).subtracting(info.supportedTokens(excluding: massive[l] ?? []))
                guard let note = Kit.between(figure, "<span class=\"note\">", "</span>") else {
                    #expect(left.isEmpty, "layer \(l): \(left.count) tokens left out without a note")
                    continue
                }
                #expect(note.hasPrefix("\(left.count) token"), "layer \(l): \(note)")
                if note.contains("seen in only one branch") {
                    let wrong = left.filter { branchesAt[positions[$0]]!.count >= 2 }
                    #expect(wrong.isEmpty, "layer \(l): the note says \"\(note)\", but \(wrong.count) of them are at positions held by several branches (massive tokens: \((massive[l] ?? []).sorted()))")
                }
                checked += 1
            }
            #expect(checked > 0, "no layer of the demo leaves tokens out of position_mean")
        }
    }
}
