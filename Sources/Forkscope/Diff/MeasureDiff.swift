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
                let fa = la.views[view]?.numbers ?? [:], fb = lb.views[view]?.numbers ?? [:]
                for measure in Set(fa.keys).union(fb.keys).sorted() {
                    let x = fa[measure] ?? [], y = fb[measure] ?? []
                    let listed = Report.Measures.listKeys.contains(measure)
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
}

/// How diffs name a pair of layers: "12" when both runs have it, "12~18" when layers of models of
/// different depths are paired by relative depth.
func layerPairLabel(_ a: Int, _ b: Int) -> String {
    a == b ? "\(a)" : "\(a)~\(b)"
}
