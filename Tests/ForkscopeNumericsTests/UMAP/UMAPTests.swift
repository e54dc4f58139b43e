import Foundation
import Testing
@testable import ForkscopeNumerics

/// The whole UMAP (Sources/ForkscopeNumerics/UMAP/UMAP.swift, LayoutOptimizer.swift, RandomStream.swift).
@Suite("UMAP")
struct UMAPTests {
    typealias K = NumericsKit
    typealias U = UMAPKit

    /// 3 well-separated Gaussian clusters, 100 points each in 10 dimensions.
    static let threeClusters = U.clustered(clusters: 3, perCluster: 100, dims: 10, separation: 4, seed: 31)

    @Test func separatesThreeClusters() throws {
        let (x, labels) = Self.threeClusters
        let result = UMAP().embed(x, threads: 2)
        #expect(result.layout.rows == 300 && result.layout.cols == 2)
        #expect(result.layout.storage.allSatisfy { $0.isFinite })
        #expect(result.initialisation == .spectral)
        #expect(result.epochs == 500)
        #expect(result.graph == ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 1))
        #expect(result.seconds.map(\.stage) == ["neighbours", "fuzzy set", "initialisation", "optimisation"])

        let trust = try #require(LayoutQuality.trustworthiness(input: x, layout: result.layout, k: 15))
        #expect(trust > 0.9, "trustworthiness \(trust)")
        let members = (0..<3).map { c in labels.indices.filter { labels[$0] == c } }
        let centroids = members.map { U.centroid(result.layout, rows: $0) }
        var misplaced = [Int]()
        for i in 0..<300 {
            let p = K.rowArray(result.layout, i)
            let own = U.distance(p, centroids[labels[i]])
            if (0..<3).contains(where: { $0 != labels[i] && U.distance(p, centroids[$0]) <= own }) { misplaced.append(i) }
        }
        #expect(misplaced.isEmpty, "points closer to another cluster's centroid: \(misplaced)")
    }

    /// The same seed gives the same bits on any number of threads, with exact neighbours and with
    /// NN-descent (forced by lowering the exact-neighbour limit). 2,112 points are over the
    /// optimiser's 2,048-point single block, so it cuts them into 16 blocks that the threads share.
    @Test("same seed, same layout on 1, 2, 3 and 8 threads", arguments: [false, true])
    func deterministicAcrossThreads(approximate: Bool) {
        let (x, _) = U.clustered(clusters: 6, perCluster: 352, dims: 12, separation: 2.5, seed: 8)
        #expect(LayoutOptimizer.blockSize(x.rows) < x.rows)
        var options = UMAP.Options()
        options.epochs = 60
        if approximate { options.exactNeighbourLimit = 0 }
        let umap = UMAP(options: options)
        let one = umap.embed(x, threads: 1)
        for threads in [2, 3, 8] {
            let other = umap.embed(x, threads: threads)
            #expect(other.graph == one.graph, "\(threads) threads: different neighbours")
            #expect(other.layout.storage == one.layout.storage,
                    "\(threads) threads: largest difference \(K.maxAbsDifference(other.layout, one.layout))")
        }
        // And twice on the same thread count.
        #expect(umap.embed(x, threads: 3).layout == one.layout)
    }

    @Test func differentSeedDifferentLayout() {
        let (x, _) = Self.threeClusters
        var options = UMAP.Options()
        options.epochs = 100
        let a = UMAP(options: options).embed(x, threads: 2)
        options.seed = 43
        let b = UMAP(options: options).embed(x, threads: 2)
        #expect(a.graph == b.graph, "exact neighbours do not depend on the seed")
        let difference = K.maxAbsDifference(a.layout, b.layout)
        #expect(difference > 1e-3, "largest difference \(difference)")
    }

    /// `initialisation: .random` starts from uniform points (umap-learn's init="random"): it is
    /// reported, differs from the spectral start, is reproducible and still separates the clusters
    /// (trustworthiness above 0.9, as the spectral start must reach in `separatesThreeClusters`).
    @Test func randomStart() throws {
        let (x, _) = Self.threeClusters
        var options = UMAP.Options()
        options.epochs = 200
        let spectral = UMAP(options: options).embed(x, threads: 2)
        options.initialisation = .random
        let random = UMAP(options: options).embed(x, threads: 2)
        #expect(spectral.initialisation == .spectral && random.initialisation == .random)
        #expect(K.maxAbsDifference(spectral.layout, random.layout) > 1e-3)
        #expect(UMAP(options: options).embed(x, threads: 1).layout == random.layout)
        let trust = try #require(LayoutQuality.trustworthiness(input: x, layout: random.layout, k: 10))
        #expect(trust > 0.9, "trustworthiness \(trust)")
    }

    /// Options reach the stages: epochs, neighbours; umap-learn's default epochs by size.
    @Test func optionsAreUsed() {
        let (x, _) = U.clustered(clusters: 2, perCluster: 30, dims: 4, separation: 3, seed: 3)
        var options = UMAP.Options()
        options.epochs = 7
        options.neighbours = 5
        let result = UMAP(options: options).embed(x)
        #expect(result.epochs == 7 && result.graph.k == 5)
        #expect(UMAP().embed(x).epochs == 500)
        // min_dist changes a and b, so the layout.
        options.epochs = 50
        let near = UMAP(options: options).embed(x)
        options.minDist = 0.8
        #expect(UMAP(options: options).embed(x).layout != near.layout)
    }

    /// Embedding from a given graph equals embedding from the data when the graph is the same.
    @Test func embedFromGivenNeighbours() throws {
        let c = try U.referenceCase("blobs")
        let x = K.matrix(c.data)
        var options = UMAP.Options()
        options.epochs = 60
        let umap = UMAP(options: options)
        let fromData = umap.embed(x, threads: 2)
        let fromGraph = umap.embed(x, neighbours: U.neighbourGraph(c), threads: 1)
        #expect(fromGraph.layout == fromData.layout)
    }

    /// Two points or fewer: no optimisation, a line in index order.
    @Test func tinyInputs() {
        for n in [1, 2] {
            let result = UMAP().embed(K.random(rows: n, cols: 3, seed: 1))
            #expect(result.layout == Matrix(rows: n, cols: 2, storage: (0..<n).flatMap { [Double($0), 0] }))
            #expect(result.epochs == 0 && result.initialisation == .random)
        }
        let three = UMAP().embed(K.random(rows: 3, cols: 3, seed: 1))
        #expect(three.layout.rows == 3 && three.layout.storage.allSatisfy { $0.isFinite })
    }

    // MARK: optimiser

    /// One attractive edge and nothing else sampled negatively (rate 0): the two points move toward
    /// each other, symmetrically.
    @Test func optimiserPullsAnEdgeTogether() {
        var optimiser = LayoutOptimizer(a: 1.577, b: 0.895)
        optimiser.negativeSampleRate = 0.000001  // negatives due only after ~1e6 epochs
        let graph = U.graph(n: 2, edges: [(0, 1, 1)])
        let out = optimiser.optimise(graph, initial: [0, 0, 6, 8], epochs: 20, seed: 1, threads: 1)
        let before = Float(10), after = ((out[2] - out[0]) * (out[2] - out[0]) + (out[3] - out[1]) * (out[3] - out[1])).squareRoot()
        #expect(after < before - 1, "distance \(after)")
        #expect(abs((out[0] + out[2]) / 2 - 3) < 1e-5 && abs((out[1] + out[3]) / 2 - 4) < 1e-5, "midpoint moved: \(out)")
    }

    /// Negative samples push apart points with no edge between them.
    @Test func optimiserRepelsNegativeSamples() {
        // A weak edge 0–1 keeps sampling; the other points repel 0 and 1 apart from 2 and 3.
        let graph = U.graph(n: 4, edges: [(0, 1, 1), (2, 3, 1)])
        let initial: [Float] = [0, 0, 0.1, 0, 0.05, 0.1, 0.15, 0.1]
        let out = LayoutOptimizer(a: 1.577, b: 0.895).optimise(graph, initial: initial, epochs: 50, seed: 9, threads: 1)
        let c01 = ((out[0] + out[2]) / 2, (out[1] + out[3]) / 2), c23 = ((out[4] + out[6]) / 2, (out[5] + out[7]) / 2)
        let apart = ((c01.0 - c23.0) * (c01.0 - c23.0) + (c01.1 - c23.1) * (c01.1 - c23.1)).squareRoot()
        #expect(apart > 1, "pairs only \(apart) apart")
    }

    // MARK: random streams

    @Test func randomStreams() {
        var a = RandomStream(seed: 42, 5, 1, 2), b = RandomStream(seed: 42, 5, 1, 2), c = RandomStream(seed: 42, 5, 2, 1)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() }, "keys in another order must give another stream")
        var u = RandomStream(seed: 7)
        let uniforms = (0..<20_000).map { _ in u.uniform() }
        #expect(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(uniforms.reduce(0, +) / 20_000 - 0.5) < 0.01)
        let below = (0..<20_000).map { _ in u.below(7) }
        #expect(Set(below) == Set(0..<7))
        let normals = (0..<20_000).map { _ in u.normal() }
        let mean = normals.reduce(0, +) / 20_000, variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20_000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05, "mean \(mean), variance \(variance)")
    }

    @Test func parallelChunksVisitEveryChunkOnce() {
        for threads in [1, 2, 3, 8] {
            var seen = [Int](repeating: 0, count: 37)
            seen.withUnsafeMutableBufferPointer { s in
                ParallelChunks.run(chunks: 37, threads: threads) { s[$0] += 1 }
            }
            #expect(seen == Array(repeating: 1, count: 37), "\(threads) threads")
        }
        #expect(ParallelChunks.ranges(10, size: 4) == [0..<4, 4..<8, 8..<10])
        #expect(ParallelChunks.ranges(0, size: 4).isEmpty)
    }
}
