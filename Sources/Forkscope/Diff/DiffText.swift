import Foundation

/// `forkscope diff --text`: the diff as compact lines for terminals and CI logs, and the
/// `--fail-if` verdicts. CKA needs two runs; the measures come from two runs (analysed) or two
/// built reports.
public enum DiffText {
    public static func render(similarity: RunDiff?, measures: MeasureDiff?, changesAbove: Double = 0) -> String {
        var lines = [String]()
        if let d = similarity {
            lines.append("A: \(TokenText.visible(d.titleA))")
            lines.append("B: \(TokenText.visible(d.titleB))")
            lines.append("branches: \(d.pairing.branches.count) compared (\(d.pairing.tokens.count) tokens)"
                         + (d.pairing.mismatches.isEmpty ? "" : "; left out: "
                            + d.pairing.mismatches.map { "\(TokenText.visible($0.branch)) (\($0.reason))" }.joined(separator: ", ")))
            lines.append("layers: " + (d.pairing.layers.byDepth ? "paired by relative depth" : "paired in order"))
            lines.append("")
            lines.append("linear CKA of A and B (1: the same up to rotation and scale)")
            let views = d.layers.first?.entries.map(\.view.name) ?? []
            let widths = views.map { max($0.count, 5) }
            lines.append(pad("layer", 9) + zip(views, widths).map { "  " + pad($0, $1) }.joined())
            for layer in d.layers {
                let label = layer.layerLabel
                lines.append(pad(label, 9) + zip(layer.entries, widths).map { "  " + pad($0.cka.map { String(format: "%.3f", $0) } ?? "—", $1) }.joined())
            }
        }
        if let m = measures {
            if !lines.isEmpty { lines.append("") }
            let changed = m.rows.filter { row in row.delta.map { abs($0) > changesAbove } ?? (row.a == nil) != (row.b == nil) }
            lines.append("measures, B against A (\(changed.count) of \(m.rows.count) changed)")
            lines.append(pad("layer", 9) + "  " + pad("view", 14) + "  " + pad("measure", 26) + "  " + pad("A", 10) + "  " + pad("B", 10) + "  B − A")
            for row in changed {
                let label = row.layerLabel
                lines.append(pad(label, 9) + "  " + pad(row.view, 14) + "  " + pad(row.measure, 26) + "  " + pad(number(row.a), 10)
                             + "  " + pad(number(row.b), 10) + "  " + (row.delta.map { String(format: "%+.4f", $0) } ?? "—"))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A diff's text: that of its two runs or reports, or of each pair of a series under a heading.
    public static func render(_ result: DiffBuild.Result, changesAbove: Double = 0) -> String {
        guard let series = result.series else { return render(similarity: result.runs, measures: result.measures, changesAbove: changesAbove) }
        return series.pairs.enumerated().map { i, pair in
            "== \(pairName(series, i)) ==\n" + render(similarity: pair, measures: pair.measures, changesAbove: changesAbove)
        }.joined(separator: "\n")
    }

    /// `failures` of every pair of a series, each line naming its pair.
    public static func failures(_ conditions: [FailCondition], _ result: DiffBuild.Result) -> [String] {
        guard let series = result.series else { return failures(conditions, similarity: result.runs, measures: result.measures) }
        return series.pairs.enumerated().flatMap { i, pair in
            failures(conditions, similarity: pair, measures: pair.measures).map { "\(pairName(series, i)): " + $0 }
        }
    }

    /// "1 (label) → 3 (label)": pair `i` of a series, versions numbered from 1.
    static func pairName(_ series: SeriesDiff, _ i: Int) -> String {
        let a = series.bases[i], b = i + 1
        return "\(a + 1) (\(TokenText.visible(series.labels[a]))) → \(b + 1) (\(TokenText.visible(series.labels[b])))"
    }

    /// One line per layer (and view) that meets a condition, e.g. "cka<0.9: layer 1 raw 0.312".
    public static func failures(_ conditions: [FailCondition], similarity: RunDiff?, measures: MeasureDiff?) -> [String] {
        var out = [String]()
        for condition in conditions {
            switch condition.subject {
            case .similarity(let measure, let view):
                for layer in similarity?.layers ?? [] {
                    for entry in layer.entries where view == nil || entry.view.name == view {
                        if let v = measure.value(of: entry), condition.holds(v) { out.append("\(condition): layer \(layer.layerA) \(entry.view.name) \(String(format: "%.4f", v))") }
                    }
                }
            case .measure(let name, let delta):
                for row in measures?.rows ?? [] where row.measure == name {
                    if let v = delta ? row.delta : row.b, condition.holds(v) {
                        out.append("\(condition): layer \(row.layerA) \(row.view) \(String(format: "%.4f", v))")
                    }
                }
            }
        }
        return out
    }

    /// Conditions that could never fail here, each with why: a gate on a view or measure the diff
    /// does not hold would pass silently, so the command refuses it instead.
    public static func unmatched(_ conditions: [FailCondition], similarity: RunDiff?, measures: MeasureDiff?) -> [String] {
        conditions.compactMap { condition in
            switch condition.subject {
            case .similarity(let measure, let view):
                guard let similarity else { return "\(condition): \(measure.rawValue) needs two runs, not two reports" }
                let views = similarity.layers.first?.entries.map(\.view.name) ?? []
                if let view, !views.contains(view) { return "\(condition): no view \"\(view)\" (compared: \(views.joined(separator: ", ")))" }
                return nil
            case .measure(let name, let delta):
                // A gate on B's value needs B to have it somewhere; one on the change needs both.
                let known = Set((measures?.rows ?? []).filter { delta ? $0.delta != nil : $0.b != nil }.map(\.measure))
                return known.contains(name) ? nil : "\(condition): no measure \"\(name)\" (known: \(known.sorted().joined(separator: ", ")))"
            }
        }
    }

    private static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
    private static func number(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "—" }
}
