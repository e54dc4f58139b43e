import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// Examples/topics-mini (13 branches, layers 0, 6, …, 30 of a real SmolLM2 run, with a zero_pe
/// variant) built end to end.
@Suite("End to end: Examples/topics-mini")
struct EndToEndTests {
    typealias Kit = SiteTestKit

    @Test("every branch page, layer page, CSV and clusters page (raw and recommended) exists; nothing else but index, 404, style, highlight, explore, report, marker")
    func fileSet() throws {
        let info = try Kit.runInfo(Fixtures.topicsMini)
        #expect(info.branches.count == 13 && info.layers == [0, 6, 12, 18, 24, 30])
        #expect(info.variants == ["zero_pe"])
        try Kit.withBuiltSite(run: Fixtures.topicsMini) { site, result in
            var expected: Set<String> = ["index.html", "404.html", "style.css", "highlight.css", "explore.js", "report.json", SiteWriter.marker]
            let recommended = try #require(try Kit.reportObject(site)["recommended_view"] as? String)
            for l in info.layers {
                expected.formUnion(["layers/\(l).html", "layers/\(l).csv", "layers/\(l)-clusters-raw.html",
                                    "layers/\(l)-clusters-\(recommended.replacingOccurrences(of: "+", with: "_")).html"])
                for b in info.branches { expected.insert("branches/\(b.id)/\(l).html") }
            }
            let written = Set(try Kit.snapshot(site).keys)
            #expect(written == expected, "extra: \(written.subtracting(expected).sorted()) missing: \(expected.subtracting(written).sorted())")
            #expect(result.files == 6 + 4 * 6 + 13 * 6)
            #expect(result.warnings.isEmpty, "\(result.warnings)")
        }
    }

    @Test("index.html lists every branch and every layer, with links")
    func indexListsEverything() throws {
        let info = try Kit.runInfo(Fixtures.topicsMini)
        try Kit.withBuiltSite(run: Fixtures.topicsMini) { site, _ in
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
        try Kit.withBuiltSite(run: Fixtures.topicsMini) { site, _ in
            let root = site.standardizedFileURL.path
            var checked = 0
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                let pageDir = site.appendingPathComponent(page).deletingLastPathComponent()
                for raw in Kit.attributeValues("href", in: html) + Kit.attributeValues("src", in: html) {
                    let link = Kit.unescape(raw)
                    let lower = link.lowercased()
                    if lower.hasPrefix("data:") { continue }  // the inline favicon, whose SVG names its namespace
                    #expect(!lower.contains("://") && !lower.hasPrefix("//") && !lower.hasPrefix("javascript:"),
                            "\(page): non-local link \(link)")
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
            #expect(checked > 13 * 6 * 10, "suspiciously few links checked: \(checked)")
            let css = try Kit.text(site.appendingPathComponent("style.css"))
            #expect(!css.contains("http://") && !css.contains("https://") && !css.contains("@import"))
        }
    }

    @Test("layer pages: a plot per view of settings.views, one point per covered token; raw covers every token, position_mean the supported ones")
    func layerPlots() throws {
        let info = try Kit.runInfo(Fixtures.topicsMini)
        try Kit.withBuiltSite(run: Fixtures.topicsMini) { site, _ in
            let report = try Kit.reportObject(site)
            let views = try Kit.settingsViews(site)
            #expect(views == Kit.defaultViews(info) && views.contains("zero_pe"))
            let massiveByLayer = try Kit.massiveTokens(report, info)
            let layers = try #require(report["layers"] as? [[String: Any]])
            #expect(massiveByLayer.values.contains { !$0.isEmpty }, "the demo's sink token is massive in some layers")
            // UMAP by default for the raw view and the recommended one (`--umap-views auto`).
            let recommended = try #require(report["recommended_view"] as? String)
            let laidOut = ["raw", recommended]
            let umapSettings = try #require((report["settings"] as? [String: Any])?["umap"] as? [String: Any])
            #expect(umapSettings["views"] as? [String] == laidOut && umapSettings["view_selection"] as? String == "auto")
            for (l, layer) in zip(info.layers, layers) {
                let measures = try #require(layer["views"] as? [String: [String: Any]])
                let massive = massiveByLayer[l] ?? []
                let html = try Kit.text(site.appendingPathComponent("layers/\(l).html"))
                let scatters = Kit.svgFragments(html).filter { $0.hasPrefix("<svg") && $0.prefix(200).contains("class=\"scatter") }
                // A PCA plot per view, and a UMAP plot below it for the two views laid out.
                #expect(scatters.count == views.count + laidOut.count, "layer \(l): \(scatters.count) scatter plots")
                let figures = Array(html.components(separatedBy: "<figure class=\"plot\">").dropFirst())
                try #require(figures.count == views.count, "layer \(l): \(figures.count) figures")
                for (name, figure) in zip(views, figures) {
                    let at = "layer \(l) \(name)"
                    #expect(figure.contains("<code>\(name)</code>"), "\(at): plots not in settings.views order")
                    let svg = try #require(Kit.svgFragments(figure).first)
                    let tokens = try #require(measures[name]?["tokens"] as? Int)
                    let expected = name.hasPrefix("position_mean") ? info.supportedTokens(excluding: massive).count : info.tokenCount
                    #expect(tokens == expected, "\(at): report.json tokens")
                    #expect(measures[name]?["pca_explained_variance"] is [Any], "\(at): no layout")
                    // The UMAP plot: the view's fit tokens only (no massive ones), and a note of the
                    // alignment; a view without one says why.
                    #expect((measures[name]?["umap_trustworthiness"] is Double) == laidOut.contains(name), "\(at): umap_trustworthiness")
                    if laidOut.contains(name) {
                        let umap = try #require(Kit.svgFragments(figure).dropFirst().first, "\(at): no UMAP plot")
                        let fitTokens = try #require(measures[name]?["fit_tokens"] as? Int)
                        #expect(Kit.markerCount(umap) == fitTokens, "\(at): UMAP points")
                        #expect(figure.contains("orthogonal Procrustes") == (name != "raw"), "\(at): alignment note")
                    } else {
                        let plots = Kit.svgFragments(figure).filter { $0.prefix(200).contains("class=\"scatter") }
                        #expect(plots.count == 1 && figure.contains("No UMAP for this view"), "\(at): UMAP note")
                    }
                    #expect(Kit.markerCount(svg) == expected, "\(at): points")
                    // Massive tokens are drawn, at the edge, with a marker (position_mean covers none of the demo's).
                    let coveredMassive = name.hasPrefix("position_mean") ? Set(info.supportedTokens(excluding: massive)).intersection(massive) : massive
                    #expect(Kit.count("<g class=\"massive\">", in: svg) == coveredMassive.count, "\(at): massive markers")
                    for i in info.branches.indices {
                        // A group of points per branch, and one of its trajectory under every branch's points.
                        #expect(Kit.count("<g class=\"series b\(i)\" fill=", in: svg) == 1, "\(at): series b\(i)")
                        #expect(Kit.count("<g class=\"series b\(i)\">", in: svg) <= 1, "\(at): trajectory b\(i)")
                    }
                    #expect(Kit.xmlError(svg) == nil, "\(at): SVG does not parse")
                }
                let raw = try #require(Kit.svgFragments(figures[0]).first)
                #expect(Kit.count("class=\"root-start\"", in: raw) == info.roots)
                // The legend names every branch and links to its page at this layer.
                let legend = try #require(Kit.between(html, "<ul class=\"legend\">", "</ul>"))
                for b in info.branches {
                    #expect(legend.contains("href=\"../branches/\(b.id)/\(l).html\""), "legend lacks \(b.id)")
                }
            }
        }
    }

    @Test("index.html: the layer sweep has a chart per measure, a line per view with a point per layer at the report's value")
    func layerSweep() throws {
        let info = try Kit.runInfo(Fixtures.topicsMini)
        try Kit.withBuiltSite(run: Fixtures.topicsMini) { site, _ in
            let report = try Kit.reportObject(site)
            let views = try Kit.settingsViews(site)
            let titles = try #require(report["views"] as? [String: [String: Any]]).mapValues { $0["title"] as? String ?? "" }
            let layers = try #require(report["layers"] as? [[String: Any]])
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            let charts = Kit.svgFragments(index).filter { $0.contains("class=\"sweep\"") }
            try #require(charts.count == Measure.catalogue.filter(\.shown).count)
            for (entry, chart) in zip(Measure.catalogue.filter(\.shown), charts) {
                #expect(Kit.xmlError(chart) == nil, "\(entry.id): SVG does not parse")
                let lines = chart.components(separatedBy: "<g class=\"line").dropFirst()
                let solid = lines.filter { $0.hasPrefix("\"") }, dashed = lines.filter { $0.hasPrefix(" chance\"") }
                #expect(solid.count == views.count, "\(entry.id): \(solid.count) lines")
                #expect(dashed.count == (entry.chance == nil ? 0 : 1), "\(entry.id): chance line")
                var points = [(value: Double, cy: Double)]()
                for (name, line) in zip(views, solid) {
                    let title = try #require(titles[name])
                    #expect(line.contains("<title>\(Kit.escape(title))</title>"), "\(entry.id): line of \(name) not in view order")
                    let circles = Kit.elements("<circle", in: line)
                    // umap_trustworthiness has values only for the views laid out (raw and the recommended one).
                    if entry.id == ProjectionKind.umap.trustworthinessMeasure, name != "raw", name != report["recommended_view"] as? String {
                        #expect(circles.isEmpty, "\(entry.id) \(name): points without a UMAP")
                        continue
                    }
                    #expect(circles.count == info.layers.count, "\(entry.id) \(name): \(circles.count) points")
                    for (l, layer) in zip(info.layers, layers) {
                        let measures = try #require(layer["views"] as? [String: [String: Any]])
                        let value = try #require(measures[name]?[entry.id.rawValue] as? Double, "\(entry.id) \(name) layer \(l) is null")
                        #expect(line.contains("<title>\(Kit.escape(title)), layer \(l): \(NumberFormat.figure(value))</title>"),
                                "\(entry.id) \(name) layer \(l): no point titled with \(value)")
                        if let c = circles.dropFirst(info.layers.firstIndex(of: l)!).first, let cy = Kit.number("cy", of: c) {
                            points.append((value, cy))
                        }
                    }
                }
                // Larger values are drawn higher (smaller y), to the 0.01 the coordinates are written with.
                for a in points { for b in points where a.value > b.value {
                    #expect(a.cy <= b.cy + 0.01, "\(entry.id): \(a.value) drawn below \(b.value)")
                } }
            }
        }
    }

    @Test("branch pages: one table row per own token, the text holds inherited + own tokens")
    func branchTables() throws {
        let info = try Kit.runInfo(Fixtures.topicsMini)
        let byID = Dictionary(uniqueKeysWithValues: info.branches.map { ($0.id, $0) })
        try Kit.withBuiltSite(run: Fixtures.topicsMini) { site, _ in
            for b in info.branches {
                for l in info.layers {
                    let html = try Kit.text(site.appendingPathComponent("branches/\(b.id)/\(l).html"))
                    let body = try #require(Kit.between(html, "<tbody>", "</tbody>"))
                    #expect(Kit.count("<tr id=\"t", in: body) == b.tokens.count, "\(b.id) layer \(l)")
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
        try TemporaryFolder.with { tmp in
            let one = tmp.appendingPathComponent("one"), two = tmp.appendingPathComponent("two")
            _ = try Build.run(BuildOptions(run: Fixtures.topicsMini, out: one.path))
            let first = try Kit.snapshot(one)
            _ = try Build.run(BuildOptions(run: Fixtures.topicsMini, out: two.path))
            let second = try Kit.snapshot(two)
            let info = try Kit.runInfo(Fixtures.topicsMini)
            // index, style, highlight, explore.js, report, 404; a page, CSV and two clusters pages per layer; + the marker
            #expect(first.count == 6 + 4 * info.layers.count + info.branches.count * info.layers.count + 1)
            #expect(Set(first.keys) == Set(second.keys))
            for (path, data) in first where second[path] != data {
                Issue.record("\(path) differs between two builds")
            }
            _ = try Build.run(BuildOptions(run: Fixtures.topicsMini, out: one.path))
            #expect(try Kit.snapshot(one) == first, "rebuilding in place changed the site")
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["one", "two"])
        }
    }

    /// Build.run analyses the layers concurrently (`threads` workers, each with single-threaded
    /// BLAS, and UMAP inside each layer on as many threads). The same layers analysed one after
    /// another, in reverse order, on one thread, and rendered must give the very same bytes,
    /// UMAP layouts included: nothing may depend on which worker finished first or how many there are.
    @Test("layers analysed one at a time on one thread (in reverse) render the same bytes as a build on 3 threads")
    func concurrentEqualsSerial() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("concurrent")
            var build = BuildOptions(run: Fixtures.topicsMini, out: out.path)
            build.analysis.threads = 3
            build.analysis.umapViews = .all    // every view's UMAP, so that all of them are compared
            let result = try Build.run(build)
            let built = try Kit.snapshot(out)
            #expect(String(decoding: built["layers/12.csv"] ?? Data(), as: UTF8.self).contains("position_mean_umap1"))

            let reader = try RunReader(directory: Fixtures.topicsMini)
            let run = reader.run
            var options = LayerAnalysis.Options()
            options.threads = 1
            options.umapViews = .all
            BLASThreads.set(1)
            var analyses = [LayerAnalysis]()
            for slice in run.layers.indices.reversed() {
                analyses.insert(LayerAnalysis(layer: run.layers[slice], states: try reader.states(slice: slice),
                                              zeroPE: try reader.states(slice: slice, variant: "zero_pe"), run: run, options: options),
                                at: 0)
            }
            let report = Build.report(run: run, analyses: analyses, options: options, warnings: reader.warnings)
            let rendered = try SiteRenderer(run: run, analyses: analyses, report: report, options: options, commentary: Commentary(),
                                            theme: .default).files()
            let files = try Publishing(baseURL: nil, environment: [:])
                .adding(to: rendered, theme: .default, siteTitle: TokenText.visible(run.title), dataFile: "report.json")
            #expect(files.count == result.files)
            #expect(Set(files.map(\.path)) == Set(built.keys).subtracting([SiteWriter.marker]))
            for file in files where built[file.path] != file.contents {
                Issue.record("\(file.path) differs between the concurrent build and the serial analysis")
            }
        }
    }

    /// Progress messages, collected from whichever worker thread reports them.
    final class Messages: @unchecked Sendable {
        private let lock = NSLock()
        private var list = [String]()
        func append(_ m: String) { lock.withLock { list.append(m) } }
        var all: [String] { lock.withLock { list } }
    }

    @Test("the progress callback reports every layer (counting up to all of them), then rendering and writing")
    func progress() throws {
        try TemporaryFolder.with { tmp in
            let collected = Messages()
            _ = try Build.run(BuildOptions(run: Fixtures.treeF32, out: tmp.appendingPathComponent("s").path)) { collected.append($0) }
            let messages = collected.all
            // Layers are analysed concurrently, so reports may arrive out of order, but each count comes once.
            // "analysing layers: 2/3 (66%), about 1 s left": count, percent, time left.
            let layers = messages.filter { $0.hasPrefix("analysing layers: ") }
            #expect(layers.map { $0.split(separator: " ")[2] }.sorted() == ["1/3", "2/3", "3/3"], "\(messages)")
            #expect(layers.map { $0.split(separator: " ")[3] }.sorted() == ["(100%),", "(33%),", "(66%),"], "\(messages)")
            #expect(layers.allSatisfy { $0.hasSuffix(" s left") })
            #expect(layers.contains { $0.contains("3/3") && $0.hasSuffix("about 0 s left") })
            let rendering = try #require(messages.firstIndex(of: "rendering"))
            #expect(messages.prefix(rendering).filter { $0.hasPrefix("analysing layers: ") }.count == 3, "rendering before every layer was analysed")
            #expect(messages.last?.hasPrefix("writing") == true)
        }
    }

    @Test("a run folder that does not exist is an InputError and writes nothing")
    func missingRun() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site")
            #expect(throws: InputError.self) {
                try Build.run(BuildOptions(run: tmp.appendingPathComponent("nope").path, out: out.path))
            }
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    @Test("--umap-layers limits UMAP to those layers (plots, CSV columns, report); --projections pca turns it off; an unknown layer is a SettingError")
    func umapLayers() throws {
        try TemporaryFolder.with { tmp in
            let info = try Kit.runInfo(Fixtures.treeF32)
            let chosen = try #require(info.layers.last)
            var options = BuildOptions(run: Fixtures.treeF32, out: tmp.appendingPathComponent("some").path)
            options.analysis.umapLayers = [chosen]
            _ = try Build.run(options)
            let site = tmp.appendingPathComponent("some")
            let report = try Kit.reportObject(site)
            let umap = try #require((report["settings"] as? [String: Any])?["umap"] as? [String: Any])
            #expect(umap["layers"] as? [Int] == [chosen])
            #expect(umap["aligned_to"] as? String == "raw")
            for l in info.layers {
                let csv = try Kit.text(site.appendingPathComponent("layers/\(l).csv"))
                let html = try Kit.text(site.appendingPathComponent("layers/\(l).html"))
                #expect(csv.contains("raw_umap1") == (l == chosen), "layer \(l) CSV")
                #expect(html.contains("UMAP of") == (l == chosen), "layer \(l) page")
            }

            options.out = tmp.appendingPathComponent("none").path
            options.analysis.umapLayers = nil
            options.analysis.projections = [.pca]
            _ = try Build.run(options)
            let off = try Kit.reportObject(tmp.appendingPathComponent("none"))
            #expect((off["settings"] as? [String: Any])?["projections"] as? [String] == ["pca"])
            #expect((off["settings"] as? [String: Any])?["umap"] is NSNull)
            #expect(!(try Kit.text(tmp.appendingPathComponent("none/layers/\(chosen).csv"))).contains("_umap1"))

            options.out = tmp.appendingPathComponent("bad").path
            options.analysis.projections = [.pca, .umap]
            options.analysis.umapLayers = [chosen, 999]
            #expect(throws: SettingError.umapLayers(run: (Fixtures.treeF32 as NSString).appendingPathComponent("run.json"), missing: [999])) { try Build.run(options) }
            #expect(!FileManager.default.fileExists(atPath: options.out))
        }
    }
}
