import Foundation

/// The measures of two built reports side by side: every numeric measure of every layer and view
/// both `report.json` files hold (forkscope.report/1), A's value, B's and B − A. The text diff and
/// `--fail-if` read it; it needs no states, so two published reports are enough.
public struct MeasureDiff: Sendable {
    public struct Row: Sendable, Equatable {
        public let layerA: Int, layerB: Int
        public let view: String
        public let measure: String
        public let a: Double?, b: Double?
        public var delta: Double? { a.flatMap { a in b.map { $0 - a } } }
        public var layerLabel: String { layerPairLabel(layerA, layerB) }
    }

    public let rows: [Row]

    /// Layers pair as `LayerPairing` pairs the reports' layer lists; views and measures by name,
    /// every one either side holds (the other's value nil); list-valued measures (explained
    /// variance) by component, `name[i]`.
    public init(_ a: [Report.Layer], _ b: [Report.Layer]) {
        let pairing = LayerPairing(a.map(\.layer), b.map(\.layer))
        var rows = [Row]()
        for pair in pairing.pairs {
            let la = a[pair.a], lb = b[pair.b]
            // Views either report holds (a view only one side has shows its values against none).
            for view in Self.ordered(Set(la.views.keys).union(lb.views.keys)) {
                let fa = Self.fields(la.views[view]), fb = Self.fields(lb.views[view])
                for measure in Set(fa.keys).union(fb.keys).sorted() {
                    let x = fa[measure] ?? [], y = fb[measure] ?? []
                    let listed = Self.lists.contains(measure)
                    for i in 0..<max(x.count, y.count) {
                        let va = i < x.count ? x[i] : nil, vb = i < y.count ? y[i] : nil
                        guard va != nil || vb != nil else { continue }
                        rows.append(Row(layerA: la.layer, layerB: lb.layer, view: view, measure: listed ? "\(measure)[\(i)]" : measure, a: va, b: vb))
                    }
                }
            }
        }
        self.rows = rows
    }

    /// Views in the order of `View.defaults`, then by name.
    private static func ordered(_ views: Set<String>) -> [String] {
        let preferred = View.defaults.map(\.name)
        return views.sorted { (preferred.firstIndex(of: $0) ?? .max, $0) < (preferred.firstIndex(of: $1) ?? .max, $1) }
    }

    /// The report keys whose values are lists, compared component by component.
    private static let lists = Set(ProjectionKind.allCases.compactMap(\.explainedVarianceKey))

    /// Every number of a view's measures by its report key: counts, measures, and explained
    /// variances (one value per component). Non-finite numbers count as absent, as report.json has them.
    private static func fields(_ m: Report.Measures?) -> [String: [Double?]] {
        guard let m else { return [:] }
        var out: [String: [Double?]] = ["tokens": [Double(m.measures.tokens)], "fit_tokens": [Double(m.measures.fitTokens)],
                                        "neighbour_queries": [m.measures.neighbourQueries.map(Double.init)]]
        for (id, value) in m.measures.values { out[id.rawValue] = [Optional(value).finite] }
        for (kind, values) in m.explainedVariance { if let key = kind.explainedVarianceKey { out[key] = values.map { Optional($0).finite } } }
        return out
    }
}

/// How diffs name a pair of layers: "12" when both runs have it, "12~18" when layers of models of
/// different depths are paired by relative depth.
func layerPairLabel(_ a: Int, _ b: Int) -> String {
    a == b ? "\(a)" : "\(a)~\(b)"
}
