/// The per-token CSV beside each layer page (`layers/<L>.csv`): full-precision coordinates for
/// download and for checking against other tools. UMAP columns (aligned layouts) follow the PCA
/// ones for the views that have a UMAP at this layer. RFC 4180 quoting; one row per token in run order.
enum LayerTable {
    static func csv(run: ActivationRun, analysis: LayerAnalysis) -> String {
        var header = ["branch", "token_index", "position", "norm", "dist_to_position_mean"]
        for v in analysis.views { header += ["\(v.view.name)_pc1", "\(v.view.name)_pc2"] }
        let withUMAP = analysis.views.filter { $0.umap != nil }
        for v in withUMAP { header += ["\(v.view.name)_umap1", "\(v.view.name)_umap2"] }
        header.append("token")
        var lines = [header.joined(separator: ",")]
        var t = 0
        for b in run.branches {
            for (j, token) in b.tokens.enumerated() {
                var fields = [quote(b.id), String(j), String(b.positions[j]),
                              number(analysis.norms[t]), number(analysis.distanceToPositionMean[t])]
                for v in analysis.views {
                    let p = v.projection.points[t]
                    fields += [number(p?.x), number(p?.y)]
                }
                for v in withUMAP {
                    let p = v.umap?.points[t]
                    fields += [number(p?.x), number(p?.y)]
                }
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
