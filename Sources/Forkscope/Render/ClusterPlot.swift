import Foundation

/// A layout's tokens coloured by their cluster (`ViewClusters`), the unclustered tokens in light
/// grey underneath: the groups the clustering found, seen in the projection. Drawn as
/// `PositionPlot` is: one `<path>` of dots per colour, in a `PlotFrame`.
struct ClusterPlot: Sendable {
    var label: String
    var caption: String
    var points: [Point]
    /// Each point's cluster (−1 unclustered).
    var clusters: [Int]
    var size = 300.0

    /// A categorical palette (Okabe & Ito 2008's colour-blind-safe eight, then four more); cluster c
    /// takes colour c mod 12, so the table beside the plot shows each cluster's swatch.
    static let palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
                          "#8c564b", "#7f7f7f", "#17becf", "#bcbd22"]
    static let unclustered = "#d4d4d4"
    private static let margin = 12.0, bottom = 22.0, dot = 4.0

    static func colour(_ cluster: Int) -> String { cluster < 0 ? unclustered : palette[cluster % palette.count] }

    func svg() -> String {
        let m = Self.margin
        let frame = PlotFrame(points: points, left: m, top: m, width: size - 2 * m)
        let side = frame.width, tall = frame.height
        let height = m + tall + Self.bottom
        let count = Set(clusters.filter { $0 >= 0 }).count
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cluster-plot\" viewBox=\"0 0 \(fmt(size)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html(label))\">\n"
        out += "<title>\(Escape.html(label))</title><desc>\(points.count) tokens coloured by their cluster (\(count) clusters; unclustered tokens in light grey). The table beside lists each cluster's colour.</desc>\n"
        out += "<g class=\"axes\"><rect class=\"frame\" x=\"\(fmt(m))\" y=\"\(fmt(m))\" width=\"\(fmt(side))\" height=\"\(fmt(tall))\"/>"
        out += "<text class=\"axis-label\" x=\"\(fmt(m + side / 2))\" y=\"\(fmt(m + tall + 15))\" text-anchor=\"middle\">\(Escape.html(caption))</text></g>\n"
        var dots = DotPaths(points: points.count)
        for (p, c) in zip(points, clusters) {
            dots.add(frame.clampedX(p.x), frame.clampedY(p.y), colour: Self.colour(c))
        }
        out += "<g class=\"dots\" fill=\"none\" stroke-width=\"\(fmt(Self.dot))\" stroke-linecap=\"round\">\n"
        // Unclustered first (underneath), then the palette in order.
        for colour in [Self.unclustered] + Self.palette where !dots.d(colour).isEmpty {
            out += "<path stroke=\"\(colour)\" d=\"\(dots.d(colour))\"/>\n"
        }
        return out + "</g>\n</svg>"
    }
}
