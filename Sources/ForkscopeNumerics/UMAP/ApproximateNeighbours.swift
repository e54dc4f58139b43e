import Foundation
import CLapack

/// Approximate k nearest neighbours for large inputs, the way pynndescent (which umap-learn uses at
/// 4,096 points and above) finds them: random-projection trees give each point first candidates,
/// then NN-descent (Dong, Moses & Li, "Efficient k-nearest neighbor graph construction for generic
/// similarity measures", WWW 2011) repeatedly compares each point's neighbours with each other,
/// since a neighbour of a neighbour is likely a neighbour.
///
/// Three departures, for speed and determinism:
/// - the trees split a 64-dimensional Gaussian sketch of the rows rather than the rows (below);
///   they only seed the search, and the NN-descent rounds correct what they miss;
/// - each point's local join is one small Float GEMM over its gathered candidates, so every row is
///   read once per join rather than once per pair;
/// - a round first proposes updates against the heaps as they stood, then applies them grouped by
///   target in a fixed order, and heaps keep the smallest (score, index) pairs, so the graph is
///   the same for every thread count.
/// The final neighbours are ordered by exact Double distances (`PreparedRows.finish`).
enum ApproximateNeighbours {
    struct Settings {
        var trees: Int
        var leafSize: Int
        var iterations: Int
        var maxCandidates: Int
        /// Stop when a round changes fewer than `delta · n · k` heap entries (pynndescent's default).
        var delta = 0.001

        /// pynndescent's choices as umap-learn sets them.
        init(n: Int, k: Int) {
            trees = min(64, 5 + Int((Double(n).squareRoot() / 20).rounded()))
            leafSize = max(10, k)
            iterations = max(5, Int(Double(n).log2Rounded))
            maxCandidates = 60
        }
    }

    static func search(_ x: Matrix, k: Int, metric: Neighbours.Metric, seed: UInt64, threads: Int,
                       settings: Settings? = nil) -> NeighbourGraph {
        let n = x.rows, k = min(k, n)
        let settings = settings ?? Settings(n: n, k: k)
        let prepared = PreparedRows(x, metric: metric, threads: threads)
        var heaps = NeighbourHeaps(n: n, size: k - 1)
        guard k > 1 else { return prepared.finish(candidates: Array(repeating: [], count: n), k: k, threads: threads) }

        // Leaves of random-projection trees: every pair within a leaf is a first candidate.
        // The trees split a Johnson–Lindenstrauss sketch of the rows (Gaussian, 64 dimensions): the
        // splits only have to be random hyperplanes that roughly respect distances, and reading
        // 64 numbers per point per level instead of d is what makes them cheap.
        let sketch = RandomProjectionTree.sketch(prepared, dimensions: min(prepared.d, 64), seed: seed)
        var forest = [[[Int]]](repeating: [], count: settings.trees)
        forest.withUnsafeMutableBufferPointer { forest in
            ParallelChunks.run(chunks: settings.trees, threads: threads) { t in
                forest[t] = RandomProjectionTree.leaves(sketch, leafSize: settings.leafSize, rng: RandomStream(seed: seed, 1, UInt64(t)))
            }
        }
        let leaves = forest.flatMap { $0 }
        heaps.apply(join(prepared, groups: leaves.map { ($0, []) }, heaps: heaps, threads: threads), threads: threads)
        heaps.fillWithRandom(prepared, seed: seed)

        for round in 0..<settings.iterations {
            let groups = heaps.sampleCandidates(max: settings.maxCandidates, seed: seed, round: round, threads: threads)
            let changed = heaps.apply(join(prepared, groups: groups, heaps: heaps, threads: threads), threads: threads)
            if Double(changed) <= settings.delta * Double(n * (k - 1)) { break }
        }
        return prepared.finish(candidates: heaps.members(), k: k, threads: threads)
    }

    /// An update proposal: `neighbour` may belong in `target`'s heap at `score`.
    struct Update { let target: Int32, neighbour: Int32; let score: Float }

    /// Compares every new candidate of a group with every other candidate (new or old) by one GEMM
    /// per group, proposing each pair that beats either endpoint's current farthest neighbour.
    static func join(_ prepared: PreparedRows, groups: [(new: [Int], old: [Int])], heaps: NeighbourHeaps,
                     threads: Int) -> [[Update]] {
        let d = prepared.d
        let ranges = ParallelChunks.ranges(groups.count, size: 64)
        var out = [[Update]](repeating: [], count: ranges.count)
        let thresholds = heaps.thresholds()
        out.withUnsafeMutableBufferPointer { out in
            prepared.values.withUnsafeBufferPointer { v in
                ParallelChunks.run(chunks: ranges.count, threads: threads) { c in
                    var updates = [Update]()
                    var gathered = [Float](), products = [Float]()
                    for g in ranges[c] {
                        let (new, old) = groups[g]
                        let all = new + old
                        guard new.count > 0, all.count > 1 else { continue }
                        if gathered.count < all.count * d { gathered = [Float](repeating: 0, count: all.count * d) }
                        if products.count < new.count * all.count { products = [Float](repeating: 0, count: new.count * all.count) }
                        gathered.withUnsafeMutableBufferPointer { buffer in
                            for (r, p) in all.enumerated() {
                                (buffer.baseAddress! + r * d).update(from: v.baseAddress! + p * d, count: d)
                            }
                            products.withUnsafeMutableBufferPointer { prod in
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(new.count), Int32(all.count), Int32(d),
                                            1, buffer.baseAddress!, Int32(d), buffer.baseAddress!, Int32(d),
                                            0, prod.baseAddress!, Int32(all.count))
                            }
                        }
                        for p in 0..<new.count {
                            let a = new[p]
                            for q in (p + 1)..<all.count {
                                let b = all[q]
                                guard a != b else { continue }
                                let s = prepared.score(a, b, dot: products[p * all.count + q])
                                if s < thresholds[a] { updates.append(Update(target: Int32(a), neighbour: Int32(b), score: s)) }
                                if s < thresholds[b] { updates.append(Update(target: Int32(b), neighbour: Int32(a), score: s)) }
                            }
                        }
                    }
                    out[c] = updates
                }
            }
        }
        return out
    }
}

extension Double {
    var log2Rounded: Double { Foundation.log2(self).rounded() }
}
