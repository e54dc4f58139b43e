import ForkscopeNumerics
import Foundation

/// A 2-D scatter plot with branch trajectories, drawn as inline SVG.
///
/// Equal aspect: one data unit is as long on both axes, so distances on screen are distances in
/// the projection. Each branch is a `<g class="series bN">` holding its trajectory and points, so
/// the page's CSS can highlight one branch on hover without JavaScript. A plot with more points
/// than its `budget` draws them all as a density layer, a sample as markers and the trajectories
/// that fit (see `Budget`), and says so in its `Drawing.thinning`.
public struct ScatterPlot: Sendable {
    public struct Marker: Sendable {
        public var point: Point
        /// Untrusted text; escaped when drawn.
        public var tooltip: String
        /// The first token of a root branch, drawn with a ring.
        public var isRootStart: Bool
        /// A massive activation: left out of the plot's range and drawn at its edge with a marker.
        public var isMassive: Bool
        /// Where the same token lies in another layout drawn on the same axes (`forkscope diff`):
        /// a thin line joins it to the marker.
        public var from: Point?
        public init(point: Point, tooltip: String, isRootStart: Bool = false, isMassive: Bool = false, from: Point? = nil) {
            self.point = point
            self.tooltip = tooltip
            self.isRootStart = isRootStart
            self.isMassive = isMassive
            self.from = from
        }
    }

    public struct Series: Sendable {
        /// Index of the branch, used for the CSS class `bN`.
        public var branch: Int
        public var style: BranchStyle
        /// Where the trajectory starts before its own first marker: the parent token it forks from.
        public var start: Point?
        public var markers: [Marker]
        /// The branch as its trajectory's tooltip, said once rather than in every marker's.
        /// Untrusted text; escaped when drawn.
        public var name: String?
        /// Whether a line joins the branch's tokens in order.
        public var trajectory: Bool
        public init(branch: Int, style: BranchStyle, start: Point?, markers: [Marker], name: String? = nil, trajectory: Bool = true) {
            self.branch = branch
            self.style = style
            self.start = start
            self.markers = markers
            self.name = name
            self.trajectory = trajectory
        }
    }

    /// How much of a plot is drawn as vectors (an element per marker, a vertex per trajectory point).
    ///
    /// A plot with at most `whole` points is drawn whole: every point a marker with its tooltip,
    /// every branch's trajectory. A larger one draws every point into a density layer (a grid of
    /// cells, a path per shade, so its size follows the cells, not the points), `markers` of them
    /// as markers, and the trajectories of as many whole branches as `vertices` allow.
    public struct Budget: Sendable, Equatable {
        public var whole: Int
        public var markers: Int
        public var vertices: Int
        public init(whole: Int, markers: Int, vertices: Int) {
            self.whole = whole
            self.markers = markers
            self.vertices = vertices
        }

        /// The most markers one plot draws. A marker is an element with a tooltip, about 100 bytes of
        /// SVG and a node the browser lays out, paints and hit-tests; on a 384-pixel frame more than
        /// about a thousand of them overlap into solid ink, which a density layer shows better.
        public static let plotMarkers = 1_200
        /// The most markers a layer page draws over all its plots (a PCA and a UMAP plot per view)
        /// when each is drawn whole: about 750 KB of markers with their lines, so the page stays
        /// under 1 MB, and enough to draw the real `topics` run (12 plots of up to 607 tokens) whole.
        public static let pageWholeMarkers = 7_500
        /// The markers a page's thinned plots share. A thinned plot also carries its density layer
        /// (up to 64 × 64 cells) and a group per branch, some 15-30 KB, so they draw fewer markers
        /// than whole plots may have: 12 thinned plots of 256 branches still make a page under 1 MB.
        public static let pageThinnedMarkers = 4_000

        /// One plot on its own.
        public static let plot = Budget(whole: plotMarkers, markers: plotMarkers, vertices: plotMarkers)

        /// Each of the `plots` plots of a page: an equal share of the page's budgets.
        public static func page(plots: Int) -> Budget {
            let n = max(1, plots)
            let thinned = min(plotMarkers, pageThinnedMarkers / n)
            return Budget(whole: min(plotMarkers, pageWholeMarkers / n), markers: thinned, vertices: thinned)
        }
    }

    /// What a plot over its budget left out, for its caption.
    public struct Thinning: Sendable, Equatable {
        /// Every point of the plot (all in the density layer).
        public var points: Int
        /// The points drawn as markers.
        public var markers: Int
        /// The branches whose trajectory is drawn, of those that have one (two points or more).
        public var trajectories: Int
        public var branches: Int

        /// E.g. "4,096 points: 1,200 drawn as markers, all as a density layer; trajectories of 40 of 128 branches".
        public var summary: String {
            let lines = trajectories == branches ? "all \(NumberFormat.count(branches))"
                : "\(NumberFormat.count(trajectories)) of \(NumberFormat.count(branches))"
            return "\(NumberFormat.count(points)) points: \(NumberFormat.count(markers)) drawn as markers, all as a density layer; "
                + "trajectories of \(lines) branch\(branches == 1 ? "" : "es")"
        }
    }

    /// A drawn plot: its SVG and, when it was over its budget, what was left out.
    public struct Drawing: Sendable {
        public let svg: String
        public let thinning: Thinning?
    }

    public var label: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var size: Double = 440
    /// How much this plot draws as vectors.
    public var budget = Budget.plot
    /// Prefix of the ids of the marker shapes the plot defines: unique among the plots of a page.
    public var idPrefix = "s"

    public init(label: String, xLabel: String, yLabel: String, series: [Series]) {
        self.label = label
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    private static let margin = (left: 46.0, right: 10.0, top: 10.0, bottom: 38.0)
    private static let markerRadius = 3.2

    public func svg() -> String { draw().svg }

    public func draw() -> Drawing {
        let m = Self.margin
        let side = size - m.left - m.right
        // The range covers the ordinary points: massive ones would squeeze everything else into a dot.
        let ordinary = series.flatMap { s in s.markers.filter { !$0.isMassive }.flatMap { [$0.point] + ($0.from.map { [$0] } ?? []) } }
        let frame = Frame(points: ordinary.isEmpty ? series.flatMap { $0.markers.map(\.point) } : ordinary,
                          left: m.left, top: m.top, side: side)
        let height = m.top + side + m.bottom
        let total = series.reduce(0) { $0 + $1.markers.count }
        let thinned = total > budget.whole
        let shown = thinned ? sample() : series.map { [Bool](repeating: true, count: $0.markers.count) }
        let paths = series.map { s in s.trajectory ? (s.start.map { [$0] } ?? []) + s.markers.map(\.point) : [] }
        let lines = thinned ? trajectories(paths) : paths.map { $0.count >= 2 }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"scatter\" viewBox=\"0 0 \(fmt(size)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html(label))\">\n"
        let thinning = thinned ? Thinning(points: total, markers: shown.reduce(0) { $0 + $1.filter { $0 }.count },
                                          trajectories: lines.filter { $0 }.count,
                                          branches: paths.filter { $0.count >= 2 }.count) : nil
        out += "<title>\(Escape.html(label))</title><desc>\(Escape.html(description(ordinary, thinning: thinning)))</desc>\n"
        out += shapeDefinitions()
        out += axes(frame, side: side)
        if thinned {
            out += Density(points: series.flatMap { $0.markers.map { p in (frame.clampedX(p.point.x), frame.clampedY(p.point.y)) } },
                           left: m.left, top: m.top, side: side).svg()
        }
        for (i, s) in series.enumerated() {
            out += "<g class=\"series b\(s.branch)\" fill=\"\(s.style.color)\">\n"
            if lines[i] {
                out += "<polyline class=\"traj\" stroke=\"\(s.style.color)\" points=\""
                for (k, p) in paths[i].enumerated() {
                    if k > 0 { out += " " }
                    out += coord(frame.clampedX(p.x)) + "," + coord(frame.clampedY(p.y))
                }
                out += s.name.map { "\"><title>\(Escape.html($0))</title></polyline>\n" } ?? "\"/>\n"
            }
            var moves = ""
            for (j, marker) in s.markers.enumerated() where shown[i][j] {
                guard let from = marker.from else { continue }
                moves += "M" + coord(frame.clampedX(from.x)) + "," + coord(frame.clampedY(from.y))
                    + "L" + coord(frame.clampedX(marker.point.x)) + "," + coord(frame.clampedY(marker.point.y))
            }
            if !moves.isEmpty { out += "<path class=\"moves\" stroke=\"\(s.style.color)\" d=\"\(moves)\"/>\n" }
            let shape = "\(idPrefix)\(s.style.shape.rawValue.prefix(1))"
            for (j, marker) in s.markers.enumerated() where shown[i][j] {
                out += markerElement(marker, shape: shape, frame: frame)
            }
            out += "</g>\n"
        }
        out += "</svg>"
        return Drawing(svg: out, thinning: thinning)
    }

    /// What the plot shows, in words, for its `<desc>` (read by screen readers in place of the
    /// picture): how many tokens and branches, the axes' ranges, what is drawn at the edge or
    /// left out, and where the numbers are.
    func description(_ ordinary: [Point], thinning: Thinning?) -> String {
        let total = series.reduce(0) { $0 + $1.markers.count }
        guard total > 0 else { return "No points: this view leaves no token to draw (its caption says why)." }
        let branches = series.filter { !$0.markers.isEmpty }.count
        var text = "\(NumberFormat.count(total)) tokens in \(NumberFormat.count(branches)) branch\(branches == 1 ? "" : "es")"
        if let x0 = ordinary.map(\.x).min(), let x1 = ordinary.map(\.x).max(),
           let y0 = ordinary.map(\.y).min(), let y1 = ordinary.map(\.y).max() {
            text += "; \(xLabel) from \(NumberFormat.figure(x0)) to \(NumberFormat.figure(x1)), \(yLabel) from \(NumberFormat.figure(y0)) to \(NumberFormat.figure(y1))"
        }
        let massive = series.reduce(0) { $0 + $1.markers.filter(\.isMassive).count }
        if massive > 0 { text += "; \(massive) massive token\(massive == 1 ? "" : "s") drawn at the edge" }
        if let thinning { text += "; \(thinning.summary)" }
        return text + ". Every token's coordinates are in the page's token tables and CSV."
    }

    /// The marker shapes the series use, each defined once, centred on the origin, and placed by `<use>`.
    private func shapeDefinitions() -> String {
        let used = Set(series.filter { !$0.markers.isEmpty }.map(\.style.shape))
        guard !used.isEmpty else { return "" }
        let r = Self.markerRadius
        var out = "<defs>"
        for shape in BranchStyle.Shape.allCases where used.contains(shape) {
            let id = "\(idPrefix)\(shape.rawValue.prefix(1))"
            switch shape {
            case .circle:
                out += "<circle id=\"\(id)\" r=\"\(fmt(r))\"/>"
            case .square:
                out += "<rect id=\"\(id)\" x=\"\(fmt(-r))\" y=\"\(fmt(-r))\" width=\"\(fmt(2 * r))\" height=\"\(fmt(2 * r))\"/>"
            case .triangle:
                out += "<polygon id=\"\(id)\" points=\"0,\(fmt(-1.3 * r)) \(fmt(-1.2 * r)),\(fmt(0.8 * r)) \(fmt(1.2 * r)),\(fmt(0.8 * r))\"/>"
            case .diamond:
                out += "<polygon id=\"\(id)\" points=\"0,\(fmt(-1.4 * r)) \(fmt(1.4 * r)),0 0,\(fmt(1.4 * r)) \(fmt(-1.4 * r)),0\"/>"
            }
        }
        return out + "</defs>\n"
    }

    /// A marker: a `<use>` of its branch's shape with its tooltip, after a ring for a root's first
    /// token and a crossed circle for a massive one (these say so by their look; the tooltip is the marker's).
    private func markerElement(_ marker: Marker, shape: String, frame: Frame) -> String {
        let x = frame.clampedX(marker.point.x), y = frame.clampedY(marker.point.y), r = Self.markerRadius
        let cx = coord(x), cy = coord(y)
        var out = ""
        if marker.isMassive {
            out += "<g class=\"massive\"><circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"\(coord(r * 2.2))\"/><path d=\"M\(coord(x - r)),\(coord(y - r))L\(coord(x + r)),\(coord(y + r))M\(coord(x - r)),\(coord(y + r))L\(coord(x + r)),\(coord(y - r))\"/></g>\n"
        }
        if marker.isRootStart {
            out += "<circle class=\"root-start\" cx=\"\(cx)\" cy=\"\(cy)\" r=\"\(coord(r * 2.6))\"/>\n"
        }
        return out + "<use class=\"pt\" href=\"#\(shape)\" x=\"\(cx)\" y=\"\(cy)\"><title>\(Escape.html(marker.tooltip))</title></use>\n"
    }

    /// The markers a plot over its budget draws, per series: every root's first token and every
    /// massive token, then each branch's first token (evenly spread over the branches if they are
    /// too many), then an even stride over the remaining points in series order, up to
    /// `budget.markers`. No randomness: the same plot gives the same sample.
    func sample() -> [[Bool]] {
        var keep = series.map { [Bool](repeating: false, count: $0.markers.count) }
        var count = 0
        for (i, s) in series.enumerated() {
            for (j, m) in s.markers.enumerated() where m.isRootStart || m.isMassive {
                keep[i][j] = true
                count += 1
            }
        }
        let firsts = series.indices.filter { !series[$0].markers.isEmpty && !keep[$0][0] }
        for k in EvenSample.indices(firsts.count, budget.markers - count) {
            keep[firsts[k]][0] = true
            count += 1
        }
        var rest = [(Int, Int)]()
        for (i, s) in series.enumerated() {
            for j in s.markers.indices where !keep[i][j] { rest.append((i, j)) }
        }
        for k in EvenSample.indices(rest.count, budget.markers - count) { keep[rest[k].0][rest[k].1] = true }
        return keep
    }

    /// The trajectories a plot over its budget draws: whole branches, each if its vertices still
    /// fit in `budget.vertices`: first roots, up to half the budget, so that some forks show even
    /// when the roots are long; then the other branches; then any roots left. Each group in an
    /// order that spreads any prefix of it evenly over the group (bit-reversed index).
    func trajectories(_ paths: [[Point]]) -> [Bool] {
        var drawn = paths.map { _ in false }
        let drawable = paths.indices.filter { paths[$0].count >= 2 }
        if drawable.reduce(0, { $0 + paths[$1].count }) <= budget.vertices {
            for i in drawable { drawn[i] = true }
            return drawn
        }
        let isRoot = { (i: Int) in self.series[i].markers.first?.isRootStart == true }
        let roots = drawable.filter(isRoot), others = drawable.filter { !isRoot($0) }
        var used = 0
        func take(_ group: [Int], upTo limit: Int) {
            for i in Self.spreadOrder(group.count).map({ group[$0] }) where !drawn[i] && used + paths[i].count <= limit {
                drawn[i] = true
                used += paths[i].count
            }
        }
        take(roots, upTo: budget.vertices / 2)
        take(others, upTo: budget.vertices)
        take(roots, upTo: budget.vertices)
        return drawn
    }

    /// `0..<n` in bit-reversed order (0, n/2, n/4, 3n/4, …): every prefix is spread over the range.
    static func spreadOrder(_ n: Int) -> [Int] {
        var bits = 0
        while (1 << bits) < n { bits += 1 }
        var out = [Int]()
        out.reserveCapacity(n)
        for i in 0..<(1 << bits) {
            var r = 0, v = i
            for _ in 0..<bits {
                r = (r << 1) | (v & 1)
                v >>= 1
            }
            if r < n { out.append(r) }
        }
        return out
    }

    /// All points of a plot binned into square cells of its frame, drawn as a few shades of grey:
    /// a `<path>` per shade, a horizontal stroke as tall as a cell per run of equal cells in a row,
    /// so its size follows the non-empty cells, not the points.
    struct Density {
        /// The side of a cell in SVG units (the frame is 384 wide: 64 cells).
        static let cellSize = 6.0
        /// Opacity of each shade, lightest first; a cell's shade grows with the log of its count.
        static let opacities = [0.12, 0.22, 0.36, 0.55]
        static let color = "#4a4a68"

        let columns: Int
        let cell: Double
        let left: Double
        let top: Double
        /// Points per cell, row-major from the top left.
        private(set) var counts: [Int]

        /// `points` in SVG coordinates, inside the frame.
        init(points: [(Double, Double)], left: Double, top: Double, side: Double) {
            columns = max(1, Int((side / Self.cellSize).rounded()))
            cell = side / Double(columns)
            self.left = left
            self.top = top
            counts = [Int](repeating: 0, count: columns * columns)
            for (x, y) in points {
                let c = min(columns - 1, max(0, Int(((x - left) / cell).rounded(.down))))
                let r = min(columns - 1, max(0, Int(((y - top) / cell).rounded(.down))))
                counts[r * columns + c] += 1
            }
        }

        /// The shade of a cell of `count` points when the fullest holds `maximum`: 0 when empty,
        /// else 1 to `opacities.count` on a log scale (one point is 1, the fullest cell the last).
        static func level(_ count: Int, maximum: Int) -> Int {
            guard count > 0 else { return 0 }
            let shades = opacities.count
            guard maximum > 1 else { return 1 }
            let t = log(Double(count)) / log(Double(maximum))
            return 1 + min(shades - 1, Int(t * Double(shades)))
        }

        func svg() -> String {
            let maximum = counts.max() ?? 0
            let total = counts.reduce(0, +)
            var out = "<g class=\"density\" fill=\"none\" stroke=\"\(Self.color)\" stroke-width=\"\(coord(cell))\" data-points=\"\(total)\">\n"
            let levels = counts.map { Self.level($0, maximum: maximum) }
            for shade in 1...Self.opacities.count {
                var d = "", cells = 0, points = 0
                for r in 0..<columns {
                    var c = 0
                    while c < columns {
                        guard levels[r * columns + c] == shade else { c += 1; continue }
                        let start = c
                        while c < columns && levels[r * columns + c] == shade {
                            points += counts[r * columns + c]
                            c += 1
                        }
                        cells += c - start
                        d += "M\(coord(left + Double(start) * cell)) \(coord(top + (Double(r) + 0.5) * cell))h\(coord(Double(c - start) * cell))"
                    }
                }
                guard cells > 0 else { continue }
                out += "<path class=\"d\(shade)\" stroke-opacity=\"\(Self.opacities[shade - 1])\" data-cells=\"\(cells)\" data-points=\"\(points)\" d=\"\(d)\"/>\n"
            }
            return out + "</g>\n"
        }
    }

    private func axes(_ frame: Frame, side: Double) -> String {
        let m = Self.margin
        var out = "<g class=\"axes\">\n"
        out += "<rect class=\"frame\" x=\"\(fmt(m.left))\" y=\"\(fmt(m.top))\" width=\"\(fmt(side))\" height=\"\(fmt(side))\"/>\n"
        let step = Self.niceStep(frame.half * 2 / 5)
        for v in Self.ticks(from: frame.xMin, to: frame.xMin + 2 * frame.half, step: step) {
            let x = frame.x(v)
            out += "<line class=\"grid\" x1=\"\(fmt(x))\" y1=\"\(fmt(m.top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(m.top + side))\"/>"
            out += "<text class=\"tick\" x=\"\(fmt(x))\" y=\"\(fmt(m.top + side + 13))\" text-anchor=\"middle\">\(Self.tickLabel(v, step: step))</text>\n"
        }
        for v in Self.ticks(from: frame.yMin, to: frame.yMin + 2 * frame.half, step: step) {
            let y = frame.y(v)
            out += "<line class=\"grid\" x1=\"\(fmt(m.left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(m.left + side))\" y2=\"\(fmt(y))\"/>"
            out += "<text class=\"tick\" x=\"\(fmt(m.left - 4))\" y=\"\(fmt(y + 3.5))\" text-anchor=\"end\">\(Self.tickLabel(v, step: step))</text>\n"
        }
        out += "<text class=\"axis-label\" x=\"\(fmt(m.left + side / 2))\" y=\"\(fmt(m.top + side + 31))\" text-anchor=\"middle\">\(Escape.html(xLabel))</text>\n"
        out += "<text class=\"axis-label\" transform=\"translate(11 \(fmt(m.top + side / 2))) rotate(-90)\" text-anchor=\"middle\">\(Escape.html(yLabel))</text>\n"
        out += "</g>\n"
        return out
    }

    /// The square data window and its mapping to SVG coordinates (y grows downwards in SVG).
    struct Frame {
        let xMin: Double, yMin: Double, half: Double, scale: Double, left: Double, top: Double, side: Double

        init(points: [Point], left: Double, top: Double, side: Double) {
            let xs = points.map(\.x), ys = points.map(\.y)
            let (x0, x1) = (xs.min() ?? -1, xs.max() ?? 1)
            let (y0, y1) = (ys.min() ?? -1, ys.max() ?? 1)
            var half = max(x1 - x0, y1 - y0) / 2 * 1.06
            if !(half > 0) { half = max(abs(x0), abs(y0), 1) }
            self.half = half
            self.xMin = (x0 + x1) / 2 - half
            self.yMin = (y0 + y1) / 2 - half
            self.scale = side / (2 * half)
            self.left = left
            self.top = top
            self.side = side
        }

        func x(_ v: Double) -> Double { left + (v - xMin) * scale }
        func y(_ v: Double) -> Double { top + side - (v - yMin) * scale }
        /// Positions pinned inside the frame, for points outside the range (massive tokens).
        func clampedX(_ v: Double) -> Double { min(max(x(v), left + 4), left + side - 4) }
        func clampedY(_ v: Double) -> Double { min(max(y(v), top + 4), top + side - 4) }
    }

    /// 1, 2 or 5 times a power of ten, at least `rough` (Heckbert, "Nice numbers for graph labels", 1990).
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, floor(log10(rough)))
        let f = rough / power
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power
    }

    static func ticks(from lo: Double, to hi: Double, step: Double) -> [Double] {
        var v = ceil(lo / step) * step
        var out = [Double]()
        while v <= hi + step * 1e-9, out.count < 50 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    static func tickLabel(_ v: Double, step: Double) -> String {
        let decimals = max(0, Int(-floor(log10(step))))
        return String(format: "%.\(decimals)f", v)
    }
}

/// Fixed two-decimal formatting for SVG coordinates: short, and identical on every machine.
func fmt(_ v: Double) -> String {
    let s = String(format: "%.2f", v)
    return s == "-0.00" ? "0.00" : s
}

/// A scatter plot's coordinates: tenths of a unit (a plot is 440 units wide), without a trailing
/// ".0" or a "-0". Integer arithmetic, so identical on every machine.
func coord(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let tenths = Int((v * 10).rounded())
    let magnitude = tenths.magnitude
    let whole = "\(tenths < 0 ? "-" : "")\(magnitude / 10)"
    return magnitude % 10 == 0 ? (tenths == 0 ? "0" : whole) : "\(whole).\(magnitude % 10)"
}
