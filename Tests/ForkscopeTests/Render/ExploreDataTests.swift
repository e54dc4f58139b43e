import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// The explorer's data block (`ExploreData`, issue 22), read back from built layer pages: the
/// same tokens, coordinates and clusters as the layer's CSV, a plot entry per `data-plot`, a frame
/// that places each token where the static plot drew it, and hostile text kept inert.
@Suite("Explorer data")
struct ExploreDataTests {
    /// The block's keys the tests read (a mirror of the documented format, decoded independently).
    struct Block: Decodable {
        struct Branch: Decodable { var id: String; var root: Int; var fork: Int?; var start: Int; var count: Int; var href: String }
        struct Root: Decodable { var id: String }
        struct Frame: Decodable { var left, top, width, height, inset, xMin, yMin, scale: Double }
        struct Plot: Decodable { var id: String; var view: String; var layout: String; var frame: Frame; var x: [Double?]; var y: [Double?]; var cluster: [Int?]? }
        var format: String
        var layer: Int
        var layers: [Int]
        var layerHrefs: [String]
        var branches: [Branch]
        var roots: [Root]
        var text: [String]
        var position: [Int]
        var norm: [Double]
        var plots: [Plot]
    }

    static func block(_ html: String) throws -> (text: String, block: Block) {
        let text = try #require(SiteTestKit.between(html, "<script type=\"application/json\" id=\"explore-data\">", "</script>"))
        return (text, try JSONDecoder().decode(Block.self, from: Data(text.utf8)))
    }

    /// The layer CSV's rows as name → value.
    static func csvRows(_ url: URL) throws -> [[String: String]] {
        let lines = try SiteTestKit.text(url).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        // The planted run's tokens hold no comma or quote, so a plain split reads the CSV.
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    /// The planted run of `ReadablePlotsTests` built (raw and position_mean, PCA and UMAP): its
    /// layer page, the page's block and the site.
    static func withPlantedPage(_ body: (_ html: String, _ data: Block, _ site: URL) throws -> Void) throws {
        try TemporaryFolder.with { dir in
            let run = dir.appendingPathComponent("run"), site = dir.appendingPathComponent("site")
            try ReadablePlotsTests.writePlantedRun(at: run)
            try ReadablePlotsTests.build(run, site)
            let html = try SiteTestKit.text(site.appendingPathComponent("layers/0.html"))
            try body(html, try Self.block(html).block, site)
        }
    }

    @Test("the block gives the CSV's tokens, coordinates and clusters, a plot per data-plot")
    func matchesTheCSV() throws {
        try Self.withPlantedPage { html, data, site in
            let rows = try Self.csvRows(site.appendingPathComponent("layers/0.csv"))
            #expect(data.format == "forkscope.explore/1")
            #expect(data.layer == 0 && data.layers == [0] && data.layerHrefs == ["../layers/0.html"])
            #expect(data.text == rows.map { $0["token"]! })
            #expect(data.position.map(String.init) == rows.map { $0["position"]! })
            for (t, row) in rows.enumerated() {
                #expect(abs(data.norm[t] - Double(row["norm"]!)!) <= 5e-4 * Double(row["norm"]!)!)
            }
            #expect(data.plots.map(\.id) == SiteTestKit.attributeValues("data-plot", in: html))
            #expect(Set(data.plots.map(\.id)) == ["raw-pca", "raw-umap", "position_mean-pca", "position_mean-umap"])
            // Branches tile the run in order; children fork after their parent's last token.
            var next = 0
            for b in data.branches {
                #expect(b.start == next)
                next += b.count
                #expect(rows[b.start]["branch"] == b.id && rows[b.start]["token_index"] == "0")
                #expect(b.href.hasPrefix("../branches/") && b.href.hasSuffix("/0.html"))
            }
            #expect(next == rows.count)
            let r0c0 = try #require(data.branches.first { $0.id == "r0.c0" })
            #expect(r0c0.fork == 23 && data.roots[r0c0.root].id == "r0")
            for plot in data.plots {
                let (cx, cy) = plot.layout == "pca" ? ("\(plot.view)_pc1", "\(plot.view)_pc2") : ("\(plot.view)_umap1", "\(plot.view)_umap2")
                let tolerance = 0.006 / plot.frame.scale
                for (t, row) in rows.enumerated() {
                    let csv = (Double(row[cx]!), Double(row[cy]!))
                    if let x = csv.0, let y = csv.1 {
                        let (bx, by) = (try #require(plot.x[t]), try #require(plot.y[t]))
                        #expect(abs(bx - x) <= tolerance && abs(by - y) <= tolerance, "\(plot.id) token \(t)")
                    } else {
                        #expect(plot.x[t] == nil && plot.y[t] == nil)
                    }
                }
                let clusters = try #require(plot.cluster, "\(plot.id): the build clusters every view")
                #expect(clusters.map { $0.map(String.init) ?? "" } == rows.map { $0["\(plot.view)_cluster"]! })
            }
        }
    }

    @Test("the frame places each token where the static plot drew its marker")
    func frameMatchesTheDrawing() throws {
        try Self.withPlantedPage { html, data, _ in
            for (plot, svg) in zip(data.plots, SiteTestKit.svgFragments(html).filter { $0.contains("data-plot=") }) {
                let f = plot.frame
                let markers = ReadablePlotsTests.markers(svg).filter { $0.kind == "pt" }
                #expect(markers.count > 100)
                // Every drawn marker is the drawing of some token's block coordinates (0.1-unit rounding).
                let placed = plot.x.indices.compactMap { t -> (Double, Double)? in
                    guard let x = plot.x[t], let y = plot.y[t] else { return nil }
                    return (f.left + f.inset + (x - f.xMin) * f.scale, f.top + f.height - f.inset - (y - f.yMin) * f.scale)
                }
                for m in markers {
                    #expect(placed.contains { abs($0.0 - m.x) <= 0.07 && abs($0.1 - m.y) <= 0.07 }, "\(plot.id) marker at \(m.x), \(m.y)")
                }
            }
        }
    }

    @Test("hostile token text cannot end the block and decodes back unchanged")
    func hostileText() throws {
        let hostile = ["</script><script>alert(1)</script>", "<!--", "x\u{2028}y\u{2029}", "&amp;<b>", "</SCRIPT >", "a\u{202E}b"]
        try TemporaryFolder.with { dir in
            let run = dir.appendingPathComponent("run"), site = dir.appendingPathComponent("site")
            let branches: [SiteTestKit.SynthBranch] = [
                .init(id: "</script>", label: "<!-- label", tokens: hostile, positions: Array(0..<6)),
                .init(id: "b", label: "b", tokens: ["p", "q", "r", "s", "t", "u"], positions: Array(0..<6)),
            ]
            try SiteTestKit.writeRun(at: run, branches: branches, layers: [0], hidden: 4)
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            let html = try SiteTestKit.text(site.appendingPathComponent("layers/0.html"))
            let (text, data) = try Self.block(html)
            for forbidden in ["<", ">", "&", "'", "\u{2028}", "\u{2029}", "\u{202E}"] {
                #expect(!text.contains(forbidden), "the block holds \(forbidden.unicodeScalars.map { String($0.value, radix: 16) })")
            }
            #expect(data.text == hostile + ["p", "q", "r", "s", "t", "u"])
            #expect(data.branches[0].id == "</script>")
            #expect(SiteTestKit.count("<script", in: html) == 2)
        }
    }

    @Test("every page carries a script-src 'self' policy; only layer pages load the explorer")
    func policy() throws {
        try SiteTestKit.withBuiltSite(run: Fixtures.run("synthetic").path) { site, _ in
            for page in try SiteTestKit.htmlPages(site) {
                let html = try SiteTestKit.text(site.appendingPathComponent(page))
                #expect(html.contains("default-src 'none'; script-src 'self';"), "\(page)")
                #expect(!html.contains("unsafe-eval"))
                let scripts = SiteTestKit.count("<script", in: html)
                let isLayer = page.hasPrefix("layers/") && !page.contains("-clusters-")
                #expect(scripts == (isLayer ? 2 : 0), "\(page): \(scripts) scripts")
                if isLayer { #expect(html.contains("<script src=\"../explore.js\" defer></script>")) }
            }
            #expect(try SiteTestKit.text(site.appendingPathComponent("explore.js")) == Theme.default.script)
            #expect(Theme.default.script.contains("forkscope.explore/1"))
        }
    }
}
