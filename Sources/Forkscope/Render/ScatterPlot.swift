import Foundation

/// A 2-D scatter plot with branch trajectories, drawn as inline SVG.
///
/// Equal aspect: one data unit is as long on both axes, so distances on screen are distances in
/// the projection. Each branch is a `<g class="series bN">` holding its trajectory and points, so
/// the page's CSS can highlight one branch on hover without JavaScript.
public struct ScatterPlot: Sendable {
    public struct Marker: Sendable {
        public var point: Point
        /// Untrusted text; escaped when drawn.
        public var tooltip: String
        /// The first token of a root branch, drawn with a ring.
        public var isRootStart: Bool
        /// A massive activation: left out of the plot's range and drawn at its edge with a marker.
        public var isMassive: Bool
        public init(point: Point, tooltip: String, isRootStart: Bool = false, isMassive: Bool = false) {
            self.point = point
            self.tooltip = tooltip
            self.isRootStart = isRootStart
            self.isMassive = isMassive
        }
    }

    public struct Series: Sendable {
        /// Index of the branch, used for the CSS class `bN`.
        public var branch: Int
        public var style: BranchStyle
        /// Where the trajectory starts before its own first marker: the parent token it forks from.
        public var start: Point?
        public var markers: [Marker]
        public init(branch: Int, style: BranchStyle, start: Point?, markers: [Marker]) {
            self.branch = branch
            self.style = style
            self.start = start
            self.markers = markers
        }
    }

    public var label: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var size: Double = 440

    public init(label: String, xLabel: String, yLabel: String, series: [Series]) {
        self.label = label
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    private static let margin = (left: 46.0, right: 10.0, top: 10.0, bottom: 38.0)
    private static let markerRadius = 3.2

    public func svg() -> String {
        let m = Self.margin
        let side = size - m.left - m.right
        // The range covers the ordinary points: massive ones would squeeze everything else into a dot.
        let ordinary = series.flatMap { s in s.markers.filter { !$0.isMassive }.map(\.point) }
        let frame = Frame(points: ordinary.isEmpty ? series.flatMap { $0.markers.map(\.point) } : ordinary,
                          left: m.left, top: m.top, side: side)
        let height = m.top + side + m.bottom
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"scatter\" viewBox=\"0 0 \(fmt(size)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html(label))\">\n"
        out += axes(frame, side: side)
        for s in series {
            out += "<g class=\"series b\(s.branch)\" fill=\"\(s.style.color)\" stroke=\"\(s.style.color)\">\n"
            let path = (s.start.map { [$0] } ?? []) + s.markers.map(\.point)
            if path.count >= 2 {
                out += "<polyline class=\"traj\" points=\"" + path.map { "\(fmt(frame.clampedX($0.x))),\(fmt(frame.clampedY($0.y)))" }.joined(separator: " ") + "\"/>\n"
            }
            for marker in s.markers {
                out += markerElement(marker, shape: s.style.shape, frame: frame)
            }
            out += "</g>\n"
        }
        out += "</svg>"
        return out
    }

    private func markerElement(_ marker: Marker, shape: BranchStyle.Shape, frame: Frame) -> String {
        let x = frame.clampedX(marker.point.x), y = frame.clampedY(marker.point.y), r = Self.markerRadius
        let title = "<title>\(Escape.html(marker.tooltip))</title>"
        var out = ""
        if marker.isMassive {
            out += "<g class=\"massive\"><circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"\(fmt(r * 2.2))\"/><path d=\"M\(fmt(x - r)),\(fmt(y - r))L\(fmt(x + r)),\(fmt(y + r))M\(fmt(x - r)),\(fmt(y + r))L\(fmt(x + r)),\(fmt(y - r))\"/>\(title)</g>\n"
        }
        if marker.isRootStart {
            out += "<circle class=\"root-start\" cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"\(fmt(r * 2.6))\">\(title)</circle>\n"
        }
        switch shape {
        case .circle:
            out += "<circle class=\"pt\" cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"\(fmt(r))\">"
        case .square:
            out += "<rect class=\"pt\" x=\"\(fmt(x - r))\" y=\"\(fmt(y - r))\" width=\"\(fmt(2 * r))\" height=\"\(fmt(2 * r))\">"
        case .triangle:
            out += "<polygon class=\"pt\" points=\"\(fmt(x)),\(fmt(y - 1.3 * r)) \(fmt(x - 1.2 * r)),\(fmt(y + 0.8 * r)) \(fmt(x + 1.2 * r)),\(fmt(y + 0.8 * r))\">"
        case .diamond:
            out += "<polygon class=\"pt\" points=\"\(fmt(x)),\(fmt(y - 1.4 * r)) \(fmt(x + 1.4 * r)),\(fmt(y)) \(fmt(x)),\(fmt(y + 1.4 * r)) \(fmt(x - 1.4 * r)),\(fmt(y))\">"
        }
        out += title + "</\(shape == .circle ? "circle" : shape == .square ? "rect" : "polygon")>\n"
        return out
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
