import Foundation

/// A symmetric sparse graph in compressed rows, columns sorted within each row.
public struct SparseGraph: Sendable, Equatable {
    public let n: Int
    public var offsets: [Int]
    public var columns: [Int]
    public var weights: [Double]

    public func row(_ i: Int) -> Range<Int> { offsets[i]..<offsets[i + 1] }
    public var edgeCount: Int { columns.count }

    /// Builds the rows from (row, column, weight) triples; each (row, column) at most once.
    init(n: Int, triples: [(Int, Int, Double)]) {
        self.n = n
        let sorted = triples.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var offsets = [Int](repeating: 0, count: n + 1)
        for t in sorted { offsets[t.0 + 1] += 1 }
        for i in 0..<n { offsets[i + 1] += offsets[i] }
        self.offsets = offsets
        columns = sorted.map(\.1)
        weights = sorted.map(\.2)
    }

    /// The graph without edges lighter than `threshold`.
    func pruned(below threshold: Double) -> SparseGraph {
        var triples = [(Int, Int, Double)]()
        for i in 0..<n { for e in row(i) where weights[e] >= threshold { triples.append((i, columns[e], weights[e])) } }
        return SparseGraph(n: n, triples: triples)
    }

    /// Connected components: a label per vertex, numbered in order of each component's lowest vertex.
    func components() -> (count: Int, labels: [Int]) {
        var labels = [Int](repeating: -1, count: n)
        var count = 0
        for start in 0..<n where labels[start] < 0 {
            labels[start] = count
            var stack = [start]
            while let v = stack.popLast() {
                for e in row(v) where labels[columns[e]] < 0 { labels[columns[e]] = count; stack.append(columns[e]) }
            }
            count += 1
        }
        return (count, labels)
    }
}

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

/// umap-learn's `find_ab_params`: the a, b of the low-dimensional similarity 1 / (1 + a d^{2b}) that
/// fit, in least squares over 300 points of [0, 3 · spread], the curve that is 1 below `minDist` and
/// exp(−(d − minDist)/spread) above. Fitted by Levenberg–Marquardt from (1, 1), as scipy's
/// `curve_fit` does.
public enum CurveParameters {
    public static func fit(spread: Double, minDist: Double) -> (a: Double, b: Double) {
        let xs = (0..<300).map { Double($0) * spread * 3 / 299 }
        let ys = xs.map { $0 < minDist ? 1 : exp(-($0 - minDist) / spread) }
        var a = 1.0, b = 1.0, lambda = 1e-3
        func loss(_ a: Double, _ b: Double) -> Double {
            zip(xs, ys).reduce(0) { s, p in let r = 1 / (1 + a * pow(p.0, 2 * b)) - p.1; return s + r * r }
        }
        var current = loss(a, b)
        for _ in 0..<500 {
            // Gauss–Newton normal equations J^T J δ = −J^T r with Marquardt's damping.
            var jaa = 0.0, jab = 0.0, jbb = 0.0, ga = 0.0, gb = 0.0
            for (x, y) in zip(xs, ys) {
                let p = x > 0 ? pow(x, 2 * b) : 0
                let f = 1 / (1 + a * p)
                let da = -p * f * f
                let db = x > 0 ? -a * p * 2 * log(x) * f * f : 0
                let r = f - y
                jaa += da * da; jab += da * db; jbb += db * db; ga += da * r; gb += db * r
            }
            var improved = false
            while lambda < 1e12 {
                let m00 = jaa * (1 + lambda), m11 = jbb * (1 + lambda)
                let det = m00 * m11 - jab * jab
                let stepA = -(m11 * ga - jab * gb) / det, stepB = -(m00 * gb - jab * ga) / det
                let trial = loss(a + stepA, b + stepB)
                if trial < current {
                    let relative = (current - trial) / max(current, 1e-300)
                    a += stepA; b += stepB; current = trial; lambda = max(lambda / 10, 1e-12); improved = true
                    if relative < 1e-15 { return (a, b) }
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        return (a, b)
    }
}
