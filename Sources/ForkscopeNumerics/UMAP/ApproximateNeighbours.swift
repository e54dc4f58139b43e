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

/// Splits the points by random hyperplanes (through the midpoint of two random points, or between
/// their directions for cosine) until each leaf holds at most `leafSize` points.
enum RandomProjectionTree {
    /// The prepared rows times a d × m Gaussian matrix / √m (one BLAS GEMM), as rows of the same kind.
    static func sketch(_ prepared: PreparedRows, dimensions m: Int, seed: UInt64) -> PreparedRows {
        guard m < prepared.d else { return prepared }
        var rng = RandomStream(seed: seed, 7)
        let scale = 1 / Double(m).squareRoot()
        let gaussian = (0..<(prepared.d * m)).map { _ in Float(rng.normal() * scale) }
        var out = [Float](repeating: 0, count: prepared.n * m)
        prepared.values.withUnsafeBufferPointer { v in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(prepared.n), Int32(m), Int32(prepared.d),
                        1, v.baseAddress!, Int32(prepared.d), gaussian, Int32(m), 0, &out, Int32(m))
        }
        return PreparedRows(sketchOf: prepared, values: out, dimensions: m)
    }

    static func leaves(_ prepared: PreparedRows, leafSize: Int, rng: RandomStream) -> [[Int]] {
        var rng = rng
        var result = [[Int]]()
        var pending = [Array(0..<prepared.n)]
        let d = prepared.d
        var normal = [Float](repeating: 0, count: d)
        while let node = pending.popLast() {
            if node.count <= leafSize { result.append(node); continue }
            let a = node[rng.below(node.count)]
            var b = node[rng.below(node.count - 1)]
            if b == a { b = node[node.count - 1] }
            var offset: Float = 0
            prepared.values.withUnsafeBufferPointer { v in
                for c in 0..<d {
                    let xa = v[a * d + c], xb = v[b * d + c]
                    normal[c] = xa - xb
                    if prepared.metric == .euclidean { offset -= normal[c] * (xa + xb) / 2 }
                }
            }
            var left = [Int](), right = [Int]()
            prepared.values.withUnsafeBufferPointer { v in
                normal.withUnsafeBufferPointer { w in
                    for p in node {
                        let margin = cblas_sdot(Int32(d), w.baseAddress!, 1, v.baseAddress! + p * d, 1) + offset
                        if margin > 0 || (margin == 0 && rng.below(2) == 0) { left.append(p) } else { right.append(p) }
                    }
                }
            }
            if left.isEmpty || right.isEmpty {
                // Every point on one side (copies of one state): split at random, as pynndescent does.
                left = []; right = []
                for p in node { if rng.below(2) == 0 { left.append(p) } else { right.append(p) } }
                if left.isEmpty || right.isEmpty { let h = node.count / 2; left = Array(node[..<h]); right = Array(node[h...]) }
            }
            pending.append(right); pending.append(left)
        }
        return result
    }
}

/// One bounded max-heap per point of its best (score, index) neighbours so far, with NN-descent's
/// "new" flags. Keeping the smallest pairs under a total order makes the result independent of
/// the order updates arrive in.
struct NeighbourHeaps {
    let n: Int, size: Int
    var index: [Int32]
    var score: [Float]
    var isNew: [Bool]

    init(n: Int, size: Int) {
        self.n = n; self.size = size
        index = [Int32](repeating: NeighbourHeaps.empty, count: n * size)
        score = [Float](repeating: .infinity, count: n * size)
        isNew = [Bool](repeating: true, count: n * size)
    }

    /// The index of an empty slot; with score +∞ it orders after every real entry.
    static let empty = Int32.max

    func thresholds() -> [Float] { (0..<n).map { size > 0 ? score[$0 * size] : -.infinity } }

    @inline(__always) static func before(_ s1: Float, _ i1: Int32, _ s2: Float, _ i2: Int32) -> Bool {
        s1 < s2 || (s1 == s2 && i1 < i2)
    }

    /// Pushes (s, j) into one heap (pointers to its slice of the flat arrays); returns whether it changed.
    @inline(__always)
    static func push(_ idx: UnsafeMutablePointer<Int32>, _ sc: UnsafeMutablePointer<Float>, _ fl: UnsafeMutablePointer<Bool>,
                     size: Int, _ s: Float, _ j: Int32) -> Bool {
        guard before(s, j, sc[0], idx[0]) else { return false }
        for e in 0..<size where idx[e] == j { return false }
        // Replace the root (the farthest) and sift the new entry down.
        var at = 0
        while true {
            let l = 2 * at + 1, r = l + 1
            guard l < size else { break }
            let child = r < size && before(sc[l], idx[l], sc[r], idx[r]) ? r : l
            guard before(s, j, sc[child], idx[child]) else { break }
            idx[at] = idx[child]; sc[at] = sc[child]; fl[at] = fl[child]
            at = child
        }
        idx[at] = j; sc[at] = s; fl[at] = true
        return true
    }

    /// Applies proposals grouped by target, in chunk order; returns how many heap entries changed.
    @discardableResult
    mutating func apply(_ updates: [[Update]], threads: Int) -> Int {
        var counts = [Int](repeating: 0, count: n + 1)
        for chunk in updates { for u in chunk { counts[Int(u.target) + 1] += 1 } }
        for t in 0..<n { counts[t + 1] += counts[t] }
        var fill = counts
        var sorted = [Update](repeating: Update(target: 0, neighbour: 0, score: 0), count: counts[n])
        for chunk in updates { for u in chunk { sorted[fill[Int(u.target)]] = u; fill[Int(u.target)] += 1 } }
        let ranges = ParallelChunks.ranges(n, size: 512)
        var changed = [Int](repeating: 0, count: ranges.count)
        let size = self.size
        index.withUnsafeMutableBufferPointer { idx in
            score.withUnsafeMutableBufferPointer { sc in
                isNew.withUnsafeMutableBufferPointer { fl in
                    changed.withUnsafeMutableBufferPointer { changed in
                        ParallelChunks.run(chunks: ranges.count, threads: threads) { c in
                            for t in ranges[c] {
                                for u in sorted[counts[t]..<counts[t + 1]]
                                where NeighbourHeaps.push(idx.baseAddress! + t * size, sc.baseAddress! + t * size,
                                                          fl.baseAddress! + t * size, size: size, u.score, u.neighbour) {
                                    changed[c] += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return changed.reduce(0, +)
    }
    typealias Update = ApproximateNeighbours.Update

    /// Fills heaps that trees left short (tiny leaves) with random points.
    mutating func fillWithRandom(_ prepared: PreparedRows, seed: UInt64) {
        let d = prepared.d
        for t in 0..<n where index[t * size..<(t + 1) * size].contains(NeighbourHeaps.empty) {
            var rng = RandomStream(seed: seed, 2, UInt64(t))
            var tries = 0
            while index[t * size..<(t + 1) * size].contains(NeighbourHeaps.empty) && tries < 4 * size + 16 {
                tries += 1
                let j = rng.below(n)
                guard j != t else { continue }
                let dot = prepared.values.withUnsafeBufferPointer { cblas_sdot(Int32(d), $0.baseAddress! + t * d, 1, $0.baseAddress! + j * d, 1) }
                let s = prepared.score(t, j, dot: dot)
                index.withUnsafeMutableBufferPointer { idx in score.withUnsafeMutableBufferPointer { sc in isNew.withUnsafeMutableBufferPointer { fl in
                    _ = NeighbourHeaps.push(idx.baseAddress! + t * size, sc.baseAddress! + t * size, fl.baseAddress! + t * size,
                                            size: size, s, Int32(j))
                } } }
            }
        }
    }

    /// NN-descent's candidate lists: each point's neighbours and reverse neighbours, split into those
    /// new since the last round and old ones, each cut to `max` by a random priority keyed by
    /// (seed, round, point, candidate). New entries that were sampled are marked old.
    mutating func sampleCandidates(max: Int, seed: UInt64, round: Int, threads: Int) -> [(new: [Int], old: [Int])] {
        var newLists = [[(UInt64, Int)]](repeating: [], count: n)
        var oldLists = [[(UInt64, Int)]](repeating: [], count: n)
        for v in 0..<n {
            for e in 0..<size {
                guard index[v * size + e] != NeighbourHeaps.empty else { continue }
                let u = Int(index[v * size + e])
                let forward = RandomStream.mix(UInt64(truncatingIfNeeded: seed &* 31 &+ UInt64(round)) ^ UInt64(v << 32 | u))
                let reverse = RandomStream.mix(UInt64(truncatingIfNeeded: seed &* 31 &+ UInt64(round)) ^ UInt64(u << 32 | v))
                if isNew[v * size + e] {
                    newLists[v].append((forward, u)); newLists[u].append((reverse, v))
                } else {
                    oldLists[v].append((forward, u)); oldLists[u].append((reverse, v))
                }
            }
        }
        func cut(_ list: [(UInt64, Int)]) -> [Int] {
            var seen = Set<Int>()
            return list.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.compactMap { seen.insert($0.1).inserted ? $0.1 : nil }
                .prefix(max).map { $0 }
        }
        var groups = [(new: [Int], old: [Int])](repeating: ([], []), count: n)
        let ranges = ParallelChunks.ranges(n, size: 512)
        let size = self.size, index = self.index
        groups.withUnsafeMutableBufferPointer { groups in
            isNew.withUnsafeMutableBufferPointer { isNew in
                ParallelChunks.run(chunks: ranges.count, threads: threads) { c in
                    for v in ranges[c] {
                        let new = cut(newLists[v])
                        let newSet = Set(new)
                        let old = cut(oldLists[v]).filter { !newSet.contains($0) }
                        for e in 0..<size where isNew[v * size + e] && newSet.contains(Int(index[v * size + e])) { isNew[v * size + e] = false }
                        groups[v] = (new, old)
                    }
                }
            }
        }
        return groups
    }

    /// Each point's current neighbours.
    func members() -> [[Int]] {
        (0..<n).map { v in index[v * size..<(v + 1) * size].compactMap { $0 != NeighbourHeaps.empty ? Int($0) : nil } }
    }
}

extension Double {
    var log2Rounded: Double { Foundation.log2(self).rounded() }
}
