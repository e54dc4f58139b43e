/// How well a low-dimensional layout keeps neighbourhoods.
public enum LayoutQuality {
    /// Trustworthiness (Venna & Kaski, 2001): 1 − 2/(nk(2n − 3k − 1)) Σᵢ Σ_{j ∈ Uₖ(i)} (r(i, j) − k),
    /// where Uₖ(i) are the layout's k nearest neighbours of i that are not among its k nearest in
    /// the input and r(i, j) is j's rank among i's input neighbours (1 = nearest). Euclidean in
    /// both spaces, as scikit-learn's `trustworthiness`, but with ties (within `euclideanTieTolerance`)
    /// broken by lower index in both spaces. Nil unless 1 ≤ k < n/2.
    public static func trustworthiness(input: Matrix, layout: Matrix, k: Int) -> Double? {
        NeighbourhoodMeasures(input: input, layouts: [layout], k: k, queries: Array(0..<input.rows)).trustworthiness[0]
    }

    /// Mean silhouette (Rousseeuw, 1987) with Euclidean distances over the `queries` rows (all by
    /// default): s(i) = (b − a) / max(a, b), a the mean distance to the rest of i's cluster, b the
    /// smallest mean distance to another cluster, both over all rows; 0 for a point alone in its
    /// cluster. Distances are summed directly (a layout has few columns). Nil unless
    /// 2 ≤ clusters ≤ n − 1.
    public static func silhouette(_ x: Matrix, labels: [Int], queries: [Int]? = nil) -> Double? {
        let n = x.rows
        let clusters = Array(Set(labels)).sorted()
        guard clusters.count >= 2, clusters.count <= n - 1 else { return nil }
        let index = Dictionary(uniqueKeysWithValues: clusters.enumerated().map { ($1, $0) })
        let cluster = labels.map { index[$0]! }
        var sizes = [Int](repeating: 0, count: clusters.count)
        for c in cluster { sizes[c] += 1 }
        let queries = queries ?? Array(0..<n)
        var total = 0.0
        for i in queries {
            let own = cluster[i]
            guard sizes[own] > 1 else { continue }
            var sums = [Double](repeating: 0, count: clusters.count)
            for (j, distance) in Neighbours.directDistances(x, from: i, metric: .euclidean).enumerated() where j != i {
                sums[cluster[j]] += distance
            }
            let a = sums[own] / Double(sizes[own] - 1)
            let b = (0..<clusters.count).filter { $0 != own }.map { sums[$0] / Double(sizes[$0]) }.min()!
            let m = max(a, b)
            total += m > 0 ? (b - a) / m : 0
        }
        return total / Double(queries.count)
    }
}
