import CLapack

/// The `k` nearest neighbours of every row, each row listing itself first and then its `k − 1`
/// nearest other rows by increasing distance (ties by lower index), as umap-learn's graphs do.
public struct NeighbourGraph: Sendable, Equatable {
    public let k: Int
    /// Row-major n × k neighbour indices.
    public var indices: [Int]
    /// Row-major n × k distances (Euclidean, or cosine distance 1 − cos), recomputed exactly in Double.
    public var distances: [Double]
    public var count: Int { k == 0 ? 0 : indices.count / k }

    public func neighbours(of i: Int) -> ArraySlice<Int> { indices[(i * k)..<(i * k + k)] }
}

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

/// Exact k nearest neighbours: Float Gram blocks through BLAS (sgemm) pick `k − 1 + margin`
/// candidates per row, then exact Double distances order them. Used below umap-learn's 4,096-point
/// threshold, where umap-learn also computes all distances.
enum ExactNeighbours {
    static let margin = 8

    static func search(_ x: Matrix, k: Int, metric: Neighbours.Metric, threads: Int) -> NeighbourGraph {
        let n = x.rows, k = min(k, n)
        let prepared = PreparedRows(x, metric: metric, threads: threads)
        let m = min(n - 1, k - 1 + margin)
        var candidates = [[Int]](repeating: [], count: n)
        let blocks = ParallelChunks.ranges(n, size: 128)
        let d = prepared.d
        candidates.withUnsafeMutableBufferPointer { out in
            prepared.values.withUnsafeBufferPointer { v in
                ParallelChunks.run(chunks: blocks.count, threads: threads) { c in
                    let rows = blocks[c]
                    var products = [Float](repeating: 0, count: rows.count * n)
                    products.withUnsafeMutableBufferPointer { p in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows.count), Int32(n), Int32(d),
                                    1, v.baseAddress! + rows.lowerBound * d, Int32(d), v.baseAddress!, Int32(d),
                                    0, p.baseAddress!, Int32(n))
                    }
                    for (b, i) in rows.enumerated() {
                        var best = SmallestK(capacity: m + 1)
                        for j in 0..<n where j != i {
                            best.offer(prepared.score(i, j, dot: products[b * n + j]), j)
                        }
                        // Trust the Float scores only if the first one left out is clearly
                        // farther than the (k − 1)-th kept; otherwise (extreme outliers make the
                        // rounding large) rank this row by exact distances.
                        if k > 1 && best.scores.count > m && best.scores[m] - best.scores[k - 2] <= 2 * prepared.scoreError(i) {
                            out[i] = prepared.exactNearest(i, count: m)
                        } else {
                            out[i] = Array(best.indices.prefix(m))
                        }
                    }
                }
            }
        }
        return prepared.finish(candidates: candidates, k: k, threads: threads)
    }
}

/// The `capacity` smallest (score, index) pairs offered, ties by lower index.
struct SmallestK {
    let capacity: Int
    private(set) var scores: [Float] = []
    private(set) var indices: [Int] = []

    init(capacity: Int) {
        self.capacity = capacity
        scores.reserveCapacity(capacity + 1); indices.reserveCapacity(capacity + 1)
    }

    mutating func offer(_ score: Float, _ index: Int) {
        guard capacity > 0 else { return }
        if scores.count == capacity {
            guard score < scores[capacity - 1] || (score == scores[capacity - 1] && index < indices[capacity - 1]) else { return }
            scores.removeLast(); indices.removeLast()
        }
        var at = scores.count
        while at > 0 && (scores[at - 1] > score || (scores[at - 1] == score && indices[at - 1] > index)) { at -= 1 }
        scores.insert(score, at: at); indices.insert(index, at: at)
    }
}
