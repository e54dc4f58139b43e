/// Reading a number off a representation nonlinearly: each query predicts it as the mean over its
/// nearest neighbours (a k-nearest-neighbour regression), scored by R². Forkscope's nonlinear
/// position probe; its control task (Hewitt & Liang, "Designing and Interpreting Probes with
/// Control Tasks", 2019) keeps the neighbours and permutes the targets within groups, so that
/// R² − control is what the representation, not the probe, knows.
public enum NeighbourRegression {
    /// R² = 1 − Σ(yᵢ − ŷᵢ)² / Σ(yᵢ − ȳ)² over the queries, ŷᵢ the mean of `targets` over query i's
    /// neighbours (`neighbours[q]`, indices into `targets`) and ȳ the queries' mean target. Nil when a
    /// query has no neighbour or the queries' targets do not vary.
    public static func r2(targets: [Double], queries: [Int], neighbours: [[Int]]) -> Double? {
        guard !queries.isEmpty, neighbours.count == queries.count, neighbours.allSatisfy({ !$0.isEmpty }) else { return nil }
        let mean = queries.reduce(0.0) { $0 + targets[$1] } / Double(queries.count)
        var residual = 0.0, total = 0.0
        for (q, i) in queries.enumerated() {
            let predicted = neighbours[q].reduce(0.0) { $0 + targets[$1] } / Double(neighbours[q].count)
            residual += (targets[i] - predicted) * (targets[i] - predicted)
            total += (targets[i] - mean) * (targets[i] - mean)
        }
        return total > 0 ? 1 - residual / total : nil
    }

    /// The seed of the control's permutation (the year of Hewitt & Liang).
    public static let controlSeed: UInt64 = 2019

    /// `values` shuffled within each group: groups in order of their first row, each group's rows
    /// in order, a Fisher–Yates shuffle (i from the last down to 1, swap with j = below(i + 1))
    /// drawing from one SplitMix64 stream seeded with `seed` (`RandomStream`). docs/views-and-measures.md
    /// spells it out so that a script can reproduce it.
    public static func permuted(_ values: [Double], within groups: [Int], seed: UInt64 = controlSeed) -> [Double] {
        precondition(values.count == groups.count)
        var rows = [Int: [Int]](), order = [Int]()
        for (r, g) in groups.enumerated() {
            if rows[g] == nil { order.append(g) }
            rows[g, default: []].append(r)
        }
        var stream = RandomStream(seed: seed)
        var out = values
        for g in order {
            let idx = rows[g]!
            var shuffled = idx.map { values[$0] }
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
                shuffled.swapAt(i, stream.below(i + 1))
            }
            for (r, v) in zip(idx, shuffled) { out[r] = v }
        }
        return out
    }
}
