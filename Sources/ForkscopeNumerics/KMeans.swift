import Foundation

/// k-means (Lloyd 1982) from greedy k-means++ seeds (Arthur & Vassilvitskii 2007, with
/// 2 + ⌊ln k⌋ candidates per centre as scikit-learn's `KMeans`), `restarts` times from seeded
/// streams, keeping the run of least inertia (the first on a tie). Deterministic: the streams
/// depend on the seed and the restart only.
public enum KMeans {
    public static let defaultRestarts = 10
    public static let defaultSeed: UInt64 = 2019
    static let maxIterations = 300

    /// Labels 0…k−1 by cluster size, largest first (ties by lowest row), as `HDBSCAN.Result`.
    public static func cluster(_ x: Matrix, k: Int, restarts: Int = defaultRestarts, seed: UInt64 = defaultSeed) -> HDBSCAN.Result {
        let n = x.rows
        guard n > 0, k > 0 else { return HDBSCAN.Result(labels: [Int](repeating: -1, count: n), count: 0) }
        let k = min(k, n)
        let centred = x.subtractingFromRows(x.columnMeans())
        let squares = centred.rowNorms().map { $0 * $0 }
        var best: (labels: [Int], inertia: Double)?
        for restart in 0..<max(1, restarts) {
            var stream = RandomStream(seed: seed, UInt64(restart))
            let run = lloyd(centred, squares: squares, centres: seeds(centred, squares: squares, k: k, stream: &stream))
            if best == nil || run.inertia < best!.inertia { best = run }
        }
        return HDBSCAN.renumbered(best!.labels)
    }

    /// Greedy k-means++: the first centre uniformly, each next one the best (least total squared
    /// distance afterwards) of 2 + ⌊ln k⌋ rows drawn with probability ∝ squared distance.
    static func seeds(_ x: Matrix, squares: [Double], k: Int, stream: inout RandomStream) -> [Int] {
        let n = x.rows, trials = 2 + Int(log(Double(k)))
        var centres = [stream.below(n)]
        var closest = squaredDistances(x, squares: squares, to: centres[0])
        while centres.count < k {
            let total = closest.reduce(0, +)
            var bestRow = -1, bestPotential = Double.infinity, bestClosest = closest
            for _ in 0..<trials {
                let candidate = total > 0 ? draw(closest, total: total, stream: &stream) : stream.below(n)
                let d = squaredDistances(x, squares: squares, to: candidate)
                let next = zip(closest, d).map { min($0, $1) }
                let potential = next.reduce(0, +)
                if potential < bestPotential { bestPotential = potential; bestRow = candidate; bestClosest = next }
            }
            centres.append(bestRow)
            closest = bestClosest
        }
        return centres
    }

    private static func draw(_ weights: [Double], total: Double, stream: inout RandomStream) -> Int {
        let target = Double(stream.next() >> 11) / Double(1 << 53) * total
        var sum = 0.0
        for (i, w) in weights.enumerated() {
            sum += w
            if sum > target { return i }
        }
        return weights.lastIndex { $0 > 0 } ?? 0
    }

    private static func squaredDistances(_ x: Matrix, squares: [Double], to row: Int) -> [Double] {
        let r = Array(x.row(row))
        return (0..<x.rows).map { i in
            var dot = 0.0
            for c in 0..<x.cols { dot += x[i, c] * r[c] }
            return max(0, squares[i] + squares[row] - 2 * dot)
        }
    }

    /// Lloyd's iterations until no label changes; an emptied cluster restarts at the row farthest
    /// from its centre.
    static func lloyd(_ x: Matrix, squares: [Double], centres seedRows: [Int]) -> (labels: [Int], inertia: Double) {
        let n = x.rows, d = x.cols, k = seedRows.count
        var centres = x.selectingRows(seedRows)
        var labels = [Int](repeating: -1, count: n), nearest = [Double](repeating: 0, count: n)
        for _ in 0..<maxIterations {
            let products = x.multiplied(by: centres, transposeOther: true)
            let centreSquares = centres.rowNorms().map { $0 * $0 }
            var changed = false
            for i in 0..<n {
                var best = 0, value = Double.infinity
                for c in 0..<k {
                    let v = squares[i] + centreSquares[c] - 2 * products[i, c]
                    if v < value { value = v; best = c }
                }
                nearest[i] = max(0, value)
                if labels[i] != best { labels[i] = best; changed = true }
            }
            if !changed { break }
            var sums = Matrix(rows: k, cols: d), counts = [Int](repeating: 0, count: k)
            for i in 0..<n {
                counts[labels[i]] += 1
                for c in 0..<d { sums[labels[i], c] += x[i, c] }
            }
            for c in 0..<k {
                if counts[c] == 0 {
                    let far = nearest.indices.max { nearest[$0] < nearest[$1] } ?? 0
                    for j in 0..<d { sums[c, j] = x[far, j] }
                    nearest[far] = 0
                } else {
                    for j in 0..<d { sums[c, j] /= Double(counts[c]) }
                }
            }
            centres = sums
        }
        return (labels, nearest.reduce(0, +))
    }
}
