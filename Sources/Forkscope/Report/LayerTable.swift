/// The per-token CSV beside each layer page (`layers/<L>.csv`): full-precision coordinates for
/// download and for checking against other tools. Two columns per view and layout, kind by kind
/// (`<view>_pc1`, `<view>_pc2` for every view, then `<view>_umap1`, `<view>_umap2` for the views
/// that have a UMAP at this layer), then `<view>_cluster` for the views that were clustered (the
/// cluster of each of the view's fit tokens, −1 unclustered; empty for other tokens). RFC 4180
/// quoting; one row per token in run order.
enum LayerTable {
    static func csv(run: ActivationRun, analysis: LayerAnalysis) -> String {
        var header = ["branch", "token_index", "position", "norm", "dist_to_position_mean"]
        let columns = ProjectionKind.allCases.flatMap { kind in
            analysis.views.compactMap { v in v.layouts[kind].map { (name: "\(v.view.name)_\(kind.columnStem)", layout: $0) } }
        }
        for c in columns { header += [c.name + "1", c.name + "2"] }
        let clustered = analysis.views.compactMap { v in v.clusters.map { (name: v.view.name + "_cluster", labels: $0.labelOfToken) } }
        header += clustered.map(\.name)
        header.append("token")
        var lines = [header.joined(separator: ",")]
        var t = 0
        for b in run.branches {
            for (j, token) in b.tokens.enumerated() {
                var fields = [quote(b.id), String(j), String(b.positions[j]),
                              number(analysis.norms[t]), number(analysis.distanceToPositionMean[t])]
                for c in columns {
                    let p = c.layout.points[t]
                    fields += [number(p?.x), number(p?.y)]
                }
                for c in clustered { fields.append(c.labels[t].map(String.init) ?? "") }
                fields.append(quote(token))
                lines.append(fields.joined(separator: ","))
                t += 1
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Shortest round-tripping decimal; empty for a missing value.
    private static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "" }
        return "\(v)"
    }

    private static func quote(_ s: String) -> String {
        let special = s.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        guard special || s.hasPrefix(" ") || s.hasSuffix(" ") else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
