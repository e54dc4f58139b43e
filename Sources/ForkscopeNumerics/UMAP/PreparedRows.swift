/// The rows prepared for fast distances in Float: centred (Euclidean; distances do not depend on
/// the origin and centring keeps ‖a‖² + ‖b‖² − 2a·b from cancelling) or normalised (cosine).
/// Distances from these only choose candidates; `exactDistance` decides the final order.
struct PreparedRows {
    let n: Int, d: Int
    let metric: Neighbours.Metric
    var values: [Float]
    /// ‖row‖² of the prepared rows (Euclidean); unused for cosine.
    var squaredNorms: [Float]
    let largestSquaredNorm: Float
    let source: Matrix
    let sourceNorms: [Double]

    init(_ x: Matrix, metric: Neighbours.Metric, threads: Int = 1) {
        n = x.rows; d = x.cols; self.metric = metric; source = x
        sourceNorms = x.rowNorms()
        let mean = metric == .euclidean ? x.columnMeans() : [Double](repeating: 0, count: x.cols)
        var v = [Float](repeating: 0, count: n * d)
        var sq = [Float](repeating: 0, count: n)
        let (n, d, norms) = (self.n, self.d, sourceNorms)
        let ranges = ParallelChunks.ranges(n, size: 256)
        v.withUnsafeMutableBufferPointer { v in
            sq.withUnsafeMutableBufferPointer { sq in
                x.storage.withUnsafeBufferPointer { x in
                    ParallelChunks.run(chunks: ranges.count, threads: threads) { chunk in
                        for r in ranges[chunk] {
                            let scale = metric == .cosine ? (norms[r] > 0 ? 1 / norms[r] : 0) : 1
                            var s: Double = 0
                            for c in 0..<d {
                                let y = (x[r * d + c] - mean[c]) * scale
                                v[r * d + c] = Float(y)
                                s += y * y
                            }
                            sq[r] = Float(s)
                        }
                    }
                }
            }
        }
        values = v; squaredNorms = sq
        largestSquaredNorm = sq.max() ?? 0
    }

    /// A sketch of `rows`: other values and dimension, same metric and source (for splitting only).
    init(sketchOf rows: PreparedRows, values: [Float], dimensions: Int) {
        n = rows.n; d = dimensions; metric = rows.metric; source = rows.source; sourceNorms = rows.sourceNorms
        self.values = values
        squaredNorms = (0..<n).map { r in (0..<dimensions).reduce(Float(0)) { $0 + values[r * dimensions + $1] * values[r * dimensions + $1] } }
        largestSquaredNorm = squaredNorms.max() ?? 0
    }

    /// The fast (Float) distance-like score from a dot product of prepared rows: squared Euclidean
    /// distance, or cosine distance. Monotone in the true distance up to rounding.
    @inline(__always) func score(_ i: Int, _ j: Int, dot: Float) -> Float {
        metric == .euclidean ? max(0, squaredNorms[i] + squaredNorms[j] - 2 * dot) : 1 - dot
    }

    /// A bound on the rounding error of `score(i, j, ·)` for any j: Float products of d terms
    /// (√d · 4ε relative, a generous typical-case bound) of vectors up to the largest norm.
    func scoreError(_ i: Int) -> Float {
        let scale: Float = metric == .euclidean ? squaredNorms[i] + largestSquaredNorm : 2
        return Float(d).squareRoot() * 4 * Float.ulpOfOne * scale
    }


    /// The `count` nearest other rows of row i by exact distance (ties by index).
    func exactNearest(_ i: Int, count: Int) -> [Int] {
        ranked(i, among: Array(0..<n)).prefix(count).map(\.index)
    }

    /// `candidates` other than i with their exact distances to i, nearest first (ties by index).
    func ranked(_ i: Int, among candidates: [Int]) -> [(index: Int, distance: Double)] {
        let others = candidates.filter { $0 != i }
        let scored = zip(others, exactDistances(i, others)).map { (index: $0, distance: $1) }
        return scored.sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }
    }

    /// The distances between source row i and rows `others` in Double, summed directly (no
    /// cancellation).
    func exactDistances(_ i: Int, _ others: [Int]) -> [Double] {
        switch metric {
        case .euclidean:
            return zip(others, ExactDistances.squaredEuclidean(source, from: i, to: others)).map { $0 == i ? 0 : $1.squareRoot() }
        case .cosine:
            return zip(others, ExactDistances.dots(source, from: i, to: others)).map { j, dot in
                guard j != i else { return 0 }
                guard sourceNorms[i] > 0, sourceNorms[j] > 0 else { return 1 }
                return max(0, 1 - dot / (sourceNorms[i] * sourceNorms[j]))
            }
        }
    }

    func exactDistance(_ i: Int, _ j: Int) -> Double { exactDistances(i, [j])[0] }

    /// Orders each row's candidates by exact distance (ties by index), keeps the `k − 1` nearest
    /// and puts the row itself first.
    func finish(candidates: [[Int]], k: Int, threads: Int) -> NeighbourGraph {
        var indices = [Int](repeating: 0, count: n * k)
        var distances = [Double](repeating: 0, count: n * k)
        let ranges = ParallelChunks.ranges(n, size: 256)
        indices.withUnsafeMutableBufferPointer { idx in
            distances.withUnsafeMutableBufferPointer { dist in
                ParallelChunks.run(chunks: ranges.count, threads: threads) { c in
                    for i in ranges[c] {
                        let scored = ranked(i, among: candidates[i])
                        idx[i * k] = i; dist[i * k] = 0
                        for s in 0..<(k - 1) {
                            // Fewer candidates than k − 1 only happens for n < k (then k was clamped).
                            let (j, dj) = s < scored.count ? scored[s] : (i, 0)
                            idx[i * k + 1 + s] = j; dist[i * k + 1 + s] = dj
                        }
                    }
                }
            }
        }
        return NeighbourGraph(k: k, indices: indices, distances: distances)
    }
}
