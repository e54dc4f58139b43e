import CLapack

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
