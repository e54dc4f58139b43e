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

    /// A drawn plot: its SVG, what was left out when it was over its budget, and how many tokens
    /// lie beyond its frame (drawn at the edge as hollow marks).
    public struct Drawing: Sendable {
        public let svg: String
        public let thinning: Thinning?
        public let outside: Int
        /// Where the plot draws its points (the explorer's `ExploreData.Frame`).
        let frame: PlotFrame

        /// E.g. "3 tokens lie beyond the frame: drawn at its edge as hollow marks", or nil.
        public var outsideNote: String? {
            outside == 0 ? nil : "\(NumberFormat.count(outside)) token\(outside == 1 ? " lies" : "s lie") beyond the frame (robust to outliers): drawn at its edge as hollow marks"
        }
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
    /// The plot's name for the explorer (`data-plot`, `ExploreData.Plot.id`), where a page has one.
    public var plotID: String?

    public init(label: String, xLabel: String, yLabel: String, series: [Series]) {
        self.label = label
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    private static let margin = (left: 46.0, right: 10.0, top: 10.0, bottom: 38.0)

    public func svg() -> String { draw().svg }

    /// The points that decide the frame: every marker but the massive ones (which would squeeze
    /// everything else into a dot), with the places the diff's moves start from.
    var ordinaryPoints: [Point] {
        let ordinary = series.flatMap { s in s.markers.filter { !$0.isMassive }.flatMap { [$0.point] + ($0.from.map { [$0] } ?? []) } }
        return ordinary.isEmpty ? series.flatMap { $0.markers.map(\.point) } : ordinary
    }

    public func draw() -> Drawing {
        let m = Self.margin
        let ordinary = ordinaryPoints
        let frame = PlotFrame(points: ordinary, left: m.left, top: m.top, width: size - m.left - m.right)
        let height = m.top + frame.height + m.bottom
        let total = series.reduce(0) { $0 + $1.markers.count }
        let thinned = total > budget.whole
        let shown = thinned ? sample() : series.map { [Bool](repeating: true, count: $0.markers.count) }
        let paths = series.map { s in s.trajectory ? (s.start.map { [$0] } ?? []) + s.markers.map(\.point) : [] }
        let lines = thinned ? trajectories(paths) : paths.map { $0.count >= 2 }
        let drawnMarkers = shown.reduce(0) { $0 + $1.filter { $0 }.count }
        let outside = series.reduce(0) { $0 + $1.markers.filter { !$0.isMassive && !frame.contains($0.point) }.count }

        let look = MarkerLook(markers: drawnMarkers)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"scatter\(look.outlined ? "" : " dense")\"\(plotID.map { " data-plot=\"\(Escape.html($0))\"" } ?? "") viewBox=\"0 0 \(fmt(size)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html(label))\">\n"
        let thinning = thinned ? Thinning(points: total, markers: drawnMarkers,
                                          trajectories: lines.filter { $0 }.count,
                                          branches: paths.filter { $0.count >= 2 }.count) : nil
        out += "<title>\(Escape.html(label))</title><desc>\(Escape.html(description(ordinary, thinning: thinning, outside: outside)))</desc>\n"
        out += shapeDefinitions(look)
        out += frame.axes(xLabel: xLabel, yLabel: yLabel)
        if thinned {
            out += Density(points: series.flatMap { $0.markers.map { p in (frame.clampedX(p.point.x), frame.clampedY(p.point.y)) } },
                           left: frame.left, top: frame.top, width: frame.width, height: frame.height).svg()
        }
        // Trajectories first, under every branch's points: thin, translucent lines (the page's CSS),
        // each with its direction in arrowheads and its first own token ringed.
        for (i, s) in series.enumerated() where lines[i] {
            let drawn = paths[i].map { (frame.clampedX($0.x), frame.clampedY($0.y)) }
            out += "<g class=\"series b\(s.branch)\">"
            out += "<polyline class=\"traj\" stroke=\"\(s.style.color)\" points=\""
            out += drawn.map { coord($0.0) + "," + coord($0.1) }.joined(separator: " ")
            out += s.name.map { "\"><title>\(Escape.html($0))</title></polyline>" } ?? "\"/>"
            let arrows = Arrowheads.path(drawn, size: look.radius * 1.6)
            if !arrows.isEmpty { out += "<path class=\"arrows\" fill=\"\(s.style.color)\" d=\"\(arrows)\"/>" }
            if let first = s.markers.first, !first.isRootStart {
                out += "<circle class=\"start\" stroke=\"\(s.style.color)\" cx=\"\(coord(frame.clampedX(first.point.x)))\" cy=\"\(coord(frame.clampedY(first.point.y)))\" r=\"\(coord(look.radius * 2))\"/>"
            }
            out += "</g>\n"
        }
        for (i, s) in series.enumerated() {
            out += "<g class=\"series b\(s.branch)\" fill=\"\(s.style.color)\">\n"
            var moves = ""
            for (j, marker) in s.markers.enumerated() where shown[i][j] {
                guard let from = marker.from else { continue }
                moves += "M" + coord(frame.clampedX(from.x)) + "," + coord(frame.clampedY(from.y))
                    + "L" + coord(frame.clampedX(marker.point.x)) + "," + coord(frame.clampedY(marker.point.y))
            }
            if !moves.isEmpty { out += "<path class=\"moves\" stroke=\"\(s.style.color)\" d=\"\(moves)\"/>\n" }
            let shape = "\(idPrefix)\(s.style.shape.rawValue.prefix(1))"
            for (j, marker) in s.markers.enumerated() where shown[i][j] {
                out += markerElement(marker, shape: shape, color: s.style.color, frame: frame, look: look)
            }
            out += "</g>\n"
        }
        out += "</svg>"
        return Drawing(svg: out, thinning: thinning, outside: outside, frame: frame)
    }

    /// How big and how opaque a plot's markers are, from how many it draws: full size and nearly
    /// opaque up to 150, then the area shrinking as 1/√n (radius as n^−¼) down to 1.5 units, and
    /// the opacity as n^−⅓ down to 0.35, so that dense regions read as darker rather than as one
    /// blob. Beyond 150 markers their white outline goes (it would eat the smaller fill).
    struct MarkerLook: Equatable {
        let radius: Double, opacity: Double, outlined: Bool

        static let full = 150.0

        init(markers n: Int) {
            let ratio = max(1, Double(n) / Self.full)
            radius = max(1.5, 3.2 / pow(ratio, 0.25))
            opacity = max(0.35, 0.9 / pow(ratio, 1.0 / 3))
            outlined = ratio <= 1
        }
    }

    /// What the plot shows, in words, for its `<desc>` (read by screen readers in place of the
    /// picture): how many tokens and branches, the axes' ranges, what is drawn at the edge or
    /// left out, and where the numbers are.
    func description(_ ordinary: [Point], thinning: Thinning?, outside: Int) -> String {
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
        if outside > 0 { text += "; \(outside) token\(outside == 1 ? "" : "s") beyond the frame drawn at its edge as hollow marks" }
        if let thinning { text += "; \(thinning.summary)" }
        return text + ". Every token's coordinates are in the page's token tables and CSV."
    }

    /// The marker shapes the series use, each defined once, centred on the origin, and placed by `<use>`.
    private func shapeDefinitions(_ look: MarkerLook) -> String {
        let used = Set(series.filter { !$0.markers.isEmpty }.map(\.style.shape))
        guard !used.isEmpty else { return "" }
        let r = look.radius
        // Size and opacity on the shapes themselves: every `<use>` of the plot shares them (the
        // outline goes by the plot's class `dense`).
        let paint = "fill-opacity=\"\(fmt(look.opacity))\""
        var out = "<defs>"
        for shape in BranchStyle.Shape.allCases where used.contains(shape) {
            let id = "\(idPrefix)\(shape.rawValue.prefix(1))"
            switch shape {
            case .circle:
                out += "<circle id=\"\(id)\" r=\"\(fmt(r))\" \(paint)/>"
            case .square:
                out += "<rect id=\"\(id)\" x=\"\(fmt(-r))\" y=\"\(fmt(-r))\" width=\"\(fmt(2 * r))\" height=\"\(fmt(2 * r))\" \(paint)/>"
            case .triangle:
                out += "<polygon id=\"\(id)\" points=\"0,\(fmt(-1.3 * r)) \(fmt(-1.2 * r)),\(fmt(0.8 * r)) \(fmt(1.2 * r)),\(fmt(0.8 * r))\" \(paint)/>"
            case .diamond:
                out += "<polygon id=\"\(id)\" points=\"0,\(fmt(-1.4 * r)) \(fmt(1.4 * r)),0 0,\(fmt(1.4 * r)) \(fmt(-1.4 * r)),0\" \(paint)/>"
            }
        }
        return out + "</defs>\n"
    }

    /// The full-size marker radius, of the rings around root starts and massive tokens.
    private static let ringRadius = 3.2

    /// A marker: a `<use>` of its branch's shape with its tooltip, after a ring for a root's first
    /// token and a crossed circle for a massive one (these say so by their look; the tooltip is the
    /// marker's). A token beyond the frame is drawn at its edge, hollow, its tooltip giving where it lies.
    private func markerElement(_ marker: Marker, shape: String, color: String, frame: PlotFrame, look: MarkerLook) -> String {
        let x = frame.clampedX(marker.point.x), y = frame.clampedY(marker.point.y), r = Self.ringRadius
        let cx = coord(x), cy = coord(y)
        var out = ""
        if marker.isMassive {
            out += "<g class=\"massive\"><circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"\(coord(r * 2.2))\"/><path d=\"M\(coord(x - r)),\(coord(y - r))L\(coord(x + r)),\(coord(y + r))M\(coord(x - r)),\(coord(y + r))L\(coord(x + r)),\(coord(y - r))\"/></g>\n"
        }
        if marker.isRootStart {
            out += "<circle class=\"root-start\" cx=\"\(cx)\" cy=\"\(cy)\" r=\"\(coord(r * 2.6))\"/>\n"
        }
        if !marker.isMassive && !frame.contains(marker.point) {
            let at = " · beyond the frame, at (\(NumberFormat.figure(marker.point.x)), \(NumberFormat.figure(marker.point.y)))"
            return out + "<use class=\"out\" href=\"#\(shape)\" x=\"\(cx)\" y=\"\(cy)\" stroke=\"\(color)\"><title>\(Escape.html(marker.tooltip + at))</title></use>\n"
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
        /// The side of a cell in SVG units (a frame 384 wide has 64 columns).
        static let cellSize = 6.0
        /// Opacity of each shade, lightest first; a cell's shade grows with the log of its count.
        static let opacities = [0.12, 0.22, 0.36, 0.55]
        static let color = "#4a4a68"

        let columns: Int, rows: Int
        let cell: Double
        let left: Double
        let top: Double
        /// Points per cell, row-major from the top left.
        private(set) var counts: [Int]

        /// `points` in SVG coordinates, inside the frame (`width` by `height` units; the rows as
        /// many square cells as fit).
        init(points: [(Double, Double)], left: Double, top: Double, width: Double, height: Double) {
            columns = max(1, Int((width / Self.cellSize).rounded()))
            cell = width / Double(columns)
            rows = max(1, Int((height / cell).rounded(.up)))
            self.left = left
            self.top = top
            counts = [Int](repeating: 0, count: columns * rows)
            for (x, y) in points {
                let c = min(columns - 1, max(0, Int(((x - left) / cell).rounded(.down))))
                let r = min(rows - 1, max(0, Int(((y - top) / cell).rounded(.down))))
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

        /// - Parameter id: an id for the group, to draw it again by `<use>`; its colour then comes
        ///   from the `<use>` (page styles do not reach into a `<use>`'s copy).
        func svg(id: String? = nil) -> String {
            let maximum = counts.max() ?? 0
            let total = counts.reduce(0, +)
            let paint = id.map { " id=\"\($0)\"" } ?? " stroke=\"\(Self.color)\""
            var out = "<g class=\"density\"\(paint) fill=\"none\" stroke-width=\"\(coord(cell))\" data-points=\"\(total)\">\n"
            let levels = counts.map { Self.level($0, maximum: maximum) }
            for shade in 1...Self.opacities.count {
                var d = "", cells = 0, points = 0
                for r in 0..<rows {
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

    /// Arrowheads along a drawn trajectory, so its direction reads without a colour ramp: one at
    /// its last point (marking the branch's end) and one at the middle of every `every`-th segment,
    /// each pointing along its segment; segments shorter than an arrowhead get none.
    enum Arrowheads {
        static let every = 6

        /// An SVG path of filled triangles of length `size`, for points in SVG coordinates.
        static func path(_ points: [(Double, Double)], size: Double) -> String {
            guard points.count >= 2 else { return "" }
            var d = ""
            func arrow(from a: (Double, Double), to b: (Double, Double), tipAt t: Double) {
                let dx = b.0 - a.0, dy = b.1 - a.1, length = (dx * dx + dy * dy).squareRoot()
                guard length >= size else { return }
                let ux = dx / length, uy = dy / length
                let tip = (a.0 + t * dx, a.1 + t * dy), base = (tip.0 - size * ux, tip.1 - size * uy), half = size * 0.45
                d += "M\(coord(tip.0)),\(coord(tip.1))L\(coord(base.0 - half * uy)),\(coord(base.1 + half * ux))"
                    + "L\(coord(base.0 + half * uy)),\(coord(base.1 - half * ux))Z"
            }
            for k in stride(from: every - 1, to: points.count - 2, by: every) {
                arrow(from: points[k], to: points[k + 1], tipAt: 0.5 + size / 2 / max(1e-9, distance(points[k], points[k + 1])))
            }
            arrow(from: points[points.count - 2], to: points[points.count - 1], tipAt: 1)
            return d
        }

        private static func distance(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
            ((b.0 - a.0) * (b.0 - a.0) + (b.1 - a.1) * (b.1 - a.1)).squareRoot()
        }
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
