import Foundation
import Testing
@testable import Forkscope

/// Examples/topics-mini (13 branches, 7 layers of a real SmolLM2 run) built end to end.
@Suite("End to end: Examples/topics-mini")
struct EndToEndTests {
    typealias Kit = SiteTestKit

    @Test("every branch page and layer page and CSV exists; nothing else but index, style, report, marker")
    func fileSet() throws {
        let info = try Kit.runInfo(Kit.topicsMini)
        #expect(info.branches.count == 13 && info.layers.count == 7)
        try Kit.withBuiltSite(run: Kit.topicsMini) { site, result in
            var expected: Set<String> = ["index.html", "style.css", "report.json", SiteWriter.marker]
            for l in info.layers {
                expected.formUnion(["layers/\(l).html", "layers/\(l).csv"])
                for b in info.branches { expected.insert("branches/\(b.id)/\(l).html") }
            }
            let written = Set(try Kit.snapshot(site).keys)
            #expect(written == expected, "extra: \(written.subtracting(expected).sorted()) missing: \(expected.subtracting(written).sorted())")
            #expect(result.files == 3 + 2 * 7 + 13 * 7)
            #expect(result.warnings.isEmpty, "\(result.warnings)")
        }
    }

    @Test("index.html lists every branch and every layer, with links")
    func indexListsEverything() throws {
        let info = try Kit.runInfo(Kit.topicsMini)
        try Kit.withBuiltSite(run: Kit.topicsMini) { site, _ in
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            let hrefs = Kit.attributeValues("href", in: index)
            let tree = try #require(Kit.between(index, "<ul class=\"tree\">", "</ul>"))
            #expect(Kit.count("<li", in: tree) == info.branches.count)
            for b in info.branches {
                #expect(tree.contains(">\(Kit.escape(b.label))</a> <code class=\"id\">\(Kit.escape(b.id))</code>"), "branch \(b.id) not listed")
                #expect(hrefs.contains { $0.hasPrefix("branches/\(b.id)/") && $0.hasSuffix(".html") }, "no link to branch \(b.id)")
            }
            // Branches listed in tree order: each child right after its parent's subtree starts.
            var lastPosition = [String: String.Index]()
            for b in info.branches {
                let r = try #require(tree.range(of: "<code class=\"id\">\(b.id)</code>"))
                if let p = b.parent, let pr = lastPosition[p] { #expect(pr < r.lowerBound, "\(b.id) listed before its parent") }
                lastPosition[b.id] = r.lowerBound
            }
            let table = try #require(Kit.between(index, "<table class=\"layers\">", "</table>"))
            for l in info.layers {
                #expect(table.contains("<a href=\"layers/\(l).html\">\(l)</a>"), "layer \(l) not linked")
                #expect(table.contains("href=\"layers/\(l).csv\""), "layer \(l) CSV not linked")
            }
            #expect(Kit.count("<tr><th><a href=\"layers/", in: table) == info.layers.count)
        }
    }

    @Test("every relative href/src of every page resolves to a file of the site; no remote URLs")
    func linksResolve() throws {
        try Kit.withBuiltSite(run: Kit.topicsMini) { site, _ in
            let root = site.standardizedFileURL.path
            var checked = 0
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                let pageDir = site.appendingPathComponent(page).deletingLastPathComponent()
                for raw in Kit.attributeValues("href", in: html) + Kit.attributeValues("src", in: html) {
                    let link = Kit.unescape(raw)
                    let lower = link.lowercased()
                    #expect(!lower.contains("://") && !lower.hasPrefix("//") && !lower.hasPrefix("javascript:"),
                            "\(page): non-local link \(link)")
                    if lower.hasPrefix("data:") { continue }
                    if link.hasPrefix("#") {
                        #expect(html.contains("id=\"\(link.dropFirst())\""), "\(page): no element with id for \(link)")
                        continue
                    }
                    let path = String(link.prefix { $0 != "#" && $0 != "?" })
                    #expect(!path.isEmpty, "\(page): empty link")
                    let target = pageDir.appendingPathComponent(path).standardizedFileURL.path
                    #expect(target.hasPrefix(root + "/"), "\(page): \(link) leaves the site")
                    #expect(FileManager.default.fileExists(atPath: target), "\(page): \(link) -> missing \(target)")
                    checked += 1
                }
                // Remote URLs in any attribute: only the SVG namespace is allowed.
                let re = try NSRegularExpression(pattern: "\\s([A-Za-z:-]+)=\"(https?://[^\"]*)\"")
                for m in re.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
                    let name = (html as NSString).substring(with: m.range(at: 1))
                    let value = (html as NSString).substring(with: m.range(at: 2))
                    #expect(name == "xmlns" && value == "http://www.w3.org/2000/svg", "\(page): \(name)=\"\(value)\"")
                }
            }
            #expect(checked > 13 * 7 * 10, "suspiciously few links checked: \(checked)")
            let css = try Kit.text(site.appendingPathComponent("style.css"))
            #expect(!css.contains("http://") && !css.contains("https://") && !css.contains("@import"))
        }
    }

    @Test("layer pages: two scatter plots; one point per token in raw, the supported tokens in position_mean")
    func layerPlots() throws {
        let info = try Kit.runInfo(Kit.topicsMini)
        try Kit.withBuiltSite(run: Kit.topicsMini) { site, _ in
            for l in info.layers {
                let html = try Kit.text(site.appendingPathComponent("layers/\(l).html"))
                let scatters = Kit.svgFragments(html).filter { $0.hasPrefix("<svg") && $0.prefix(200).contains("class=\"scatter\"") }
                #expect(scatters.count == 2, "layer \(l): \(scatters.count) scatter plots")
                let figures = html.components(separatedBy: "<figure class=\"plot\">").dropFirst()
                #expect(figures.count == 2)
                let raw = try #require(figures.first { $0.contains("<code>raw</code>") }.flatMap { Kit.svgFragments($0).first })
                let mean = try #require(figures.first { $0.contains("<code>position_mean</code>") }.flatMap { Kit.svgFragments($0).first })
                #expect(Kit.count("class=\"pt\"", in: raw) == info.tokenCount, "layer \(l) raw")
                #expect(Kit.count("class=\"pt\"", in: mean) == info.supportedTokenCount, "layer \(l) position_mean")
                #expect(Kit.count("class=\"root-start\"", in: raw) == info.roots)
                for (i, _) in info.branches.enumerated() {
                    #expect(Kit.count("<g class=\"series b\(i)\"", in: raw) == 1)
                }
                for svg in scatters { #expect(Kit.xmlError(svg) == nil, "layer \(l): SVG does not parse") }
                // The legend names every branch and links to its page at this layer.
                let legend = try #require(Kit.between(html, "<ul class=\"legend\">", "</ul>"))
                for b in info.branches {
                    #expect(legend.contains("href=\"../branches/\(b.id)/\(l).html\""), "legend lacks \(b.id)")
                }
            }
        }
    }

    @Test("branch pages: one table row per own token, the text holds inherited + own tokens")
    func branchTables() throws {
        let info = try Kit.runInfo(Kit.topicsMini)
        let byID = Dictionary(uniqueKeysWithValues: info.branches.map { ($0.id, $0) })
        try Kit.withBuiltSite(run: Kit.topicsMini) { site, _ in
            for b in info.branches {
                for l in info.layers {
                    let html = try Kit.text(site.appendingPathComponent("branches/\(b.id)/\(l).html"))
                    let body = try #require(Kit.between(html, "<tbody>", "</tbody>"))
                    #expect(Kit.count("<tr>", in: body) == b.tokens.count, "\(b.id) layer \(l)")
                    let text = try #require(Kit.between(html, "<p class=\"text\">", "</p>"))
                    #expect(Kit.count("<span class=\"tok inherited\"", in: text) == info.inheritedCount(b.id), "\(b.id)")
                    #expect(Kit.count("<span class=\"tok\"", in: text) == b.tokens.count, "\(b.id)")
                    if let p = b.parent {
                        #expect(html.contains("href=\"../../branches/\(p)/\(l).html\""), "\(b.id) lacks link to parent \(p)")
                        #expect(byID[p] != nil)
                    }
                }
            }
        }
    }

    @Test("building twice gives byte-identical sites (fresh folder and rebuild in place)")
    func deterministic() throws {
        try Kit.withTempFolder { tmp in
            let one = tmp.appendingPathComponent("one"), two = tmp.appendingPathComponent("two")
            _ = try Build.run(BuildOptions(run: Kit.topicsMini, out: one.path))
            let first = try Kit.snapshot(one)
            _ = try Build.run(BuildOptions(run: Kit.topicsMini, out: two.path))
            let second = try Kit.snapshot(two)
            #expect(first.count == second.count && first.count > 100)
            #expect(Set(first.keys) == Set(second.keys))
            for (path, data) in first where second[path] != data {
                Issue.record("\(path) differs between two builds")
            }
            _ = try Build.run(BuildOptions(run: Kit.topicsMini, out: one.path))
            #expect(try Kit.snapshot(one) == first, "rebuilding in place changed the site")
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["one", "two"])
        }
    }

    @Test("the progress callback reports every layer, then rendering and writing")
    func progress() throws {
        try Kit.withTempFolder { tmp in
            var messages = [String]()
            _ = try Build.run(BuildOptions(run: Kit.treeF32, out: tmp.appendingPathComponent("s").path)) { messages.append($0) }
            #expect(messages.filter { $0.hasPrefix("layer ") }.count == 3)
            #expect(messages.contains("rendering"))
            #expect(messages.last?.hasPrefix("writing") == true)
        }
    }

    @Test("a run folder that does not exist is an InputError and writes nothing")
    func missingRun() throws {
        try Kit.withTempFolder { tmp in
            let out = tmp.appendingPathComponent("site")
            #expect(throws: InputError.self) {
                try Build.run(BuildOptions(run: tmp.appendingPathComponent("nope").path, out: out.path))
            }
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }
}
