import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Plots over their point budget: a density layer of every point, a sample of markers, the
/// trajectories that fit; plots under it drawn whole. Inputs are generated here, not read from runs.
@Suite("ScatterPlot budget")
struct ScatterPlotBudgetTests {
    typealias Kit = SiteTestKit

    /// A synthetic layout like the "large" benchmark run: `roots` roots, each with `branches / roots - 1`
    /// children forking after its 8th token, every branch `length` tokens (256 × 64 = 16,384 points),
    /// clustered by root, with a few massive tokens far outside. Deterministic (`SeededGenerator`).
    struct Layout {
        var series: [ScatterPlot.Series]
        var massive: Set<String>

        init(roots: Int = 16, branches: Int = 256, length: Int = 64, massiveCount: Int = 5, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) {
            var rng = SeededGenerator(seed: seed)
            func uniform() -> Double { rng.nextUnit() }
            let perRoot = branches / roots
            var series = [ScatterPlot.Series]()
            var rootPoints = [Int: [Point]]()
            var massive = Set<String>()
            for b in 0..<branches {
                let root = b / perRoot, isRoot = b % perRoot == 0
                let angle = Double(root) / Double(roots) * 2 * .pi
                var p = Point(x: 10 * cos(angle), y: 10 * sin(angle))
                let start: Point? = isRoot ? nil : rootPoints[root]?[7]
                if let start { p = start }
                var markers = [ScatterPlot.Marker]()
                let id = isRoot ? "r\(root)" : "r\(root).s\(b % perRoot)"
                for j in 0..<length {
                    p.x += (uniform() - 0.5) * 1.5
                    p.y += (uniform() - 0.5) * 1.5
                    let tooltip = "\(id) · position \(j + (isRoot ? 0 : 8)) · token\(j)"
                    // Massive tokens: the 3rd token of the first `massiveCount` roots' 2nd branch, far out.
                    let isMassive = b % perRoot == 1 && root < massiveCount && j == 2
                    if isMassive { massive.insert(tooltip) }
                    markers.append(.init(point: isMassive ? Point(x: 900, y: -700) : p, tooltip: tooltip,
                                         isRootStart: isRoot && j == 0, isMassive: isMassive))
                }
                if isRoot { rootPoints[root] = markers.map(\.point) }
                series.append(.init(branch: b, style: .forBranch(b), start: start, markers: markers,
                                    name: "topic \(root) / sample \(b % perRoot) (\(id))"))
            }
            self.series = series
            self.massive = massive
        }

        var points: Int { series.reduce(0) { $0 + $1.markers.count } }

        func plot(_ budget: ScatterPlot.Budget, id: String = "p0") -> ScatterPlot {
            var plot = ScatterPlot(label: "raw, layer 6: PCA of \(points) tokens", xLabel: "PC1 (0.412)", yLabel: "PC2 (0.101)", series: series)
            plot.budget = budget
            plot.idPrefix = id
            return plot
        }
    }

    /// Tooltips of the drawn markers (`<title>` inside `<use class="pt">`), in order.
    static func markerTooltips(_ svg: String) -> [String] {
        svg.components(separatedBy: "<use class=\"pt\"").dropFirst().compactMap { Kit.between($0, "<title>", "</title>") }.map(Kit.unescape)
    }

    /// The runs of one density `<path>`: (x, y, width) of each `M x y h w`.
    static func runs(_ d: String) -> [(x: Double, y: Double, w: Double)] {
        d.split(separator: "M").map { run in
            let parts = run.split(separator: "h")
            let xy = parts[0].split(separator: " ").compactMap { Double($0) }
            return (xy[0], xy[1], Double(parts[1]) ?? .nan)
        }
    }

    // MARK: - Over the budget

    @Test("16,384 points, 256 branches: a density layer of every point, a sample of markers, whole trajectories, under the byte budget")
    func largePlot() throws {
        let layout = Layout()
        try #require(layout.points == 16_384 && layout.series.count == 256)
        let budget = ScatterPlot.Budget.page(plots: 4)  // "large" with two views: a PCA and a UMAP plot each
        #expect(budget == .init(whole: 1_200, markers: 1_000, vertices: 1_000))
        let drawing = layout.plot(budget).draw()
        let svg = drawing.svg
        let thinning = try #require(drawing.thinning)

        // Size: four such plots leave room for the rest of the page under 1 MB.
        #expect(svg.utf8.count < 200_000, "\(svg.utf8.count) bytes")

        // Markers: exactly the budget, among them every root start, every massive token and every branch's first token.
        let tooltips = Self.markerTooltips(svg)
        #expect(tooltips.count == budget.markers && thinning.markers == budget.markers)
        #expect(Kit.markerCount(svg) == budget.markers)
        #expect(Set(tooltips).count == tooltips.count, "a token drawn twice")
        let drawn = Set(tooltips)
        for s in layout.series {
            #expect(drawn.contains(s.markers[0].tooltip), "b\(s.branch): first token not drawn")
        }
        #expect(layout.massive.isSubset(of: drawn), "massive tokens missing: \(layout.massive.subtracting(drawn).sorted())")
        #expect(Kit.count("<g class=\"massive\">", in: svg) == layout.massive.count)
        #expect(Kit.count("class=\"root-start\"", in: svg) == 16)
        // The rest is an even stride over the remaining points in series order.
        let all = layout.series.flatMap { $0.markers.map(\.tooltip) }
        let required = Set(layout.series.map { $0.markers[0].tooltip }).union(layout.massive)
        let rest = all.filter { !required.contains($0) }
        let picked = rest.indices.filter { drawn.contains(rest[$0]) }
        let m = budget.markers - required.count
        #expect(picked.count == m)
        let gaps = zip(picked.dropFirst(), picked).map { $0 - $1 }
        let step = Double(rest.count) / Double(m)
        #expect(gaps.allSatisfy { Double($0) >= floor(step) && Double($0) <= ceil(step) }, "uneven stride: \(Set(gaps).sorted())")
        #expect(picked.first! < Int(ceil(step)) && rest.count - 1 - picked.last! < Int(ceil(step)))

        // Every branch keeps its group, so the page's hover highlight works for it.
        for b in 0..<256 { #expect(Kit.count("<g class=\"series b\(b)\" fill=", in: svg) == 1, "series b\(b)") }

        // Trajectories: whole branches within the vertex budget, roots first (up to half of it),
        // then the others spread over the branches; the caption's count.
        let lines = Kit.elements("<polyline class=\"traj\"", in: svg)
        #expect(lines.count == thinning.trajectories && thinning.branches == 256)
        #expect(thinning.trajectories > 1 && thinning.trajectories < 256)
        let vertices = try lines.reduce(0) { $0 + (try #require(Kit.attributeValues("points", in: $1).first)).split(separator: " ").count }
        #expect(vertices <= budget.vertices && vertices > budget.vertices - 65, "\(vertices) trajectory vertices")
        var withLines = [Int]()
        for b in 0..<256 {
            guard let group = Kit.between(svg, "<g class=\"series b\(b)\">", "</g>") else { continue }
            guard let points = Kit.attributeValues("points", in: group).first else { continue }
            withLines.append(b)
            #expect(points.split(separator: " ").count == (b % 16 == 0 ? 64 : 65), "b\(b)'s line is not whole")
        }
        let roots = withLines.filter { $0 % 16 == 0 }, children = withLines.filter { $0 % 16 != 0 }
        #expect(roots.count == budget.vertices / 2 / 64, "roots with lines: \(roots)")
        #expect(roots.first == 0 && roots.last! >= 128, "root lines not spread: \(roots)")
        #expect(children.count >= 2 && children.last! - children.first! >= 120, "lines of branches \(children)")

        #expect(thinning.summary == "16,384 points: 1,000 drawn as markers, all as a density layer; trajectories of \(thinning.trajectories) of 256 branches")
        #expect(Kit.xmlError(svg) == nil)
    }

    @Test("the density layer holds every point once: its shades' counts and cells add up, its cells tile the frame")
    func densityLayer() throws {
        let layout = Layout()
        let svg = layout.plot(.page(plots: 4)).svg()
        let group = try #require(Kit.elements("<g class=\"density\"", in: svg).first)
        #expect(Kit.number("data-points", of: group) == 16_384)
        let paths = Kit.elements("<path class=\"d", in: svg)
        try #require((2...ScatterPlot.Density.opacities.count).contains(paths.count), "\(paths.count) shades")
        var points = 0, cells = 0, covered = Set<String>()
        let frame = try #require(Kit.elements("<rect class=\"frame\"", in: svg).first)
        let (fx, fy, side) = (Kit.number("x", of: frame)!, Kit.number("y", of: frame)!, Kit.number("width", of: frame)!)
        let cell = ScatterPlot.Density.cellSize
        for path in paths {
            let n = Int(try #require(Kit.number("data-points", of: path)))
            let c = Int(try #require(Kit.number("data-cells", of: path)))
            #expect(n >= c && c > 0)
            points += n
            cells += c
            let runs = Self.runs(try #require(Kit.attributeValues("d", in: path).first))
            #expect(runs.reduce(0) { $0 + Int(($1.w / cell).rounded()) } == c, "runs do not make \(c) cells")
            for run in runs {
                // On the grid, inside the frame, no cell in two shades.
                #expect((run.x - fx).truncatingRemainder(dividingBy: cell) == 0 && (run.y - fy - cell / 2).truncatingRemainder(dividingBy: cell) == 0)
                #expect(run.x >= fx && run.x + run.w <= fx + side && run.y > fy && run.y < fy + side)
                for k in 0..<Int((run.w / cell).rounded()) { covered.insert("\(run.x + Double(k) * cell),\(run.y)") }
            }
        }
        #expect(points == 16_384, "the shades hold \(points) points")
        #expect(covered.count == cells)
        #expect(cells < 64 * 64 && cells > 100)
        // Binned directly: every point in exactly one cell.
        let density = ScatterPlot.Density(points: (0..<1000).map { (Double($0 % 400) + 40, Double($0 % 397) + 5) }, left: 46, top: 10, width: 384, height: 384)
        #expect(density.counts.reduce(0, +) == 1000 && density.counts.count == 64 * 64)
    }

    @Test("density shades: empty cells none, one point the lightest, the fullest cell the darkest, never decreasing")
    func densityLevels() {
        let shades = ScatterPlot.Density.opacities.count
        #expect(ScatterPlot.Density.level(0, maximum: 50) == 0)
        #expect(ScatterPlot.Density.level(1, maximum: 50) == 1)
        #expect(ScatterPlot.Density.level(1, maximum: 1) == 1)
        #expect(ScatterPlot.Density.level(50, maximum: 50) == shades)
        var last = 0
        for c in 1...50 {
            let l = ScatterPlot.Density.level(c, maximum: 50)
            #expect(l >= last && l >= 1 && l <= shades)
            last = l
        }
    }

    @Test("pages of 2 to 12 plots of 16,384 points stay under 1 MB, with room for the rest of the page", arguments: [4, 6, 10, 12])
    func pageBudget(plots: Int) {
        let layouts = [Layout(), Layout(seed: 42)]
        let budget = ScatterPlot.Budget.page(plots: plots)
        var bytes = 0, markers = 0
        for i in 0..<plots {
            let drawing = layouts[i % 2].plot(budget, id: "p\(i)").draw()
            bytes += drawing.svg.utf8.count
            markers += drawing.thinning?.markers ?? 0
        }
        #expect(markers <= ScatterPlot.Budget.pageThinnedMarkers)
        // The legend, highlight rules and tables of 256 branches take about 100 KB more.
        #expect(bytes < 800_000, "\(plots) plots: \(bytes) bytes")
    }

    @Test("the same plot gives the same bytes, drawn again or on many threads at once")
    func deterministic() async {
        let plot = Layout().plot(.page(plots: 4))
        let first = plot.svg()
        let others = await withTaskGroup(of: String.self) { group in
            for _ in 0..<4 { group.addTask { plot.svg() } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(others.allSatisfy { $0 == first })
        // A different layout of the same branches differs.
        #expect(Layout(seed: 42).plot(.page(plots: 4)).svg() != first)
    }

    @Test("more required markers than the budget: roots and massive tokens all drawn, branch starts evenly spread")
    func requiredOverBudget() {
        let layout = Layout()
        let drawing = layout.plot(.init(whole: 100, markers: 100, vertices: 100)).draw()
        let drawn = Set(Self.markerTooltips(drawing.svg))
        #expect(drawn.count == 100)
        #expect(layout.massive.isSubset(of: drawn))
        for root in stride(from: 0, to: 256, by: 16) { #expect(drawn.contains("r\(root / 16) · position 0 · token0")) }
        // The other 79 markers are branch starts, spread over the branches.
        let starts = layout.series.filter { drawn.contains($0.markers[0].tooltip) }.map(\.branch)
        #expect(starts.count == 100 - layout.massive.count)
        #expect(starts.contains { $0 > 200 } && starts.contains { $0 < 50 })
    }

    @Test("data in a thinned plot stays escaped")
    func escapedWhenThinned() {
        var layout = Layout(roots: 2, branches: 4, length: 400, massiveCount: 1)
        layout.series[0].markers[0].tooltip = "<script>alert(1)</script> · position 0 · ]]>"
        layout.series[1].name = "a&b \"q\" <i>"
        let svg = layout.plot(.init(whole: 50, markers: 50, vertices: 2_000)).svg()
        #expect(svg.contains("density"))
        #expect(!svg.contains("<script") && !svg.contains("]]>") && !svg.contains("<i>"))
        #expect(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; · position 0 · ]]&gt;</title>"))
        #expect(svg.contains("<title>a&amp;b &quot;q&quot; &lt;i&gt;</title>"))
        #expect(Kit.xmlError(svg) == nil)
    }

    // MARK: - Under the budget

    @Test("a plot at or under its budget is drawn whole: every point, every line, no density layer; one more point thins it")
    func wholeUnderBudget() throws {
        let layout = Layout(roots: 4, branches: 16, length: 30)  // 480 points
        let points = layout.points
        for whole in [points, points + 1, 1_200] {
            let drawing = layout.plot(.init(whole: whole, markers: 100, vertices: 100)).draw()
            #expect(drawing.thinning == nil)
            #expect(!drawing.svg.contains("density"))
            #expect(Kit.markerCount(drawing.svg) == points)
            #expect(Self.markerTooltips(drawing.svg) == layout.series.flatMap { $0.markers.map(\.tooltip) })
            #expect(Kit.count("<polyline class=\"traj\"", in: drawing.svg) == 16)
            #expect(Kit.count("class=\"root-start\"", in: drawing.svg) == 4)
        }
        let over = layout.plot(.init(whole: points - 1, markers: 100, vertices: 100)).draw()
        let thinning = try #require(over.thinning)
        #expect(thinning.points == points && thinning.markers == 100)
        #expect(Kit.markerCount(over.svg) == 100)
        #expect(over.svg.contains("<g class=\"density\""))
    }

    @Test("a page's budget: the real topics run (12 plots of up to 607 points) is drawn whole; shares add up to the page's")
    func pageShares() {
        #expect(ScatterPlot.Budget.page(plots: 12).whole >= 607)
        #expect(ScatterPlot.Budget.page(plots: 1) == .plot)
        for plots in 1...30 {
            let b = ScatterPlot.Budget.page(plots: plots)
            #expect(b.whole * plots <= ScatterPlot.Budget.pageWholeMarkers && b.whole <= ScatterPlot.Budget.plotMarkers)
            #expect(b.markers * plots <= ScatterPlot.Budget.pageThinnedMarkers && b.markers <= b.whole && b.markers > 0)
        }
    }

    @Test("the thinning summary counts with separators and says when every line is drawn")
    func summary() {
        #expect(ScatterPlot.Thinning(points: 4_096, markers: 1_200, trajectories: 40, branches: 128).summary
            == "4,096 points: 1,200 drawn as markers, all as a density layer; trajectories of 40 of 128 branches")
        #expect(ScatterPlot.Thinning(points: 1_500, markers: 1_200, trajectories: 3, branches: 3).summary
            == "1,500 points: 1,200 drawn as markers, all as a density layer; trajectories of all 3 branches")
    }

    @Test("layer pages of a small run: every plot whole, no density, no thinning caption; tooltips name branch, position and token")
    func smallSitePages() throws {
        let info = try Kit.runInfo(Fixtures.treeF32)
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            for l in info.layers {
                let html = try Kit.text(site.appendingPathComponent("layers/\(l).html"))
                #expect(!html.contains("class=\"density\"") && !html.contains("caption thinning"), "layer \(l)")
                #expect(!html.contains("grey cells"), "layer \(l): the howto mentions thinning")
                // Marker shape ids are unique on the page.
                let ids = Kit.attributeValues("id", in: html)
                #expect(Set(ids).count == ids.count, "layer \(l): duplicate ids")
                for b in info.branches {
                    let name = b.label == b.id ? b.id : "\(b.label) (\(b.id))"
                    #expect(html.contains("\"><title>\(Kit.escape(name))</title></polyline>"), "layer \(l): no line tooltip for \(b.id)")
                    for (token, position) in zip(b.tokens, b.positions) where !token.contains(where: \.isNewline) && !token.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 0x7F }) {
                        // (A massive token's tooltip goes on to say so.)
                        #expect(html.contains("<title>\(Kit.escape(b.id)) \u{B7} position \(position) \u{B7} \(Kit.escape(token))"),
                                "layer \(l): no tooltip for \(b.id) position \(position)")
                    }
                }
            }
        }
    }
}
