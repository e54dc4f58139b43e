import Foundation

/// A line chart of one measure against layer, a line per view, as inline SVG: the layer sweep.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var label: String
        public var color: String
        /// One value per x position; nil breaks the line.
        public var values: [Double?]
        public var dashed: Bool
        public init(label: String, color: String, values: [Double?], dashed: Bool = false) {
            self.label = label
            self.color = color
            self.values = values
            self.dashed = dashed
        }
    }

    public var title: String
    /// Labels of the x positions (the layers).
    public var xLabels: [String]
    public var series: [Series]
    /// The y range always shown (e.g. 0…1 for shares); widened to fit the data.
    public var floor: ClosedRange<Double>
    /// The `<svg>`'s classes: "sweep" for the layer sweep, which pages and tests find by it.
    public var classes = "sweep"
    /// What the x positions are: "layer", or "version" for a series of model versions.
    public var xAxis = "layer"
    /// What a line is, for the chart's description.
    public var lineMeaning = "view"

    public init(title: String, xLabels: [String], series: [Series], floor: ClosedRange<Double> = 0...1) {
        self.title = title
        self.xLabels = xLabels
        self.series = series
        self.floor = floor
    }

    static let size = (width: 360.0, height: 200.0)
    static let margin = (left: 40.0, right: 8.0, top: 8.0, bottom: 28.0)

    /// The chart in words, for its `<desc>`: each line's range and where it peaks.
    var description: String {
        let lines = series.filter { !$0.dashed }.compactMap { s -> String? in
            let points = s.values.enumerated().compactMap { i, v in v.flatMap { $0.isFinite ? (i, $0) : nil } }
            guard let lo = points.min(by: { $0.1 < $1.1 }), let hi = points.max(by: { $0.1 < $1.1 }) else { return nil }
            return "\(s.label) from \(String(format: "%.3f", lo.1)) (\(xAxis) \(xLabels[lo.0])) to \(String(format: "%.3f", hi.1)) (\(xAxis) \(xLabels[hi.0]))"
        }
        return "\(title) against \(xAxis), a line per \(lineMeaning): " + lines.joined(separator: "; ") + "."
    }

    public func svg() -> String {
        let m = Self.margin, w = Self.size.width - m.left - m.right, h = Self.size.height - m.top - m.bottom
        let values = series.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite)
        var lo = min(floor.lowerBound, values.min() ?? floor.lowerBound)
        var hi = max(floor.upperBound, values.max() ?? floor.upperBound)
        if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
        let step = ScatterPlot.niceStep((hi - lo) / 4)
        lo = (lo / step).rounded(.down) * step
        hi = (hi / step).rounded(.up) * step
        let count = max(xLabels.count - 1, 1)
        func x(_ i: Int) -> Double { m.left + w * Double(i) / Double(count) }
        func y(_ v: Double) -> Double { m.top + h * (hi - v) / (hi - lo) }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(classes)\" viewBox=\"0 0 \(fmt(Self.size.width)) \(fmt(Self.size.height))\" role=\"img\" aria-label=\"\(Escape.html(title))\">\n"
        out += "<title>\(Escape.html(title))</title><desc>\(Escape.html(description))</desc>\n<g class=\"axes\">"
        out += "<rect class=\"frame\" x=\"\(fmt(m.left))\" y=\"\(fmt(m.top))\" width=\"\(fmt(w))\" height=\"\(fmt(h))\"/>"
        for v in ScatterPlot.ticks(from: lo, to: hi, step: step) {
            out += "<line class=\"grid\" x1=\"\(fmt(m.left))\" y1=\"\(fmt(y(v)))\" x2=\"\(fmt(m.left + w))\" y2=\"\(fmt(y(v)))\"/>"
            out += "<text class=\"tick\" x=\"\(fmt(m.left - 4))\" y=\"\(fmt(y(v) + 3.5))\" text-anchor=\"end\">\(ScatterPlot.tickLabel(v, step: step))</text>"
        }
        let every = max(1, Int((Double(xLabels.count) / 10).rounded(.up)))
        for (i, label) in xLabels.enumerated() where i % every == 0 || i == xLabels.count - 1 {
            out += "<text class=\"tick\" x=\"\(fmt(x(i)))\" y=\"\(fmt(m.top + h + 13))\" text-anchor=\"middle\">\(Escape.html(label))</text>"
        }
        out += "<text class=\"axis-label\" x=\"\(fmt(m.left + w / 2))\" y=\"\(fmt(m.top + h + 26))\" text-anchor=\"middle\">\(Escape.html(xAxis))</text></g>\n"
        for s in series {
            out += "<g class=\"line\(s.dashed ? " chance" : "")\" stroke=\"\(s.color)\" fill=\"\(s.color)\"><title>\(Escape.html(s.label))</title>"
            var segment = [String]()
            func flush() {
                if segment.count >= 2 { out += "<polyline points=\"\(segment.joined(separator: " "))\"/>" }
                segment = []
            }
            for (i, v) in s.values.enumerated() {
                guard let v, v.isFinite else { flush(); continue }
                segment.append("\(fmt(x(i))),\(fmt(y(v)))")
                if !s.dashed {
                    out += "<circle cx=\"\(fmt(x(i)))\" cy=\"\(fmt(y(v)))\" r=\"2.2\"><title>\(Escape.html(s.label)), \(Escape.html(xAxis)) \(Escape.html(xLabels[i])): \(NumberFormat.figure(v))</title></circle>"
                }
            }
            flush()
            out += "</g>\n"
        }
        return out + "</svg>"
    }
}
