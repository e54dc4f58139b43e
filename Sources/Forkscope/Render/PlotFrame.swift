import Foundation

/// The data window of a 2-D plot and its mapping to SVG units, shared by every plot of points
/// (`ScatterPlot`, `FacetGrid`, `PositionPlot`, `ClusterPlot`).
///
/// **Robust framing.** Each axis is at most four interquartile ranges long, its inner margin
/// included (`init(points:)`, `Window.axis`), so the middle half of the points spans at least a quarter of it and
/// a handful of far-out tokens cannot squeeze the rest into a corner. Where the points spread further, the axis covers the window of
/// that length holding the most of them: like Tukey's fences (*Exploratory Data Analysis*, 1977:
/// the quartiles widened by 1.5 interquartile ranges, also four long) but slid towards a long tail,
/// so a skewed cloud loses as few points as it can. The window is drawn `inset` units inside the
/// frame; points beyond it are drawn on the frame's edge (`clampedX`, `clampedY`), beyond every
/// point drawn where it lies, and counted by the plot that draws them.
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

    /// Height over width allowed for a frame: from 1:8 (wide: a cloud that is nearly a line is
    /// drawn as one, rather than padded with empty space) to 2:1 (tall).
    static let aspect: ClosedRange<Double> = (1.0 / 8)...2
    /// The margin between the window and the frame, in SVG units: points beyond the window are
    /// drawn on the frame, this far out from the window's edge.
    static let inset = 4.0

    var xMax: Double { xMin + (width - 2 * Self.inset) / scale }
    var yMax: Double { yMin + (height - 2 * Self.inset) / scale }

    /// A frame of `width` SVG units on the robust windows of `points` (`Window.axis`). Each axis's
    /// window is at most as long as keeps its middle half on a quarter of the drawn axis, inner
    /// margins included. Where the windows' shape is beyond `aspect`, the short one is widened up to
    /// that length, then the long one shortened to fit (losing its outermost points, not the short
    /// axis's legibility).
    init(points: [Point], left: Double, top: Double, width: Double, aspect: ClosedRange<Double> = PlotFrame.aspect) {
        let xs = points.map(\.x), ys = points.map(\.y)
        let (spreadX, spreadY) = (Window.spread(xs), Window.spread(ys))
        let margin = 2 * Self.inset
        // Units per SVG unit of the drawn window for a given x window, and y's longest window then.
        func longestY(_ x: ClosedRange<Double>) -> Double {
            Window.spreads * spreadY - margin * (x.upperBound - x.lowerBound) / (width - margin)
        }
        let longestX = Window.spreads * spreadX * (1 - margin / width)
        var x = Window.axis(xs, longest: longestX)
        var y = Window.axis(ys, longest: longestY(x))
        func length(_ r: ClosedRange<Double>) -> Double { r.upperBound - r.lowerBound }
        if length(y) > length(x) * aspect.upperBound {
            x = Self.widened(x, to: max(length(x), min(longestX, length(y) / aspect.upperBound)))
            if length(y) > length(x) * aspect.upperBound { y = Window.axis(ys, longest: length(x) * aspect.upperBound) }
        } else if length(y) < length(x) * aspect.lowerBound {
            y = Self.widened(y, to: max(length(y), min(longestY(x), length(x) * aspect.lowerBound)))
            if length(y) < length(x) * aspect.lowerBound { x = Window.axis(xs, longest: length(y) / aspect.lowerBound) }
        }
        self.init(window: Window(x: x, y: y), left: left, top: top, width: width, aspect: aspect)
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
        scale = (width - 2 * Self.inset) / (x.upperBound - x.lowerBound)
        self.left = left
        self.top = top
        self.width = width
        height = (y.upperBound - y.lowerBound) * scale + 2 * Self.inset
    }

    private static func widened(_ range: ClosedRange<Double>, to length: Double) -> ClosedRange<Double> {
        let middle = (range.lowerBound + range.upperBound) / 2
        return (middle - length / 2)...(middle + length / 2)
    }

    func x(_ v: Double) -> Double { left + Self.inset + (v - xMin) * scale }
    /// SVG's y grows downwards.
    func y(_ v: Double) -> Double { top + height - Self.inset - (v - yMin) * scale }
    /// Positions pinned to the frame, for points beyond the window.
    func clampedX(_ v: Double) -> Double { min(max(x(v), left), left + width) }
    func clampedY(_ v: Double) -> Double { min(max(y(v), top), top + height) }

    /// Whether a point lies in the window (drawn where it is, not pinned to the edge).
    func contains(_ p: Point) -> Bool {
        p.x >= xMin && p.x <= xMax && p.y >= yMin && p.y <= yMax
    }

    /// 1, 2 or 5 times a power of ten, at most `rough`.
    static func niceStepBelow(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, floor(log10(rough)))
        let f = rough / power
        return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * power
    }

    /// The data ranges a frame must show.
    struct Window: Sendable, Equatable {
        var x: ClosedRange<Double>
        var y: ClosedRange<Double>

        /// The longest an axis's window may be, in interquartile ranges of its points, before
        /// its inner margins: the middle half of the points then spans at least a quarter of it.
        static let spreads = 4.0
        /// Below this many points every one is in the window: too few to call any an outlier.
        static let fewest = 20

        /// The interquartile range of values (quartiles interpolated linearly, as NumPy's default).
        static func spread(_ values: [Double]) -> Double {
            let v = values.filter(\.isFinite).sorted()
            return v.isEmpty ? 0 : quantile(v, 0.75) - quantile(v, 0.25)
        }

        /// An axis's window: every value, padded by 4% of their range, when there are fewer than
        /// `fewest` or they span at most `longest`; else the window of length `longest` that holds
        /// the most values (and the whole middle half; the one nearest the middle half's centre
        /// among equals), centred on the values it holds. Without any spread, one unit either side.
        static func axis(_ values: [Double], longest length: Double) -> ClosedRange<Double> {
            let v = values.filter(\.isFinite).sorted()
            guard let first = v.first, let last = v.last else { return -1...1 }
            let q1 = quantile(v, 0.25), q3 = quantile(v, 0.75)
            let range = last - first
            guard range > 0 else { return (first - 1)...(first + 1) }
            if range <= length || v.count < fewest {
                let pad = v.count < fewest ? range * 0.04 : min(range * 0.04, (length - range) / 2)
                return (first - pad)...(last + pad)
            }
            // Two pointers: for each start value v[i] ≤ Q1, the last value within `length` of it.
            var best = (count: 0, start: 0, end: 0, offCentre: Double.infinity)
            var j = 0
            let centre = (q1 + q3) / 2
            for i in v.indices where v[i] <= q1 {
                j = max(j, i)
                while j + 1 < v.count && v[j + 1] <= v[i] + length { j += 1 }
                guard v[i] + length >= q3 else { continue }
                let count = j - i + 1, offCentre = abs((v[i] + v[j]) / 2 - centre)
                if count > best.count || (count == best.count && offCentre < best.offCentre) {
                    best = (count, i, j, offCentre)
                }
            }
            guard best.count > 0 else { return (centre - length / 2)...(centre + length / 2) }
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
        // One step for both axes: about five on the longer, at least two on the shorter.
        let (long, short) = (max(xMax - xMin, yMax - yMin), min(xMax - xMin, yMax - yMin))
        let step = min(ScatterPlot.niceStep(long / 5), Self.niceStepBelow(short / 2))
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
