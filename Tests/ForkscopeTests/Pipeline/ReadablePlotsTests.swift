import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// The layer pages' plots read at real sizes (issue 21): robust frames that planted outliers do
/// not decide, the outliers drawn at the edge, counted and kept in the CSV, and the small
/// multiples by root prompt on shared axes. Everything is read back from the built pages.
@Suite("Readable plots")
struct ReadablePlotsTests {
    /// Six roots of 24 tokens, two children of 12 each: 288 tokens in 18 branches, hidden 16, a
    /// layer. Each root prompt has its own offset; three tokens are planted 25 units out along the
    /// first dimensions (five times the median norm: outliers, not massive activations).
    static let planted: Set<String> = ["r0@5", "r0@6", "r3@10"]

    static func writePlantedRun(at dir: URL, roots: Int = 6) throws {
        var branches = [SiteTestKit.SynthBranch]()
        for r in 0..<roots {
            branches.append(.init(id: "r\(r)", label: "prompt \(r)", tokens: (0..<24).map { "t\($0)" }, positions: Array(0..<24)))
            for c in 0..<2 {
                branches.append(.init(id: "r\(r).c\(c)", label: "child \(c) of \(r)", parent: "r\(r)", forkAt: 24,
                                      tokens: (0..<12).map { "c\($0)" }, positions: Array(24..<36)))
            }
        }
        try SiteTestKit.writeRun(at: dir, branches: branches, layers: [0], hidden: 16) { branch, position, k in
            let root = Int(branch.dropFirst().prefix { $0.isNumber })!
            let name = branch.utf8.reduce(UInt64(17)) { $0 &* 31 &+ UInt64($1) }
            var rng = SeededGenerator(seed: name &+ UInt64(position * 104_729 + k * 31))
            var v = rng.nextNormal() + (k == root ? 3 : 0) + Double(position) * 0.05 * Double(k % 3)
            if planted.contains("\(branch)@\(position)") && k < 4 { v += 25 }
            return Float(v)
        }
    }

    static func build(_ run: URL, _ site: URL) throws {
        var options = BuildOptions(run: run.path, out: site.path)
        options.analysis.views = [.raw, .positionMean]
        options.analysis.umapViews = .all
        _ = try Build.run(options)
    }

    /// The drawn markers of a scatter plot: (x, y, class, tooltip).
    static func markers(_ svg: String) -> [(x: Double, y: Double, kind: String, tip: String)] {
        let re = try! NSRegularExpression(pattern: #"<use class="(pt|out)" href="[^"]*" x="([-0-9.]+)" y="([-0-9.]+)"[^>]*><title>([^<]*)</title>"#)
        let ns = svg as NSString
        return re.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { m in
            (Double(ns.substring(with: m.range(at: 2)))!, Double(ns.substring(with: m.range(at: 3)))!,
             ns.substring(with: m.range(at: 1)), SiteTestKit.unescape(ns.substring(with: m.range(at: 4))))
        }
    }

    /// The frame rectangle of a plot: (left, top, width, height).
    static func frame(_ svg: String) throws -> (left: Double, top: Double, width: Double, height: Double) {
        let rect = try #require(SiteTestKit.elements("<rect class=\"frame\"", in: svg).first)
        return (try #require(SiteTestKit.number("x", of: rect)), try #require(SiteTestKit.number("y", of: rect)),
                try #require(SiteTestKit.number("width", of: rect)), try #require(SiteTestKit.number("height", of: rect)))
    }

    /// The interquartile range of values, quartiles interpolated linearly (as NumPy's default).
    static func iqr(_ values: [Double]) -> Double {
        let s = values.sorted()
        func q(_ p: Double) -> Double {
            let at = p * Double(s.count - 1), i = Int(at), f = at - Double(i)
            return i + 1 < s.count ? s[i] + f * (s[i + 1] - s[i]) : s[i]
        }
        return q(0.75) - q(0.25)
    }

    /// Drawn coordinates are rounded to a tenth of a unit: the middle half may look shorter by that.
    static let rounding = 0.1

    @Test("every scatter plot's middle half spans a quarter of each axis; outliers sit at the edge, hollow, counted, true in the CSV")
    func robustFrames() throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("run"), site = tmp.appendingPathComponent("site")
            try Self.writePlantedRun(at: run)
            try Self.build(run, site)
            let html = try SiteTestKit.text(site.appendingPathComponent("layers/0.html"))
            let csv = try SiteTestKit.text(site.appendingPathComponent("layers/0.csv")).split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = csv[0]
            let scatters = SiteTestKit.svgFragments(html).filter { $0.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"scatter") }
            #expect(scatters.count == 4, "PCA and UMAP of two views")
            var outsideSeen = 0
            for (i, svg) in scatters.enumerated() {
                let f = try Self.frame(svg), drawn = Self.markers(svg)
                #expect(drawn.count == 288)
                #expect(Self.iqr(drawn.map(\.x)) >= f.width / 4 - Self.rounding, "plot \(i): x")
                #expect(Self.iqr(drawn.map(\.y)) >= f.height / 4 - Self.rounding, "plot \(i): y")
                let outside = drawn.filter { $0.kind == "out" }
                for p in drawn where p.kind == "pt" {
                    #expect(p.x > f.left + 1 && p.x < f.left + f.width - 1 && p.y > f.top + 1 && p.y < f.top + f.height - 1, "plot \(i): \(p.tip)")
                }
                outsideSeen += outside.count
                // At the edge: on a side of the frame (the points drawn where they lie keep off it).
                for o in outside {
                    let nearSide = abs(o.x - f.left) < 0.06 || abs(o.x - f.left - f.width) < 0.06
                        || abs(o.y - f.top) < 0.06 || abs(o.y - f.top - f.height) < 0.06
                    #expect(nearSide, "plot \(i): \(o.tip) at (\(o.x), \(o.y))")
                }
                // Counted in the caption that follows the plot (or none when none is outside).
                let after = try #require(html.components(separatedBy: svg).dropFirst().first)
                let caption = after.prefix(1200)
                if outside.isEmpty {
                    let beforeNextPlot = caption.components(separatedBy: "<svg").first ?? ""
                    #expect(!beforeNextPlot.contains("beyond the frame"), "plot \(i)")
                } else {
                    #expect(caption.contains("\(outside.count) token\(outside.count == 1 ? " lies" : "s lie") beyond the frame"), "plot \(i)")
                }
                // The CSV keeps the true coordinates: an outside token's are beyond the box of the
                // tokens drawn where they lie, and match its tooltip.
                guard i % 2 == 0 else { continue }   // PCA plots: columns <view>_pc1, <view>_pc2
                let view = i == 0 ? "raw" : "position_mean"
                let cx = try #require(header.firstIndex(of: "\(view)_pc1")), cy = try #require(header.firstIndex(of: "\(view)_pc2"))
                func row(_ tip: String) throws -> [String] {
                    let parts = tip.components(separatedBy: " · ")
                    try #require(parts.count >= 2, "tooltip \(tip)")
                    let position = try #require(Int(parts[1].replacingOccurrences(of: "position ", with: "")))
                    return try #require(csv.dropFirst().first { $0.count > 2 && $0[0] == parts[0] && Int($0[2]) == position }, "\(tip) vs \(csv.prefix(2))")
                }
                let inside = try drawn.filter { $0.kind == "pt" }.map { try row($0.tip) }
                let xs = inside.compactMap { Double($0[cx]) }, ys = inside.compactMap { Double($0[cy]) }
                for o in outside {
                    let r = try row(o.tip), x = try #require(Double(r[cx])), y = try #require(Double(r[cy]))
                    #expect(x < xs.min()! || x > xs.max()! || y < ys.min()! || y > ys.max()!, "plot \(i): \(o.tip)")
                    #expect(o.tip.contains("beyond the frame, at (\(NumberFormat.figure(x)), \(NumberFormat.figure(y)))"))
                }
            }
            // The planted tokens are outside the raw view's PCA frame.
            let rawOutside = Self.markers(scatters[0]).filter { $0.kind == "out" }.map { $0.tip.components(separatedBy: " · ").prefix(2).joined(separator: "@").replacingOccurrences(of: "position ", with: "") }
            #expect(Self.planted.isSubset(of: Set(rawOutside)), "\(rawOutside)")
            #expect(outsideSeen >= 3)
        }
    }

    @Test("facets: one per root prompt up to 12, the same axes in each, grey context in each, the prompt's branches in colour")
    func facets() throws {
        try TemporaryFolder.with { tmp in
            for roots in [6, 14] {
                let run = tmp.appendingPathComponent("run\(roots)"), site = tmp.appendingPathComponent("site\(roots)")
                try Self.writePlantedRun(at: run, roots: roots)
                try Self.build(run, site)
                let html = try SiteTestKit.text(site.appendingPathComponent("layers/0.html"))
                let recommended = try #require(SiteTestKit.reportObject(site)["recommended_view"] as? String)
                let grids = html.components(separatedBy: "<figure class=\"facet-view\">").dropFirst()
                #expect(grids.count == (recommended == "raw" ? 1 : 2), "raw and the recommended view (\(recommended))")
                let tick = try NSRegularExpression(pattern: #"<text class="tick"[^>]*>[^<]*</text>"#)
                for grid in grids {
                    let facets = SiteTestKit.svgFragments(grid).filter { $0.contains("class=\"facet\"") }
                    #expect(facets.count == min(roots, FacetGrid.limit))
                    let ticks = facets.map { svg in
                        let ns = svg as NSString
                        return tick.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }.joined()
                    }
                    #expect(Set(ticks).count == 1 && ticks[0].count > 100, "shared axes: the same tick labels in every facet")
                    #expect(facets.allSatisfy { $0.contains("<use class=\"context\" href=\"#") })
                    #expect(facets.first?.contains("ctx\" fill=\"none\"") == true, "the context is defined in the first facet")
                    for (r, facet) in facets.enumerated() {
                        // Its own branches in colour, no other root's.
                        let own = Set(["b\(3 * r)", "b\(3 * r + 1)", "b\(3 * r + 2)"])
                        let groups = Set(SiteTestKit.attributeValues("class", in: facet).filter { $0.hasPrefix("series ") }.map { String($0.dropFirst(7)) })
                        #expect(groups == own, "facet \(r): \(groups)")
                    }
                    if roots > FacetGrid.limit {
                        #expect(grid.contains("The run has \(roots) root prompts; the first \(FacetGrid.limit) are drawn, \(roots - FacetGrid.limit) are not."))
                    }
                }
            }
        }
    }
}

@Suite("Facet grid budget")
struct FacetGridBudgetTests {
    /// 16 roots of 64 tokens, each with 15 children of 64: 16,384 tokens in 256 branches.
    static func largeRun() -> ActivationRun {
        var branches = [ActivationRun.Branch]()
        for r in 0..<16 {
            branches.append(.init(id: "r\(r)", label: "root \(r)", parent: nil, forkAt: nil, tokens: Array(repeating: "t", count: 64),
                                  positions: Array(0..<64), logprobs: nil))
            for _ in 0..<15 {
                branches.append(.init(id: "r\(r).\(branches.count)", label: "child", parent: r * 16, forkAt: 64,
                                      tokens: Array(repeating: "c", count: 64), positions: Array(64..<128), logprobs: nil))
            }
        }
        return ActivationRun(title: "large", model: .init(name: "m", version: nil, positionalEncoding: nil), layers: [0], hiddenSize: 2,
                             tensorsFile: "x.safetensors", variants: [], branches: branches)
    }

    @Test("a grid of 16,384 tokens thins: 12 facets, density context, an even sample of dots, under 80 KB")
    func thinnedGrid() {
        let run = Self.largeRun()
        var rng = SeededGenerator(seed: 7)
        let points: [Point?] = (0..<16_384).map { _ in Point(x: rng.nextNormal(), y: rng.nextNormal()) }
        let shown = ShownText(run)
        let grid = FacetGrid(label: "raw, layer 0: PCA", idPrefix: "f0", groups: FacetGrid.groups(run, shown: shown), points: points,
                             run: run, shown: shown)
        #expect(grid.thinned)
        let facets = grid.facets()
        #expect(facets.count == FacetGrid.limit)
        #expect(facets[0].svg.contains("<g class=\"density\" id=\"f0ctx\""))
        let dots = facets.reduce(0) { $0 + SiteTestKit.count("h0", in: $1.svg) }
        #expect(dots <= FacetGrid.thinnedBudget && dots > FacetGrid.thinnedBudget / 2, "\(dots) dots")
        let bytes = facets.reduce(0) { $0 + $1.svg.utf8.count }
        #expect(bytes < 80_000, "\(bytes) bytes")
        #expect(facets.allSatisfy { SiteTestKit.xmlError($0.svg) == nil })
    }
}
