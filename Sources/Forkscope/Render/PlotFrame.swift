import Foundation

/// The data window of a 2-D plot and its mapping to SVG units, shared by every plot of points
/// (`ScatterPlot`, `FacetGrid`, `PositionPlot`, `ClusterPlot`).
///
/// **Robust framing.** Each axis is at most four interquartile ranges long (`Window.robust`), so the
/// middle half of the points spans at least a quarter of it and a handful of far-out tokens cannot
/// squeeze the rest into a corner. Where the points spread further, the axis covers the window of
/// that length holding the most of them: like Tukey's fences (*Exploratory Data Analysis*, 1977:
/// the quartiles widened by 1.5 interquartile ranges, also four long) but slid towards a long tail,
/// so a skewed cloud loses as few points as it can. Points beyond the window are drawn at its edge
/// (`clampedX`, `clampedY`) and counted by the plot that draws them.
///
/// **Equal aspect.** One data unit is as long on both axes, so distances on screen are distances
/// in the projection. The frame's width is fixed and its height follows the window's shape, from
/// `aspect.lowerBound` (wide) to `aspect.upperBound` (tall) times the width; a window more
/// elongated than that is widened on its short axis, centred.
struct PlotFrame: Sendable {
    /// Data coordinates at the frame's left and bottom edges, and SVG units per data unit.
    let xMin: Double, yMin: Double, scale: Double
    /// The frame in SVG units.
    let left: Double, top: Double, width: Double, height: Double

    /// Height over width allowed for a frame: from 1:3 (wide) to 8:5 (tall).
    static let aspect: ClosedRange<Double> = (1.0 / 3)...1.6
    /// How far a marker drawn at the edge sits inside the frame, in SVG units.
    static let inset = 4.0

    var xMax: Double { xMin + width / scale }
    var yMax: Double { yMin + height / scale }

    /// A frame of `width` SVG units on the window `Window.robust(points)`.
    init(points: [Point], left: Double, top: Double, width: Double, aspect: ClosedRange<Double> = PlotFrame.aspect) {
        self.init(window: Window.robust(points), left: left, top: top, width: width, aspect: aspect)
    }

    init(window: Window, left: Double, top: Double, width: Double, aspect: ClosedRange<Double> = PlotFrame.aspect) {
        var x = window.x, y = window.y
        let shape = (y.upperBound - y.lowerBound) / (x.upperBound - x.lowerBound)
        if shape < aspect.lowerBound {
            y = Self.widened(y, to: (x.upperBound - x.lowerBound) * aspect.lowerBound)
        } else if shape > aspect.upperBound {
            x = Self.widened(x, to: (y.upperBound - y.lowerBound) / aspect.upperBound)
        }
        xMin = x.lowerBound
        yMin = y.lowerBound
        scale = width / (x.upperBound - x.lowerBound)
        self.left = left
        self.top = top
        self.width = width
        height = (y.upperBound - y.lowerBound) * scale
    }

    private static func widened(_ range: ClosedRange<Double>, to length: Double) -> ClosedRange<Double> {
        let middle = (range.lowerBound + range.upperBound) / 2
        return (middle - length / 2)...(middle + length / 2)
    }

    func x(_ v: Double) -> Double { left + (v - xMin) * scale }
    /// SVG's y grows downwards.
    func y(_ v: Double) -> Double { top + height - (v - yMin) * scale }
    /// Positions pinned inside the frame, for points beyond the window.
    func clampedX(_ v: Double) -> Double { min(max(x(v), left + Self.inset), left + width - Self.inset) }
    func clampedY(_ v: Double) -> Double { min(max(y(v), top + Self.inset), top + height - Self.inset) }

    /// Whether a point lies in the window (drawn where it is, not pinned to the edge).
    func contains(_ p: Point) -> Bool {
        p.x >= xMin && p.x <= xMax && p.y >= yMin && p.y <= yMax
    }

    /// The data ranges a frame must show.
    struct Window: Sendable, Equatable {
        var x: ClosedRange<Double>
        var y: ClosedRange<Double>

        /// Each axis: every value, padded by 4% of their range, when they span at most
        /// `spreads` interquartile ranges; else the window of that length that holds the most
        /// values (and the whole middle half; the one nearest the middle half's centre among
        /// equals), centred on the values it holds. Quartiles are interpolated linearly, as NumPy's
        /// default. An axis with no spread gets one unit either side.
        static func robust(_ points: [Point]) -> Window {
            Window(x: axis(points.map(\.x)), y: axis(points.map(\.y)))
        }

        /// The longest an axis may be, in interquartile ranges: the middle half of the points then
        /// spans at least a quarter of it.
        static let spreads = 4.0

        static func axis(_ values: [Double]) -> ClosedRange<Double> {
            let v = values.filter(\.isFinite).sorted()
            guard let first = v.first, let last = v.last else { return -1...1 }
            let q1 = quantile(v, 0.25), q3 = quantile(v, 0.75), length = spreads * (q3 - q1)
            let range = last - first
            guard range > 0 else { return (first - 1)...(first + 1) }
            if range <= length {
                let pad = min(range * 0.04, (length - range) / 2)
                return (first - pad)...(last + pad)
            }
            // Two pointers: for each start value v[i] ≤ Q1, the last value within `length` of it.
            var best = (count: 0, start: 0, end: 0, offCentre: Double.infinity)
            var j = 0
            let centre = (q1 + q3) / 2
            for i in v.indices where v[i] <= q1 {
                j = max(j, i)
                while j + 1 < v.count && v[j + 1] <= v[i] + length { j += 1 }
                guard v[j] >= q3 || v[i] + length >= q3 else { continue }
                let count = j - i + 1, offCentre = abs((v[i] + v[j]) / 2 - centre)
                if count > best.count || (count == best.count && offCentre < best.offCentre) {
                    best = (count, i, j, offCentre)
                }
            }
            let slack = (length - (v[best.end] - v[best.start])) / 2
            return (v[best.start] - slack)...(v[best.end] + slack)
        }

        /// The q-quantile of sorted values, linearly interpolated (NumPy's `percentile` default).
        static func quantile(_ sorted: [Double], _ q: Double) -> Double {
            let at = q * Double(sorted.count - 1), i = Int(at.rounded(.down)), f = at - Double(i)
            return i + 1 < sorted.count ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i]
        }
    }

    /// The frame's axes: border, grid lines and tick labels at one step for both axes, and the
    /// axis labels (none where empty).
    func axes(xLabel: String, yLabel: String) -> String {
        var out = "<g class=\"axes\">\n"
        out += "<rect class=\"frame\" x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(width))\" height=\"\(fmt(height))\"/>\n"
        let step = ScatterPlot.niceStep(max(xMax - xMin, yMax - yMin) / 5)
        for v in ScatterPlot.ticks(from: xMin, to: xMax, step: step) {
            let x = self.x(v)
            out += "<line class=\"grid\" x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(top + height))\"/>"
            out += "<text class=\"tick\" x=\"\(fmt(x))\" y=\"\(fmt(top + height + 13))\" text-anchor=\"middle\">\(ScatterPlot.tickLabel(v, step: step))</text>\n"
        }
        for v in ScatterPlot.ticks(from: yMin, to: yMax, step: step) {
            let y = self.y(v)
            out += "<line class=\"grid\" x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left + width))\" y2=\"\(fmt(y))\"/>"
            out += "<text class=\"tick\" x=\"\(fmt(left - 4))\" y=\"\(fmt(y + 3.5))\" text-anchor=\"end\">\(ScatterPlot.tickLabel(v, step: step))</text>\n"
        }
        if !xLabel.isEmpty {
            out += "<text class=\"axis-label\" x=\"\(fmt(left + width / 2))\" y=\"\(fmt(top + height + 31))\" text-anchor=\"middle\">\(Escape.html(xLabel))</text>\n"
        }
        if !yLabel.isEmpty {
            out += "<text class=\"axis-label\" transform=\"translate(11 \(fmt(top + height / 2))) rotate(-90)\" text-anchor=\"middle\">\(Escape.html(yLabel))</text>\n"
        }
        return out + "</g>\n"
    }
}
