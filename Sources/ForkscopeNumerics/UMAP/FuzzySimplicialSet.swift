import Foundation

/// UMAP's fuzzy simplicial set (McInnes, Healy & Melville 2018, §3; umap-learn's
/// `smooth_knn_dist`, `compute_membership_strengths` and `fuzzy_simplicial_set`).
public enum FuzzySimplicialSet {
    /// umap-learn's SMOOTH_K_TOLERANCE and MIN_K_DIST_SCALE.
    static let tolerance = 1e-5
    static let minimumScale = 1e-3

    /// Per point: rho, its distance to the nearest other point at non-zero distance, and sigma,
    /// found by bisection so that Σ_j exp(−max(0, d_j − rho)/sigma) over its k − 1 neighbours is
    /// log2(k) (local_connectivity 1, bandwidth 1, 64 steps).
    public static func smoothDistances(_ graph: NeighbourGraph) -> (sigma: [Double], rho: [Double]) {
        let n = graph.count, k = graph.k
        let target = log2(Double(k))
        let meanAll = graph.distances.reduce(0, +) / Double(max(1, graph.distances.count))
        var sigma = [Double](repeating: 0, count: n), rho = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let row = graph.distances[(i * k)..<(i * k + k)]
            let nonZero = row.filter { $0 > 0 }
            rho[i] = nonZero.first ?? 0
            var lo = 0.0, hi = Double.greatestFiniteMagnitude, mid = 1.0
            for _ in 0..<64 {
                var psum = 0.0
                for j in 1..<k {
                    let d = row[row.startIndex + j] - rho[i]
                    psum += d > 0 ? exp(-(d / mid)) : 1
                }
                if abs(psum - target) < tolerance { break }
                if psum > target {
                    hi = mid; mid = (lo + hi) / 2
                } else {
                    lo = mid
                    mid = hi == .greatestFiniteMagnitude ? mid * 2 : (lo + hi) / 2
                }
            }
            let floor = minimumScale * (rho[i] > 0 ? row.reduce(0, +) / Double(k) : meanAll)
            sigma[i] = max(mid, floor)
        }
        return (sigma, rho)
    }

    /// The symmetric fuzzy union A + Aᵀ − A∘Aᵀ of the directed memberships
    /// exp(−max(0, d − rho_i)/sigma_i).
    public static func build(_ graph: NeighbourGraph) -> SparseGraph {
        let n = graph.count, k = graph.k
        let (sigma, rho) = smoothDistances(graph)
        var directed = [Int: Double]()  // key i * n + j
        directed.reserveCapacity(n * k)
        for i in 0..<n {
            for s in 0..<k {
                let j = graph.indices[i * k + s], d = graph.distances[i * k + s]
                guard j != i else { continue }
                let value = d - rho[i] <= 0 || sigma[i] == 0 ? 1 : exp(-((d - rho[i]) / sigma[i]))
                if value > 0 { directed[i * n + j] = value }
            }
        }
        var triples = [(Int, Int, Double)]()
        triples.reserveCapacity(2 * directed.count)
        for (key, a) in directed {
            let i = key / n, j = key % n
            let b = directed[j * n + i] ?? 0
            let union = a + b - a * b
            triples.append((i, j, union))
            if b == 0 { triples.append((j, i, union)) }
        }
        return SparseGraph(n: n, triples: triples)
    }
}
