/// Nearest neighbours of every row among the others, computed block by block through BLAS so that
/// memory stays O(block · n) rather than O(n²).
public enum Neighbours {
    public enum Metric: String, CaseIterable, Sendable, Codable { case cosine, euclidean }

    static let blockRows = 256

    /// Distances this close count as equal: rounding noise, which differs between BLAS code paths,
    /// must not decide between copies of the same state (samples that share a prefix, a token
    /// repeated at the embedding layer). Cosine distances: 1e-10 absolute. Euclidean distances:
    /// 1e-7 of the row's largest, since through ‖a‖² + ‖b‖² − 2a·b two copies of a state end up
    /// about √ε·‖a‖ ≈ 1e-8·‖a‖ apart rather than 0.
    public static let tieTolerance = 1e-10
    /// A row whose norm is at most this share of the largest row norm counts as a zero vector for
    /// cosine distances in the neighbourhood measures (`NeighbourhoodMeasures`): its direction is
    /// rounding noise.
    public static let zeroNormTolerance = 1e-10
    public static let euclideanTieTolerance = 1e-7

    /// For each row, its `k` nearest other rows, in `order(of:)`'s order.
    public static func nearest(_ x: Matrix, k: Int, metric: Metric) -> [[Int]] {
        let n = x.rows
        let k = min(k, n - 1)
        guard k > 0 else { return Array(repeating: [], count: n) }
        var result = [[Int]](repeating: [], count: n)
        forEachDistanceRow(x, metric: metric) { i, distances in
            result[i] = nearest(distances: distances, of: i, k: k, metric: metric)
        }
        return result
    }

    /// Row i's `k` nearest other rows, given its distances to every row.
    public static func nearest(distances: [Double], of i: Int, k: Int, metric: Metric) -> [Int] {
        // Only the rows up to the end of the k-th nearest's chain of ties need ordering: grow the
        // cut-off until no row lies within the tolerance beyond it.
        let tol = tolerance(distances, excluding: i, metric)
        var limit = (smallest(k, of: distances, excluding: i).last.map { distances[$0] } ?? 0) + tol
        var candidates = [Int]()
        distances.withUnsafeBufferPointer { distances in
            while true {
                candidates = distances.indices.filter { $0 != i && distances[$0] <= limit }
                let farthest = candidates.map { distances[$0] }.max() ?? limit
                guard farthest + tol > limit else { break }
                let grown = farthest + tol
                if !distances.indices.contains(where: { $0 != i && distances[$0] > limit && distances[$0] <= grown }) { break }
                limit = grown
            }
        }
        return Array(order(candidates, by: distances, tolerance: tol).prefix(k))
    }

    /// Row i's `k` nearest other rows of a low-dimensional `x` (a 2-D layout), from distances
    /// summed directly: O(n·d) for one row, without the Gram matrix of all rows.
    public static func nearest(_ x: Matrix, of i: Int, k: Int, metric: Metric) -> [Int] {
        nearest(distances: directDistances(x, from: i, metric: metric), of: i, k: min(k, x.rows - 1), metric: metric)
    }

    /// Distances from row i to every row, summed directly in Double (in order of columns).
    static func directDistances(_ x: Matrix, from i: Int, metric: Metric) -> [Double] {
        let d = x.cols, n = x.rows
        return x.storage.withUnsafeBufferPointer { s in
            let a = s.baseAddress! + i * d
            func dot(_ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>) -> Double {
                var sum = 0.0
                for c in 0..<d { sum += p[c] * q[c] }
                return sum
            }
            return [Double](unsafeUninitializedCapacity: n) { out, count in
                switch metric {
                case .euclidean where d == 2:
                    // A layout, once per query: written out so the loop vectorises across rows.
                    // (0 + t₀²) + t₁² is t₀² + t₁² exactly, so the bits are those of the general loop.
                    let x0 = a[0], x1 = a[1], base = s.baseAddress!
                    for j in 0..<n {
                        let t0 = x0 - base[2 * j], t1 = x1 - base[2 * j + 1]
                        out[j] = (t0 * t0 + t1 * t1).squareRoot()
                    }
                case .euclidean:
                    for j in 0..<n {
                        let b = s.baseAddress! + j * d
                        var sum = 0.0
                        for c in 0..<d { let t = a[c] - b[c]; sum += t * t }
                        out[j] = sum.squareRoot()
                    }
                case .cosine:
                    let normA = dot(a, a).squareRoot()
                    for j in 0..<n {
                        let b = s.baseAddress! + j * d
                        let normB = dot(b, b).squareRoot()
                        out[j] = 1 - (normA > 0 && normB > 0 ? dot(a, b) / (normA * normB) : 0)
                    }
                }
                count = n
            }
        }
    }

    static func tolerance(_ distances: [Double], excluding i: Int, _ metric: Metric) -> Double {
        guard metric == .euclidean else { return tieTolerance }
        // The largest of all (a branch-free pass) is the largest of the others unless it is row
        // i's own distance, which is then looked past.
        var largest = distances.withUnsafeBufferPointer { d in d.reduce(0.0) { Swift.max($0, $1) } }
        if distances[i] == largest {
            largest = 0
            for (j, d) in distances.enumerated() where j != i { largest = max(largest, d) }
        }
        return euclideanTieTolerance * largest
    }

    /// `candidates` ordered by distance, where distances that chain within `tolerance` of each
    /// other once sorted count as tied and go by lower index.
    public static func order(_ candidates: [Int], by distances: [Double], tolerance: Double) -> [Int] {
        let sorted = candidates.sorted { distances[$0] < distances[$1] || (distances[$0] == distances[$1] && $0 < $1) }
        var out = [Int](), group = [Int]()
        for (position, j) in sorted.enumerated() {
            if position > 0, distances[j] - distances[sorted[position - 1]] > tolerance {
                out += group.sorted()
                group = []
            }
            group.append(j)
        }
        return out + group.sorted()
    }

    /// Calls `body(i, distances from row i to every row)` for each row, in order.
    public static func forEachDistanceRow(_ x: Matrix, metric: Metric, _ body: (Int, [Double]) -> Void) {
        let n = x.rows
        // Euclidean distances do not depend on the origin; centring first keeps the cancellation
        // in ‖a‖² + ‖b‖² − 2a·b small when the rows share a large mean.
        var y = metric == .euclidean ? x.subtractingFromRows(x.columnMeans()) : x
        let norms = y.rowNorms()
        if metric == .cosine {
            for r in 0..<n where norms[r] > 0 { for c in 0..<x.cols { y[r, c] /= norms[r] } }
        }
        let squared = norms.map { $0 * $0 }
        var start = 0
        while start < n {
            let rows = Array(start..<min(start + blockRows, n))
            let products = y.selectingRows(rows).multiplied(by: y, transposeOther: true)  // block x n
            for (b, i) in rows.enumerated() {
                var distances = [Double](repeating: 0, count: n)
                for j in 0..<n {
                    let dot = products[b, j]
                    switch metric {
                    case .cosine:
                        // A zero vector has no direction: cosine 0 with everything.
                        distances[j] = 1 - (norms[i] > 0 && norms[j] > 0 ? dot : 0)
                    case .euclidean:
                        distances[j] = max(0, squared[i] + squared[j] - 2 * dot).squareRoot()
                    }
                }
                body(i, distances)
            }
            start += blockRows
        }
    }

    /// Indices of the `k` smallest entries (ties by lower index), `excluding` one index.
    static func smallest(_ k: Int, of values: [Double], excluding skip: Int) -> [Int] {
        var best = [(Double, Int)]()
        best.reserveCapacity(k + 1)
        for (j, v) in values.enumerated() where j != skip {
            if best.count == k, let last = best.last, !(v < last.0 || (v == last.0 && j < last.1)) { continue }
            let at = best.firstIndex { v < $0.0 || (v == $0.0 && j < $0.1) } ?? best.count
            best.insert((v, j), at: at)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.1)
    }

    /// Mean over rows of the share of a row's neighbours with the same label.
    public static func purity(_ neighbours: [[Int]], labels: [Int]) -> Double? {
        purity(neighbours, of: labels, labels: labels)
    }

    /// Mean over query rows of the share of their neighbours (`neighbours[q]`, indices into
    /// `labels`) that have the query's own label (`queryLabels[q]`).
    public static func purity(_ neighbours: [[Int]], of queryLabels: [Int], labels: [Int]) -> Double? {
        guard !neighbours.isEmpty, neighbours.allSatisfy({ !$0.isEmpty }) else { return nil }
        let shares = neighbours.enumerated().map { q, list in
            Double(list.filter { labels[$0] == queryLabels[q] }.count) / Double(list.count)
        }
        return shares.reduce(0, +) / Double(shares.count)
    }

    /// The purity random neighbours would have: mean over rows of (same-label rows − 1) / (n − 1).
    public static func chancePurity(labels: [Int]) -> Double? {
        let n = labels.count
        guard n >= 2 else { return nil }
        var counts = [Int: Int]()
        for l in labels { counts[l, default: 0] += 1 }
        return labels.map { Double(counts[$0]! - 1) / Double(n - 1) }.reduce(0, +) / Double(n)
    }
}
