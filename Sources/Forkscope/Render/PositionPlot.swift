import Foundation

/// A layout's tokens coloured by their position on a perceptually uniform sequential scale
/// (viridis, van der Walt & Smith 2015), with a colour bar: a gradient across a plot is position
/// written into the geometry. No trajectories and no per-token tooltips: the picture is the
/// gradient; the token tables and CSV have every point.
///
/// Each colour is one `<path>` of zero-length round-capped strokes (`DotPaths`), so a plot costs
/// at most a dozen bytes per token, and no more than its covered area on large runs.
struct PositionPlot: Sendable {
    var label: String
    /// The projection's name, under the plot.
    var caption: String
    /// The tokens drawn: their points and positions.
    var points: [Point]
    var positions: [Int]
    /// The positions the colour scale spans: the same for every plot of a page, so that a colour
    /// means one position throughout.
    var scale: ClosedRange<Int>
    var size = 300.0

    /// Colours of the scale: viridis at 16 even steps; a token takes the step nearest its position.
    static let viridis = ["#440154", "#481a6c", "#472f7d", "#414487", "#39568c", "#31688e", "#2a788e", "#23888e",
                          "#1f988b", "#22a884", "#35b779", "#54c568", "#7ad151", "#a5db36", "#d2e21b", "#fde725"]
    private static let margin = (left: 12.0, right: 52.0, top: 10.0, bottom: 22.0)
    private static let dot = 4.0

    func svg() -> String {
        let m = Self.margin
        let frame = PlotFrame(points: points, left: m.left, top: m.top, width: size - m.left - m.right)
        let side = frame.width, tall = frame.height
        let height = m.top + tall + m.bottom
        let lo = scale.lowerBound, hi = scale.upperBound
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"position-plot\" viewBox=\"0 0 \(fmt(size)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html(label))\">\n"
        out += "<title>\(Escape.html(label))</title><desc>\(points.count) tokens coloured by position, \(lo) (dark purple) to \(hi) (yellow). Every token's coordinates are in the page's CSV.</desc>\n"
        out += "<g class=\"axes\"><rect class=\"frame\" x=\"\(fmt(m.left))\" y=\"\(fmt(m.top))\" width=\"\(fmt(side))\" height=\"\(fmt(tall))\"/>"
        out += "<text class=\"axis-label\" x=\"\(fmt(m.left + side / 2))\" y=\"\(fmt(m.top + tall + 15))\" text-anchor=\"middle\">\(Escape.html(caption))</text></g>\n"
        var dots = DotPaths(points: points.count)
        for (p, position) in zip(points, positions) {
            dots.add(frame.clampedX(p.x), frame.clampedY(p.y), colour: Self.viridis[Self.step(position, lo, hi)])
        }
        out += "<g class=\"dots\" fill=\"none\" stroke-width=\"\(fmt(Self.dot))\" stroke-linecap=\"round\">\n"
        for colour in Self.viridis where !dots.d(colour).isEmpty {
            out += "<path stroke=\"\(colour)\" d=\"\(dots.d(colour))\"/>\n"
        }
        out += "</g>\n" + colourBar(x: m.left + side + 12, top: m.top, height: tall, lo: lo, hi: hi)
        return out + "</svg>"
    }

    /// The scale step of a position: 0 at the first position, the last step at the last.
    static func step(_ position: Int, _ lo: Int, _ hi: Int) -> Int {
        guard hi > lo else { return 0 }
        return Int((Double(position - lo) / Double(hi - lo) * Double(viridis.count - 1)).rounded())
    }

    /// The scale as stacked bands, earliest position at the top, with the first and last position.
    private func colourBar(x: Double, top: Double, height: Double, lo: Int, hi: Int) -> String {
        let band = height / Double(Self.viridis.count)
        var out = "<g class=\"colour-bar\">"
        for (i, colour) in Self.viridis.enumerated() {
            out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(top + Double(i) * band))\" width=\"10\" height=\"\(fmt(band + 0.5))\" fill=\"\(colour)\"/>"
        }
        out += "<text class=\"tick\" x=\"\(fmt(x + 14))\" y=\"\(fmt(top + 8))\">\(lo)</text>"
        out += "<text class=\"tick\" x=\"\(fmt(x + 14))\" y=\"\(fmt(top + height))\">\(hi)</text>"
        out += "<text class=\"axis-label\" transform=\"translate(\(fmt(x + 30)) \(fmt(top + height / 2))) rotate(90)\" text-anchor=\"middle\">position</text>"
        return out + "</g>\n"
    }
}
