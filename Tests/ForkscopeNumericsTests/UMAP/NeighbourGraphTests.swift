import Foundation
import Testing
import ForkscopeTestSupport
@testable import ForkscopeNumerics

/// ExactNeighbours, PreparedRows and SmallestK (Sources/ForkscopeNumerics/UMAP/NeighbourGraph.swift).
@Suite("UMAP exact neighbours")
struct UMAPNeighbourGraphTests {
    typealias K = NumericsKit
    typealias U = UMAPKit

    /// Brute force: the row itself, then the other rows by (distance, index), distances summed
    /// column by column in Double as the reference script and `PreparedRows.exactDistance` do.
    static func bruteForce(_ x: Matrix, k: Int, metric: Neighbours.Metric) -> NeighbourGraph {
        let n = x.rows, k = min(k, n)
        let norms = (0..<n).map { K.norm(K.rowArray(x, $0)) }
        var indices = [Int](), distances = [Double]()
        for i in 0..<n {
            let a = K.rowArray(x, i)
            var scored = [(Int, Double)]()
            for j in 0..<n where j != i {
                let b = K.rowArray(x, j)
                var distance: Double
                switch metric {
                case .euclidean:
                    var s = 0.0
                    for c in 0..<x.cols { let t = a[c] - b[c]; s += t * t }
                    distance = s.squareRoot()
                case .cosine:
                    if norms[i] > 0 && norms[j] > 0 {
                        let cosine: Double = K.dot(a, b) / (norms[i] * norms[j])
                        distance = max(0, 1 - cosine)
                    } else {
                        distance = 1
                    }
                }
                scored.append((j, distance))
            }
            scored.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            indices.append(i); distances.append(0)
            for (j, d) in scored.prefix(k - 1) { indices.append(j); distances.append(d) }
        }
        return NeighbourGraph(k: k, indices: indices, distances: distances)
    }

    // MARK: against the reference

    /// The reference lists the exact 15 neighbours (self first, then by distance, ties by index) with
    /// distances summed in the same order as Swift, so both must agree exactly.
    @Test("exact kNN equals the NumPy reference", arguments: ["blobs", "duplicates"])
    func matchesReference(name: String) throws {
        let c = try U.referenceCase(name)
        let x = K.matrix(c.data)
        for threads in [1, 3] {
            let graph = ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: threads)
            #expect(graph.k == 15 && graph.count == c.data.count)
            for i in 0..<graph.count {
                #expect(Array(graph.neighbours(of: i)) == c.knnIndices[i], "row \(i), \(threads) threads")
                let d = Array(graph.distances[(i * 15)..<(i * 15 + 15)])
                #expect(d == c.knnDists[i], "distances of row \(i): \(d) vs \(c.knnDists[i])")
            }
        }
    }

    /// Rows 7 and 21 repeat row 3 and row 30 repeats row 11: each copy lists itself first, then its
    /// copies (distance 0) by index, and any third row sees the copies tied, lower index first.
    @Test func exactCopiesComeRightAfterTheRowByIndex() throws {
        let c = try U.referenceCase("duplicates")
        let graph = ExactNeighbours.search(K.matrix(c.data), k: 15, metric: .euclidean, threads: 1)
        #expect(Array(graph.neighbours(of: 3).prefix(3)) == [3, 7, 21])
        #expect(Array(graph.neighbours(of: 7).prefix(3)) == [7, 3, 21])
        #expect(Array(graph.neighbours(of: 21).prefix(3)) == [21, 3, 7])
        #expect(Array(graph.neighbours(of: 30).prefix(2)) == [30, 11])
        #expect(Array(graph.neighbours(of: 11).prefix(2)) == [11, 30])
        for i in [3, 7, 21] { #expect(graph.distances[i * 15 + 1] == 0 && graph.distances[i * 15 + 2] == 0) }
        for i in 0..<graph.count where ![3, 7, 21].contains(i) {
            let row = Array(graph.neighbours(of: i))
            let positions = [3, 7, 21].compactMap { row.firstIndex(of: $0) }
            #expect(positions == positions.sorted(), "row \(i) lists copies of row 3 out of index order: \(row)")
            #expect(positions.isEmpty || positions == Array(positions[0]..<(positions[0] + positions.count)),
                    "row \(i): the copies of row 3 must be adjacent: \(row)")
        }
    }

    // MARK: against brute force

    /// 700 rows span six 128-row Gram blocks and three 256-row finishing ranges.
    @Test("equals brute force", arguments: [Neighbours.Metric.euclidean, .cosine])
    func equalsBruteForce(metric: Neighbours.Metric) {
        let x = K.random(rows: 700, cols: 12, seed: 11)
        let want = Self.bruteForce(x, k: 15, metric: metric)
        for threads in [1, 4] {
            let got = ExactNeighbours.search(x, k: 15, metric: metric, threads: threads)
            #expect(got.indices == want.indices, "\(metric), \(threads) threads")
            #expect(K.close(got.distances, want.distances, 1e-12), "\(metric), \(threads) threads")
        }
    }

    @Test func identicalForAnyThreadCount() {
        let (x, _) = U.clustered(clusters: 5, perCluster: 140, dims: 9, separation: 2, seed: 5)
        let one = ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 1)
        for threads in [2, 3, 8] {
            #expect(ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: threads) == one, "\(threads) threads")
        }
    }

    /// Fewer rows than k: k shrinks to n and every row lists all rows.
    @Test func kIsClampedToTheRowCount() {
        let x = K.random(rows: 5, cols: 3, seed: 2)
        let graph = ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 1)
        #expect(graph.k == 5 && graph.count == 5)
        for i in 0..<5 {
            #expect(graph.neighbours(of: i).first == i)
            #expect(Set(graph.neighbours(of: i)) == Set(0..<5), "row \(i): \(Array(graph.neighbours(of: i)))")
        }
        #expect(graph == Self.bruteForce(x, k: 15, metric: .euclidean))
    }

    /// Candidates come from Float Gram products of centred rows; the final order from Double
    /// distances. A common offset of 1e4 (Float ulp 1e-3) on points 1e-2 apart must not matter.
    @Test func largeCommonOffsetDoesNotMatter() {
        var x = K.random(rows: 300, cols: 6, seed: 8, scale: 0.01)
        for e in x.storage.indices { x.storage[e] += 1e4 }
        let got = ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 2)
        let want = Self.bruteForce(x, k: 15, metric: .euclidean)
        #expect(got.indices == want.indices)
    }

    /// 300 standard Gaussian rows in 8 dimensions, 15 of them (5 %, like the first tokens of 15
    /// sequences) with one coordinate raised by `ratio` (massive activations).
    static func withOutliers(ratio: Double) -> Matrix {
        var x = K.gaussian(rows: 300, cols: 8, seed: 21)
        for r in 0..<15 { x[r, r % 8] += ratio }
        return x
    }

    /// Candidates come from Float scores of centred rows: outliers 1e3 to 3e4 times the ordinary
    /// spread (the range of language models' massive activations) must not make "exact" inexact.
    /// At 3e5 the ordinary rows' centred squared norms are ~2e8, so Float scores carry rounding
    /// errors (~10) far above the gaps between their squared distances: the Float candidates alone
    /// miss true neighbours (recall ≈ 0.62 before the fallback); rows whose candidate gap is within
    /// the error bound are ranked by exact distances instead, so the graph stays exact.
    @Test("exact with massive outliers", arguments: [1e3, 1e4, 3e4, 3e5])
    func exactWithMassiveOutliers(ratio: Double) {
        let x = Self.withOutliers(ratio: ratio)
        let got = ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 2)
        let want = Self.bruteForce(x, k: 15, metric: .euclidean)
        let wrongRows = (0..<300).filter { got.neighbours(of: $0) != want.neighbours(of: $0) }
        #expect(wrongRows.isEmpty, "\(wrongRows.count) of 300 rows have wrong neighbours; recall \(U.recall(got, want))")
    }

    // MARK: SmallestK

    @Test func smallestKKeepsTheSmallestPairsTiesByIndex() {
        var rng = SeededGenerator(seed: 3)
        // Scores on a coarse grid so that ties are common.
        let offers = (0..<400).map { (Float(Int.random(in: 0..<25, using: &rng)), $0) }.shuffled(using: &rng)
        for capacity in [0, 1, 7, 30, 500] {
            var best = SmallestK(capacity: capacity)
            for (s, i) in offers { best.offer(s, i) }
            let want = offers.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.prefix(capacity)
            #expect(best.indices == want.map(\.1), "capacity \(capacity)")
            #expect(best.scores == want.map(\.0), "capacity \(capacity)")
        }
    }

    // MARK: PreparedRows

    @Test func preparedScoresOrderLikeTheExactDistances() {
        let x = K.random(rows: 40, cols: 5, seed: 9)
        for metric in [Neighbours.Metric.euclidean, .cosine] {
            let p = PreparedRows(x, metric: metric)
            for (i, j) in [(0, 1), (3, 17), (22, 39)] {
                var dot: Float = 0
                for c in 0..<5 { dot += p.values[i * 5 + c] * p.values[j * 5 + c] }
                let exact = p.exactDistance(i, j)
                let fast = Double(p.score(i, j, dot: dot))
                let want = metric == .euclidean ? exact * exact : exact
                #expect(abs(fast - want) <= 1e-5 * max(1, want), "\(metric) \(i), \(j): \(fast) vs \(want)")
            }
            #expect(p.exactDistance(4, 4) == 0)
        }
    }
}
