import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

@Suite("ScatterPlot")
struct ScatterPlotTests {
    typealias Kit = SiteTestKit

    static func plot(_ series: [ScatterPlot.Series]) -> String {
        ScatterPlot(label: "plot", xLabel: "PC1", yLabel: "PC2", series: series).svg()
    }

    static func series(_ branch: Int, start: Point? = nil, _ points: [(Double, Double)], rootStart: Bool = false) -> ScatterPlot.Series {
        ScatterPlot.Series(branch: branch, style: .forBranch(branch), start: start,
                           markers: points.enumerated().map { i, p in
                               .init(point: Point(x: p.0, y: p.1), tooltip: "t\(i)", isRootStart: rootStart && i == 0)
                           })
    }

    /// Centres of the markers (`<use class="pt" href="#…" x y>` of a shape centred on the origin, or
    /// `class="out"` beyond the frame), in order.
    static func centres(_ svg: String) -> [(x: Double, y: Double)] {
        Kit.elements("<use class=\"", in: svg).map { (Kit.number("x", of: $0)!, Kit.number("y", of: $0)!) }
    }

    /// The vertices of a `<polyline>` element.
    static func vertices(_ polyline: String) throws -> [(x: Double, y: Double)] {
        try #require(Kit.attributeValues("points", in: polyline).first).split(separator: " ").map { pair in
            let xy = pair.split(separator: ",").compactMap { Double($0) }
            return (xy.first ?? .nan, xy.dropFirst().first ?? .nan)
        }
    }

    struct Rect { var x, y, w, h: Double }
    static func frame(_ svg: String) throws -> Rect {
        let e = try #require(Kit.elements("<rect class=\"frame\"", in: svg).first)
        return Rect(x: Kit.number("x", of: e)!, y: Kit.number("y", of: e)!, w: Kit.number("width", of: e)!, h: Kit.number("height", of: e)!)
    }

    /// The svg of branch n's group of points, `<g class="series bN" fill=…>`.
    static func group(_ svg: String, _ n: Int) -> String? {
        Kit.between(svg, "<g class=\"series b\(n)\" fill=", "</g>")
    }

    /// The svg of branch n's trajectory group, `<g class="series bN">`, drawn under every branch's points.
    static func trajectoryGroup(_ svg: String, _ n: Int) -> String? {
        Kit.between(svg, "<g class=\"series b\(n)\">", "</g>")
    }

    @Test("equal aspect: one data unit is as long in x as in y, even for very unequal ranges", arguments: [
        [(0.0, 0.0), (100.0, 0.0), (0.0, 40.0)],
        [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (-3.0, 0.5)],
        [(0.0, 0.0), (0.001, 0.0), (0.0, 0.0004)],
        [(0.0, 0.0), (2.0, 0.0), (0.0, 50.0)],
    ])
    func equalAspect(points: [(Double, Double)]) throws {
        let svg = Self.plot([Self.series(0, points)])
        let c = Self.centres(svg)
        try #require(c.count == points.count)
        let sx = (c[1].x - c[0].x) / (points[1].0 - points[0].0)
        let sy = (c[0].y - c[2].y) / (points[2].1 - points[0].1)  // y grows downwards in SVG
        #expect(sx > 0 && sy > 0, "axes flipped: sx \(sx) sy \(sy)")
        // Coordinates are written with one decimal: allow that rounding over the smaller span.
        let span = min(abs(c[1].x - c[0].x), abs(c[0].y - c[2].y))
        #expect(abs(sx - sy) / max(sx, sy) <= 0.2 / span + 1e-9, "x scale \(sx), y scale \(sy)")
        let f = try Self.frame(svg)
        #expect(PlotFrame.aspect.contains(f.h / f.w) || abs(f.h / f.w - PlotFrame.aspect.lowerBound) < 1e-3, "frame \(f.w) × \(f.h)")
    }

    @Test("every point lies inside the frame", arguments: [
        [(0.0, 0.0)],
        [(5.0, 5.0), (5.0, 5.0), (5.0, 5.0)],
        [(1e6, -1e6), (1e6 + 1, -1e6 + 2)],
        [(-3.0, 7.0), (12.0, -40.0), (0.5, 0.5), (100.0, 99.0)],
        [(0.0, -1e-9), (0.0, 1e-9)],
        [(-250.0, 0.0), (250.0, 0.0)],
    ])
    func pointsInsideFrame(points: [(Double, Double)]) throws {
        let svg = Self.plot([Self.series(0, points), Self.series(1, start: Point(x: points[0].0, y: points[0].1), points.reversed())])
        let f = try Self.frame(svg)
        let c = Self.centres(svg)
        #expect(c.count == 2 * points.count)
        for p in c {
            #expect(p.x >= f.x && p.x <= f.x + f.w && p.y >= f.y && p.y <= f.y + f.h, "(\(p.x), \(p.y)) outside \(f)")
        }
        // Trajectory vertices too.
        for e in Kit.elements("<polyline", in: svg) {
            for pair in try #require(Kit.attributeValues("points", in: e).first).split(separator: " ") {
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                #expect(xy.count == 2 && xy[0] >= f.x && xy[0] <= f.x + f.w && xy[1] >= f.y && xy[1] <= f.y + f.h)
            }
        }
        #expect(Kit.xmlError(svg) == nil)
    }

    @Test("a child's trajectory starts at its fork point")
    func childStartsAtFork() throws {
        let parent = Self.series(0, [(0, 0), (1, 2), (3, 1)], rootStart: true)
        let child = Self.series(1, start: Point(x: 3, y: 1), [(4, 4), (6, 5)])
        let svg = Self.plot([parent, child])
        let parentCentres = Self.centres(try #require(Self.group(svg, 0)))
        let childGroup = try #require(Self.group(svg, 1))
        let childLine = try #require(Self.trajectoryGroup(svg, 1))
        let line = try #require(Kit.elements("<polyline class=\"traj\"", in: childLine).first)
        let vertices = try Self.vertices(line)
        #expect(vertices.count == 3)  // fork point + two own markers
        let fork = parentCentres[2]
        #expect(vertices.first?.x == fork.x && vertices.first?.y == fork.y)
        #expect(vertices[1].x == Self.centres(childGroup)[0].x && vertices[2].y == Self.centres(childGroup)[1].y)
        // And without a start the line starts at the first own marker.
        let rootLine = try #require(Kit.elements("<polyline class=\"traj\"", in: Self.trajectoryGroup(svg, 0)!).first)
        let first = try #require(try Self.vertices(rootLine).first)
        #expect(first.x == parentCentres[0].x && first.y == parentCentres[0].y)
    }

    @Test("a lone marker without a start draws no polyline")
    func singleMarkerNoLine() {
        let svg = Self.plot([Self.series(0, [(1, 1)]), Self.series(1, [(2, 2), (3, 3)])])
        #expect(Kit.count("<polyline", in: svg) == 1)
    }

    @Test("a root's first token has one root-start ring, centred on it; other markers have none")
    func rootStartRing() throws {
        let svg = Self.plot([Self.series(0, [(0, 0), (1, 1)], rootStart: true),
                             Self.series(1, start: Point(x: 1, y: 1), [(2, 0), (3, 1)]),
                             Self.series(2, [(-1, 4), (0, 3)], rootStart: true)])
        let rings = Kit.elements("<circle class=\"root-start\"", in: svg)
        #expect(rings.count == 2)
        for (n, ring) in zip([0, 2], rings) {
            let firstMarker = Self.centres(try #require(Self.group(svg, n)))[0]
            #expect(Kit.number("cx", of: ring) == firstMarker.x && Kit.number("cy", of: ring) == firstMarker.y)
            #expect(Kit.number("r", of: ring)! > 3.2)  // larger than the marker
        }
        #expect(Self.group(svg, 1)!.contains("root-start") == false)
    }

    @Test("per series a trajectory group, then (after every trajectory) a group of points, in order, shaped by branch")
    func oneGroupPerSeries() {
        let branches = [0, 1, 2, 9, 10, 18, 27]
        let svg = Self.plot(branches.map { Self.series($0, [(Double($0), 1), (2, Double($0))]) })
        for kind in ["\">", "\" fill="] {
            var last = svg.startIndex
            for b in branches {
                #expect(Kit.count("<g class=\"series b\(b)\(kind)", in: svg) == 1, "series b\(b)")
                if let r = svg.range(of: "<g class=\"series b\(b)\(kind)") {
                    #expect(r.lowerBound >= last, "series b\(b) out of order")
                    last = r.lowerBound
                }
            }
        }
        // Lines under points: the last trajectory before the first group of points.
        #expect(svg.range(of: "<g class=\"series b27\">")!.lowerBound < svg.range(of: "<g class=\"series b0\" fill=")!.lowerBound)
        #expect(Kit.count("<g class=\"series ", in: svg) == 2 * branches.count)
        // Branch 9 wraps the palette: same colour as branch 0, a square instead of a circle; each
        // shape is defined once, centred on the origin, and the markers use it.
        let g9 = Self.group(svg, 9)!
        #expect(g9.hasPrefix("\"\(BranchStyle.colors[0])\""))
        #expect(Kit.count("href=\"#ss\"", in: g9) == 2 && Kit.count("href=\"#sc\"", in: g9) == 0)
        #expect(Kit.count("href=\"#st\"", in: Self.group(svg, 18)!) == 2)
        #expect(Kit.count("href=\"#sd\"", in: Self.group(svg, 27)!) == 2)
        for id in ["sc", "ss", "st", "sd"] { #expect(Kit.count("id=\"\(id)\"", in: svg) == 1, "\(id) not defined once") }
        #expect(svg.contains("<circle id=\"sc\" r=\"3.20\" fill-opacity=\"0.90\"/>"))
        #expect(Kit.markerCount(svg) == 2 * branches.count)
        // A plot without squares defines none.
        #expect(!Self.plot([Self.series(0, [(0, 0), (1, 1)])]).contains("id=\"ss\""))
    }

    @Test("niceStep: 1, 2 or 5 times a power of ten, not below the rough step", arguments: [
        (0.37, 0.5), (3.0, 5.0), (12.0, 20.0), (1.0, 1.0), (2.0, 2.0), (5.0, 5.0), (5.01, 10.0),
        (0.3, 0.5), (0.2, 0.2), (7.0, 10.0), (1.5, 2.0), (1234.0, 2000.0), (0.00042, 0.0005),
    ])
    func niceStep(rough: Double, expected: Double) {
        let s = ScatterPlot.niceStep(rough)
        #expect(abs(s - expected) <= 1e-12 * expected, "niceStep(\(rough)) = \(s)")
    }

    @Test("niceStep over many magnitudes: nice, at least the rough step, at most 2.5 times it")
    func niceStepProperty() {
        var rough = 1e-9
        while rough < 1e9 {
            let s = ScatterPlot.niceStep(rough)
            let mantissa = s / pow(10, floor(log10(s) + 1e-12))
            #expect(s >= rough * (1 - 1e-12) && s <= rough * 2.5 * (1 + 1e-12), "niceStep(\(rough)) = \(s)")
            #expect([1.0, 2.0, 5.0, 10.0].contains { abs($0 - mantissa) < 1e-9 }, "niceStep(\(rough)) = \(s)")
            rough *= 1.37
        }
    }

    @Test("niceStep of non-positive or non-finite input is 1")
    func niceStepDegenerate() {
        for v in [0.0, -3.0, .nan, .infinity] { #expect(ScatterPlot.niceStep(v) == 1) }
    }

    @Test("tick labels step by a nice amount, sit inside the frame and are equally spaced on both axes")
    func ticks() throws {
        let svg = Self.plot([Self.series(0, [(-0.8, 0.1), (0.9, 0.3), (0.2, -0.4)])])
        let f = try Self.frame(svg)
        let tickTexts = Kit.elements("<text class=\"tick\"", in: svg)
        let labels = try tickTexts.map { e -> Double in
            let start = try #require(svg.range(of: e)).upperBound
            return try #require(Double(svg[start...].prefix { $0 != "<" }))
        }
        let xs = tickTexts.filter { $0.contains("text-anchor=\"middle\"") }
        let ys = tickTexts.filter { $0.contains("text-anchor=\"end\"") }
        #expect(xs.count >= 3 && ys.count >= 2, "too few ticks")
        let xValues = Array(labels.prefix(xs.count)), yValues = Array(labels.suffix(ys.count))
        for values in [xValues, yValues] {
            let steps = zip(values.dropFirst(), values).map { $0 - $1 }
            let step = try #require(steps.first)
            for s in steps { #expect(abs(s - step) < 1e-9) }
            let mantissa = step / pow(10, floor(log10(step)))
            #expect([1.0, 2.0, 5.0].contains { abs($0 - mantissa) < 1e-9 }, "step \(step) is not nice")
        }
        let tx = xs.map { Kit.number("x", of: $0)! }
        let ty = ys.map { Kit.number("y", of: $0)! - 3.5 }  // labels sit 3.5 below their grid line
        for x in tx { #expect(x >= f.x - 0.01 && x <= f.x + f.w + 0.01) }
        for y in ty { #expect(y >= f.y - 0.01 && y <= f.y + f.h + 0.01) }
        let dx = zip(tx.dropFirst(), tx).map { $0 - $1 }, dy = zip(ty, ty.dropFirst()).map { $0 - $1 }
        #expect(abs(dx[0] - dy[0]) < 0.02, "tick spacing differs: x \(dx[0]) y \(dy[0])")
    }

    @Test("labels and tooltips are escaped and the SVG parses")
    func escapedText() throws {
        let plot = ScatterPlot(label: "a\"b<c>&", xLabel: "x & <y>", yLabel: "]]>", series: [
            ScatterPlot.Series(branch: 0, style: .forBranch(0), start: nil, markers: [
                .init(point: Point(x: 0, y: 0), tooltip: "<script>alert(1)</script>", isRootStart: true),
                .init(point: Point(x: 1, y: 1), tooltip: "\"quoted\" 'single' ]]> a&b"),
            ]),
        ])
        let svg = plot.svg()
        #expect(!svg.contains("<script"))
        #expect(svg.contains("aria-label=\"a&quot;b&lt;c&gt;&amp;\""))
        #expect(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"))
        #expect(svg.contains("<title>&quot;quoted&quot; &#39;single&#39; ]]&gt; a&amp;b</title>"))
        #expect(Kit.xmlError(svg) == nil)
    }

    @Test("the same input gives the same bytes; -0 is written as 0")
    func deterministic() {
        let s = [Self.series(0, [(0, 0), (-0.0, 1), (1, -0.0)], rootStart: true)]
        #expect(Self.plot(s) == Self.plot(s))
        #expect(!Self.plot(s).contains("-0.00") && !Self.plot(s).contains("\"-0\""))
        #expect(fmt(-0.0001) == "0.00")
        #expect(fmt(1.005) == "1.00" || fmt(1.005) == "1.01")
    }

    @Test("plot coordinates: tenths, no trailing .0, no -0", arguments: [
        (0.0, "0"), (-0.0, "0"), (-0.04, "0"), (0.04, "0"), (0.05, "0.1"), (-0.05, "-0.1"), (-0.5, "-0.5"),
        (12.0, "12"), (12.34, "12.3"), (12.36, "12.4"), (-12.96, "-13"), (439.99, "440"), (46.0, "46"), (.nan, "0"),
    ])
    func coordinates(value: Double, expected: String) {
        #expect(coord(value) == expected, "coord(\(value))")
    }

    @Test("counts are written with thousands separators", arguments: [
        (0, "0"), (7, "7"), (999, "999"), (1_000, "1,000"), (4_096, "4,096"), (16_384, "16,384"),
        (1_234_567, "1,234,567"), (-4_096, "-4,096"),
    ])
    func counts(value: Int, expected: String) {
        #expect(NumberFormat.count(value) == expected)
    }

    @Test("site layer pages: in every view's plot, child lines start at the parent's fork token, one ring per root")
    func siteLayerPagesForkAndRings() throws {
        let info = try Kit.runInfo(Fixtures.treeF32)
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let html = try Kit.text(site.appendingPathComponent("layers/0.html"))
            // The PCA plots (the UMAP ones below them start no trajectory at a fork token they lack).
            let svgs = Kit.svgFragments(html).filter { $0.contains("class=\"scatter") && $0.prefix(400).contains(": PCA of") }
            let views = try Kit.settingsViews(site)
            try #require(svgs.count == views.count)
            // Every view of tree-f32 covers the first tokens of both roots and r1's 6th token (position 5);
            // a view without a layout (it erased everything) draws no point at all.
            let measures = try #require(((try Kit.reportObject(site))["layers"] as? [[String: Any]])?.first?["views"] as? [String: [String: Any]])
            for (name, svg) in zip(views, svgs) {
                guard measures[name]?["pca_explained_variance"] is [Any] else {
                    #expect(name.hasPrefix("leace"), "\(name) has no layout")
                    #expect(Kit.markerCount(svg) == 0 && Kit.count("<polyline", in: svg) == 0, "\(name)")
                    #expect(Kit.xmlError(svg) == nil)
                    continue
                }
                #expect(Kit.count("class=\"root-start\"", in: svg) == info.roots, "\(name)")
                // r1.a (branch 1) forks after r1's token 6 (index 5): its line starts at r1's 6th marker.
                let r1 = Self.centres(try #require(Self.group(svg, 0)))
                try #require(r1.count == 6, "\(name): r1 has \(r1.count) markers")
                let forkMarker = r1[5]
                let child = try #require(Self.trajectoryGroup(svg, 1))
                let line = try #require(Kit.elements("<polyline", in: child).first)
                let start = try #require(try Self.vertices(line).first)
                #expect(start.x == forkMarker.x && start.y == forkMarker.y, "\(name)")
            }
        }
    }
}

@Suite("ScatterPlot marker look")
struct MarkerLookTests {
    @Test("markers shrink and fade as a plot draws more of them, within their bounds; up to 150 full size, outlined")
    func adapts() {
        var last = ScatterPlot.MarkerLook(markers: 1)
        #expect(last.radius == 3.2 && last.opacity == 0.9 && last.outlined)
        #expect(ScatterPlot.MarkerLook(markers: 150) == last)
        for n in [151, 300, 600, 1_200, 5_000, 100_000] {
            let look = ScatterPlot.MarkerLook(markers: n)
            #expect(look.radius <= last.radius && look.opacity <= last.opacity && !look.outlined, "\(n)")
            #expect(look.radius >= 1.5 && look.opacity >= 0.35, "\(n)")
            last = look
        }
        // Area ∝ 1/√n: four times the markers, half the area.
        let a = ScatterPlot.MarkerLook(markers: 300), b = ScatterPlot.MarkerLook(markers: 1_200)
        #expect(abs(b.radius * b.radius / (a.radius * a.radius) - 0.5) < 1e-12)
    }
}
