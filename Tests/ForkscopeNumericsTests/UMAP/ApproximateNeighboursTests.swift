import Foundation
import Testing
import ForkscopeTestSupport
@testable import ForkscopeNumerics

/// NN-descent, random-projection trees and the neighbour heaps
/// (Sources/ForkscopeNumerics/UMAP/ApproximateNeighbours.swift).
@Suite("UMAP approximate neighbours")
struct UMAPApproximateNeighboursTests {
    typealias K = NumericsKit
    typealias U = UMAPKit

    /// 2,000 points in 32 dimensions: 20 clusters of 100 around centres with N(0, 3²) coordinates.
    static let clustered = U.clustered(clusters: 20, perCluster: 100, dims: 32, separation: 3, seed: 2024).x

    @Test func nnDescentRecallAgainstExact() {
        let x = Self.clustered
        let exact = ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 4)
        let approximate = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 42, threads: 4)
        let recall = U.recall(approximate, exact)
        #expect(recall >= 0.95, "recall \(recall)")
        // The rounds of NN-descent do the work: one tree and no round finds far less.
        var weak = ApproximateNeighbours.Settings(n: x.rows, k: 15)
        weak.trees = 1; weak.iterations = 0
        let treesOnly = U.recall(ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 42, threads: 4, settings: weak), exact)
        #expect(treesOnly < 0.9, "recall from one tree alone \(treesOnly)")
        // Whatever was found is listed like the exact graph: self first, exact distances, ascending.
        let prepared = PreparedRows(x, metric: .euclidean)
        for i in 0..<approximate.count {
            let row = Array(approximate.neighbours(of: i)), d = Array(approximate.distances[(i * 15)..<(i * 15 + 15)])
            #expect(row[0] == i && d[0] == 0)
            #expect(Set(row).count == 15, "row \(i) repeats a neighbour: \(row)")
            #expect(d == d.sorted(), "row \(i) distances are not ascending")
            for s in 1..<15 { #expect(d[s] == prepared.exactDistance(i, row[s])) }
        }
    }

    @Test("recall with cosine distance")
    func cosineRecall() {
        let x = Self.clustered
        let exact = ExactNeighbours.search(x, k: 10, metric: .cosine, threads: 4)
        let approximate = ApproximateNeighbours.search(x, k: 10, metric: .cosine, seed: 7, threads: 4)
        let recall = U.recall(approximate, exact)
        #expect(recall >= 0.95, "recall \(recall)")
    }

    @Test func identicalForAnyThreadCount() {
        let x = Self.clustered
        let one = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 42, threads: 1)
        for threads in [2, 3, 8] {
            let other = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 42, threads: threads)
            #expect(other == one, "\(threads) threads: \(zip(other.indices, one.indices).filter { $0 != $1 }.count) indices differ")
        }
    }

    /// The seed reaches the trees and the candidate sampling: a weaker search (one tree, one round)
    /// gives a different, still valid graph for another seed.
    @Test func seedChangesTheSearch() {
        let x = Self.clustered
        var settings = ApproximateNeighbours.Settings(n: x.rows, k: 15)
        settings.trees = 1; settings.iterations = 1
        let a = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 1, threads: 2, settings: settings)
        let b = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 2, threads: 2, settings: settings)
        let again = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 1, threads: 2, settings: settings)
        #expect(a == again)
        #expect(a != b)
    }

    /// pynndescent's settings as umap-learn passes them: n_trees = min(64, 5 + round(√n / 20)),
    /// n_iters = max(5, round(log2 n)), max_candidates 60, leaf size max(10, k).
    @Test func settingsFollowUmapLearn() {
        let s = ApproximateNeighbours.Settings(n: 2000, k: 15)
        #expect(s.trees == 7 && s.iterations == 11 && s.maxCandidates == 60 && s.leafSize == 15)
        let big = ApproximateNeighbours.Settings(n: 4_000_000, k: 5)
        #expect(big.trees == 64 && big.iterations == 22 && big.leafSize == 10)
        let small = ApproximateNeighbours.Settings(n: 10, k: 3)
        #expect(small.trees == 5 && small.iterations == 5)
        #expect(s.delta == 0.001)
    }

    /// Fewer points than k: every point lists every point.
    @Test func fewerPointsThanK() {
        let x = K.random(rows: 9, cols: 4, seed: 4)
        let g = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 3, threads: 1)
        #expect(g.k == 9)
        #expect(g == ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 1))
    }

    /// 600 rows that are 12 states repeated 50 times: every row's neighbours are copies at distance 0.
    @Test func exactCopies() {
        let states = K.random(rows: 12, cols: 6, seed: 10)
        let x = states.selectingRows((0..<600).map { $0 % 12 })
        let g = ApproximateNeighbours.search(x, k: 15, metric: .euclidean, seed: 5, threads: 2)
        for i in 0..<600 {
            let row = Array(g.neighbours(of: i))
            #expect(row[0] == i)
            #expect(row.allSatisfy { $0 % 12 == i % 12 }, "row \(i): \(row)")
            #expect(g.distances[(i * 15)..<(i * 15 + 15)].allSatisfy { $0 == 0 })
        }
    }

    // MARK: random-projection trees

    @Test("tree leaves partition the points", arguments: [Neighbours.Metric.euclidean, .cosine])
    func treeLeaves(metric: Neighbours.Metric) {
        let prepared = PreparedRows(K.random(rows: 500, cols: 7, seed: 12), metric: metric)
        let leaves = RandomProjectionTree.leaves(prepared, leafSize: 15, rng: RandomStream(seed: 9, 1, 0))
        #expect(leaves.allSatisfy { $0.count <= 15 && !$0.isEmpty })
        #expect(leaves.flatMap { $0 }.sorted() == Array(0..<500))
        // Random hyperplanes must actually split: not a handful of random halvings into tiny leaves.
        #expect(leaves.count < 200, "\(leaves.count) leaves")
        // Points in one leaf are closer than random pairs.
        var inLeaf = 0.0, pairs = 0.0
        for leaf in leaves { for a in leaf { for b in leaf where a < b { inLeaf += prepared.exactDistance(a, b); pairs += 1 } } }
        var random = 0.0
        for a in 0..<250 { random += prepared.exactDistance(a, 499 - a) }
        #expect(inLeaf / pairs < 0.9 * random / 250, "mean in-leaf distance \(inLeaf / pairs) vs random \(random / 250)")
    }

    @Test func treeOfIdenticalPointsStillSplits() {
        let x = Matrix(rows: 100, cols: 3, repeating: 1.5)
        let leaves = RandomProjectionTree.leaves(PreparedRows(x, metric: .euclidean), leafSize: 10, rng: RandomStream(seed: 1, 1, 0))
        #expect(leaves.allSatisfy { $0.count <= 10 && !$0.isEmpty })
        #expect(leaves.flatMap { $0 }.sorted() == Array(0..<100))
    }

    // MARK: heaps

    /// A heap keeps the `size` smallest (score, index) pairs whatever order they arrive in, rejects
    /// an index it already holds, and counts only real changes.
    @Test func heapsKeepTheSmallestPairsInAnyOrder() {
        var rng = SeededGenerator(seed: 77)
        let offers = (0..<60).map { ApproximateNeighbours.Update(target: 0, neighbour: Int32($0 % 40), score: Float(Int.random(in: 0..<12, using: &rng))) }
        // The best score each index was offered at: a heap holding j keeps its first-accepted score,
        // so for order independence offer each index once.
        let unique = Array(offers.prefix(40))
        let want = unique.sorted { $0.score != $1.score ? $0.score < $1.score : $0.neighbour < $1.neighbour }.prefix(8)
        var results = [[Int]]()
        for trial in 0..<5 {
            var order = unique
            order.shuffle(using: &rng)
            var heaps = NeighbourHeaps(n: 1, size: 8)
            // Split across two chunks to exercise the grouping.
            let changed = heaps.apply([Array(order.prefix(17)), Array(order.dropFirst(17))], threads: 1)
            #expect(changed >= 8 && changed <= 40)
            let members = heaps.members()[0]
            #expect(Set(members) == Set(want.map { Int($0.neighbour) }), "trial \(trial)")
            results.append(members.sorted())
            // Offering a held neighbour again changes nothing.
            #expect(heaps.apply([[ApproximateNeighbours.Update(target: 0, neighbour: want[0].neighbour, score: -1)]], threads: 1) == 0)
            // The root holds the farthest kept pair.
            #expect(heaps.thresholds()[0] == want.last!.score)
        }
        #expect(Set(results).count == 1)
    }
}
