import Foundation
import ForkscopeNumerics

/// A layer × layer map of values in 0…1 as inline SVG (`forkscope diff`'s CKA maps): A's layers
/// down, B's across, a cell per pair with its value in its tooltip, the layers compared side by
/// side outlined.
public struct HeatMap: Sendable {
    public var title: String
    public var rowLabels: [String], columnLabels: [String]
    /// rows × columns; NaN draws an empty cell.
    public var values: Matrix
    /// (row, column) cells to outline.
    public var outlined: Set<[Int]>
    public var rowAxis: String, columnAxis: String
    /// What the outlined cells are, for the map's description.
    public var outlineMeaning = "the layers compared side by side"
    /// Extra text for each cell's tooltip (rows × columns), e.g. its calibration.
    public var notes: [[String]]?
    /// The `<svg>`'s classes: "heatmap", plus "series" on a series' version × layer maps.
    public var classes = "heatmap"
    /// The values the colour scale spans (the scale's ends); values outside take its end colours.
    public var scale: ClosedRange<Double> = 0...1

    public init(title: String, rowLabels: [String], columnLabels: [String], values: Matrix, outlined: Set<[Int]> = [],
                rowAxis: String = "layer of A", columnAxis: String = "layer of B") {
        self.title = title
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.outlined = outlined
        self.rowAxis = rowAxis
        self.columnAxis = columnAxis
    }

    static let margin = (left: 44.0, top: 10.0, bottom: 34.0, right: 56.0)
    static let plotSide = 300.0

    /// A perceptually ordered colour for v in 0…1: viridis at nine stops (van der Walt & Smith,
    /// matplotlib 2.0), interpolated linearly in sRGB.
    static func color(_ v: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
                                                  (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)]
        let t = min(max(v, 0), 1) * Double(stops.count - 1)
        let i = min(Int(t), stops.count - 2), f = t - Double(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Where `v` falls on the colour scale, 0…1.
    func scaled(_ v: Double) -> Double {
        scale == 0...1 ? v : (v - scale.lowerBound) / (scale.upperBound - scale.lowerBound)
    }

    /// The map in words, for its `<desc>`: its size, its range, and the outlined cells' values.
    var description: String {
        let finite = values.storage.filter(\.isFinite)
        var text = "\(rowLabels.count) rows (\(rowAxis)) by \(columnLabels.count) columns (\(columnAxis))"
        if let lo = finite.min(), let hi = finite.max() {
            text += ", values from \(String(format: "%.3f", lo)) to \(String(format: "%.3f", hi))"
        }
        let pairs = outlined.sorted { $0.lexicographicallyPrecedes($1) }.filter { $0.count == 2 }.map { cell in
            "\(rowLabels[cell[0]])–\(columnLabels[cell[1]]) \(values[cell[0], cell[1]].isFinite ? String(format: "%.3f", values[cell[0], cell[1]]) : "no value")"
        }
        if !pairs.isEmpty { text += "; outlined, \(outlineMeaning): " + pairs.joined(separator: ", ") }
        return text + "."
    }

    public func svg() -> String {
        let m = Self.margin, side = Self.plotSide
        let rows = max(values.rows, 1), cols = max(values.cols, 1)
        let cw = side / Double(cols), ch = side / Double(rows)
        let width = m.left + side + m.right, height = m.top + side + m.bottom
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(classes)\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html(title))\">\n"
        out += "<title>\(Escape.html(title))</title><desc>\(Escape.html(description))</desc>\n<g class=\"cells\">"
        for r in 0..<values.rows {
            for c in 0..<values.cols {
                let v = values[r, c]
                let x = m.left + Double(c) * cw, y = m.top + Double(r) * ch
                let text = "\(rowAxis) \(rowLabels[r]), \(columnAxis) \(columnLabels[c]): " + (v.isNaN ? "no value" : String(format: "%.3f", v))
                    + (notes.map { "; " + $0[r][c] } ?? "")
                out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(cw))\" height=\"\(fmt(ch))\" fill=\"\(v.isNaN ? "#ffffff" : Self.color(scaled(v)))\"><title>\(Escape.html(text))</title></rect>"
            }
        }
        out += "</g>\n<g class=\"paired\">"
        for cell in outlined.sorted(by: { $0.lexicographicallyPrecedes($1) }) where cell.count == 2 {
            out += "<rect x=\"\(fmt(m.left + Double(cell[1]) * cw))\" y=\"\(fmt(m.top + Double(cell[0]) * ch))\" width=\"\(fmt(cw))\" height=\"\(fmt(ch))\"/>"
        }
        out += "</g>\n<g class=\"axes\">"
        func every(_ n: Int) -> Int { max(1, Int((Double(n) / 8).rounded(.up))) }
        for (r, label) in rowLabels.enumerated() where r % every(rowLabels.count) == 0 || r == rowLabels.count - 1 {
            out += "<text class=\"tick\" x=\"\(fmt(m.left - 4))\" y=\"\(fmt(m.top + (Double(r) + 0.5) * ch + 3.5))\" text-anchor=\"end\">\(Escape.html(label))</text>"
        }
        for (c, label) in columnLabels.enumerated() where c % every(columnLabels.count) == 0 || c == columnLabels.count - 1 {
            out += "<text class=\"tick\" x=\"\(fmt(m.left + (Double(c) + 0.5) * cw))\" y=\"\(fmt(m.top + side + 13))\" text-anchor=\"middle\">\(Escape.html(label))</text>"
        }
        out += "<text class=\"axis-label\" x=\"\(fmt(m.left + side / 2))\" y=\"\(fmt(m.top + side + 28))\" text-anchor=\"middle\">\(Escape.html(columnAxis))</text>"
        out += "<text class=\"axis-label\" transform=\"translate(11 \(fmt(m.top + side / 2))) rotate(-90)\" text-anchor=\"middle\">\(Escape.html(rowAxis))</text>"
        // The colour scale, its low end at the bottom.
        let sx = m.left + side + 14
        for k in 0..<20 {
            let v = 1 - Double(k) / 20
            out += "<rect x=\"\(fmt(sx))\" y=\"\(fmt(m.top + Double(k) * side / 20))\" width=\"10\" height=\"\(fmt(side / 20 + 0.5))\" fill=\"\(Self.color(v - 0.025))\"/>"
        }
        for v in [0.0, 0.5, 1.0] {
            let value = scale.lowerBound + v * (scale.upperBound - scale.lowerBound)
            let digits = abs(value * 10 - (value * 10).rounded()) < 1e-9 ? "%.1f" : "%.2f"
            out += "<text class=\"tick\" x=\"\(fmt(sx + 14))\" y=\"\(fmt(m.top + (1 - v) * side + 3.5))\">\(String(format: digits, value))</text>"
        }
        return out + "</g>\n</svg>"
    }
}
