import Foundation

/// How one view's clusters at each shown layer flow into those of the next (an alluvial diagram,
/// Rosvall & Bergstrom 2010): a column per layer, a bar per cluster (height ∝ its tokens, coloured
/// by its label: position, token, content, mixed; the unclustered tokens a grey bar at the
/// bottom), and between neighbouring columns a band per pair of clusters that share tokens,
/// as wide as the tokens they share. Where content bars appear is where content groups form.
struct FlowDiagram: Sendable {
    struct Column: Sendable {
        var layer: Int
        /// The clustered run tokens and each one's cluster (−1 unclustered).
        var labels: [Int: Int]
        /// Per cluster id (−1 last): size, kind and a few top tokens for its tooltip.
        var groups: [(id: Int, size: Int, kind: ClusterGroup.Kind, tokens: String)]
    }

    var label: String
    var columns: [Column]
    var width = 760.0, height = 300.0

    /// Bar colours by label; shared with the layer pages' cluster tables.
    static func colour(_ kind: ClusterGroup.Kind) -> String {
        switch kind {
        case .position: "#e69f00"
        case .token: "#cc79a7"
        case .content: "#0072b2"
        case .mixed: "#8a8a8a"
        case .unclustered: "#dedede"
        }
    }

    private static let top = 24.0, bottom = 22.0, left = 10.0, right = 10.0, barWidth = 12.0, gap = 2.0

    func svg() -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html(label))\">\n"
        out += "<title>\(Escape.html(label))</title><desc>A column of bars per layer, one bar per cluster, coloured by the cluster's label (blue content, orange position, pink one token, grey mixed, light grey unclustered); bands join clusters of neighbouring layers that share tokens.</desc>\n"
        guard columns.count >= 1 else { return out + "</svg>" }
        let inner = height - Self.top - Self.bottom
        let step = columns.count > 1 ? (width - Self.left - Self.right - Self.barWidth) / Double(columns.count - 1) : 0
        // Each bar's vertical extent: clusters stacked top-down by id, unclustered last.
        var bars = [[Int: (y: Double, h: Double)]]()
        for column in columns {
            let total = Double(column.groups.reduce(0) { $0 + $1.size })
            let gaps = Double(max(0, column.groups.count - 1)) * Self.gap
            let scale = total > 0 ? max(0, inner - gaps) / total : 0
            var y = Self.top, extent = [Int: (y: Double, h: Double)]()
            for g in column.groups {
                extent[g.id] = (y, Double(g.size) * scale)
                y += Double(g.size) * scale + Self.gap
            }
            bars.append(extent)
        }
        func x(_ c: Int) -> Double { Self.left + Double(c) * step }
        out += "<g class=\"bands\">\n"
        for c in columns.indices.dropLast() {
            let a = columns[c], b = columns[c + 1]
            var shared = [Pair: Int]()
            for (token, from) in a.labels { if let to = b.labels[token] { shared[Pair(from: from, to: to), default: 0] += 1 } }
            // Bands leave each bar top-down in the order of their target, and enter in the order of their source.
            var outOffset = [Int: Double](), inOffset = [Int: Double]()
            let scaleA = Self.scale(bars[c], a), scaleB = Self.scale(bars[c + 1], b)
            let sorted = shared.keys.sorted { (Self.rank($0.from), Self.rank($0.to)) < (Self.rank($1.from), Self.rank($1.to)) }
            let incoming = shared.keys.sorted { (Self.rank($0.to), Self.rank($0.from)) < (Self.rank($1.to), Self.rank($1.from)) }
            var inStart = [Pair: Double]()
            for pair in incoming {
                let h = Double(shared[pair]!) * scaleB
                inStart[pair] = (bars[c + 1][pair.to]?.y ?? 0) + inOffset[pair.to, default: 0]
                inOffset[pair.to, default: 0] += h
            }
            for pair in sorted {
                let n = shared[pair]!, hA = Double(n) * scaleA, hB = Double(n) * scaleB
                let y0 = (bars[c][pair.from]?.y ?? 0) + outOffset[pair.from, default: 0], y1 = inStart[pair]!
                outOffset[pair.from, default: 0] += hA
                let x0 = x(c) + Self.barWidth, x1 = x(c + 1), mid = (x0 + x1) / 2
                let kind = b.groups.first { $0.id == pair.to }?.kind ?? .unclustered
                out += "<path class=\"band\" fill=\"\(Self.colour(kind))\" d=\"M\(coord(x0)) \(coord(y0))C\(coord(mid)) \(coord(y0)) \(coord(mid)) \(coord(y1)) \(coord(x1)) \(coord(y1))V\(coord(y1 + hB))C\(coord(mid)) \(coord(y1 + hB)) \(coord(mid)) \(coord(y0 + hA)) \(coord(x0)) \(coord(y0 + hA))Z\"><title>layer \(a.layer) \(Self.name(pair.from)) → layer \(b.layer) \(Self.name(pair.to)): \(n) token\(n == 1 ? "" : "s")</title></path>\n"
            }
        }
        out += "</g>\n<g class=\"bars\">\n"
        for (c, column) in columns.enumerated() {
            for g in column.groups {
                guard let e = bars[c][g.id] else { continue }
                let tip = "layer \(column.layer) \(Self.name(g.id)): \(g.size) tokens, \(g.kind.rawValue)" + (g.tokens.isEmpty ? "" : "; top tokens \(g.tokens)")
                out += "<rect fill=\"\(Self.colour(g.kind))\" x=\"\(fmt(x(c)))\" y=\"\(fmt(e.y))\" width=\"\(fmt(Self.barWidth))\" height=\"\(fmt(max(0.5, e.h)))\"><title>\(Escape.html(tip))</title></rect>\n"
            }
            out += "<text class=\"tick\" x=\"\(fmt(x(c) + Self.barWidth / 2))\" y=\"\(fmt(height - 6))\" text-anchor=\"middle\">\(column.layer)</text>\n"
        }
        out += "</g>\n<text class=\"axis-label\" x=\"\(fmt(Self.left))\" y=\"14\">layer →</text>\n"
        return out + "</svg>"
    }

    private struct Pair: Hashable { let from: Int, to: Int }

    /// A cluster's place in a column's stack: by id, the unclustered tokens last.
    private static func rank(_ id: Int) -> Int { id < 0 ? Int.max : id }

    private static func name(_ id: Int) -> String { id < 0 ? "unclustered" : "cluster \(id)" }

    /// Pixels per token of a column (bars are drawn at this scale).
    private static func scale(_ bars: [Int: (y: Double, h: Double)], _ column: Column) -> Double {
        guard let g = column.groups.first(where: { $0.size > 0 }), let e = bars[g.id] else { return 0 }
        return e.h / Double(g.size)
    }
}
