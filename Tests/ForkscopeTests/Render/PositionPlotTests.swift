import Testing
@testable import Forkscope

@Suite("PositionPlot")
struct PositionPlotTests {
    typealias Kit = SiteTestKit

    static func plot(_ n: Int, scale: ClosedRange<Int>? = nil, label: String = "a plot") -> PositionPlot {
        let points = (0..<n).map { Point(x: Double($0 % 7), y: Double($0 / 7)) }
        return PositionPlot(label: label, caption: "PCA", points: points, positions: Array(0..<n), scale: scale ?? 0...(n - 1))
    }

    @Test("one dot per token, each in the colour of its position's step; the first and last positions at the ends of the scale")
    func dots() throws {
        let svg = Self.plot(50).svg()
        #expect(Kit.xmlError(svg) == nil)
        let paths = Kit.elements("<path stroke=", in: svg)
        #expect(paths.reduce(0) { $0 + Kit.count("h0", in: $1) } == 50)
        #expect(PositionPlot.step(0, 0, 49) == 0 && PositionPlot.step(49, 0, 49) == PositionPlot.viridis.count - 1)
        #expect(PositionPlot.step(7, 7, 7) == 0)
        #expect(svg.contains("<path stroke=\"\(PositionPlot.viridis[0])\"") && svg.contains("<path stroke=\"\(PositionPlot.viridis.last!)\""))
        // A scale wider than the plot's positions keeps a colour for one position on every plot.
        #expect(!Self.plot(10, scale: 0...100).svg().contains("<path stroke=\"\(PositionPlot.viridis.last!)\""))
    }

    @Test("the frame covers the bulk: one far-out token does not squeeze the others, it is drawn at the edge")
    func robustFrame() throws {
        var points = (0..<100).map { Point(x: Double($0 % 10), y: Double($0 / 10)) }
        points[99] = Point(x: 1e6, y: -1e6)
        let frame = PlotFrame(points: points, left: 0, top: 0, width: 300)
        #expect(frame.xMax < 20 && frame.yMin > -10)
        #expect(frame.contains(Point(x: 0, y: 0)) && frame.contains(Point(x: 9, y: 9)) && !frame.contains(points[99]))
        let svg = PositionPlot(label: "l", caption: "UMAP", points: points, positions: Array(0..<100), scale: 0...99).svg()
        #expect(Kit.xmlError(svg) == nil)
    }

    @Test("the label is escaped")
    func escaping() {
        let svg = Self.plot(3, label: "<script>&\"").svg()
        #expect(!svg.contains("<script>") && svg.contains("&lt;script&gt;&amp;"))
    }
}
