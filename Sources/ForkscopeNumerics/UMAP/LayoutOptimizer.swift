import CKernels
import Foundation

/// UMAP's layout optimisation (umap-learn's `optimize_layout_euclidean`): stochastic gradient
/// descent on the fuzzy cross-entropy, sampling each edge in proportion to its weight
/// (`make_epochs_per_sample`), `negativeSampleRate` uniform negative samples per positive one,
/// attractive gradient −2ab d^{2(b−1)} / (1 + a d^{2b}), repulsive 2b / ((0.001 + d²)(1 + a d^{2b})),
/// each coordinate's step clipped to ±4, learning rate decaying linearly from 1 towards 0.
///
/// What differs, so that the same seed gives the same layout on any number of threads (umap-learn
/// is either sequential or races between threads):
/// - Points are cut into fixed blocks (`blockSize`, independent of the thread count). A block walks
///   its points' edges in order exactly as umap-learn walks its edge list (head and tail move, as
///   umap-learn's move_other), seeing its own points move and other blocks' points where the epoch
///   started; moves of points in other blocks are collected and applied, in block order, when the
///   epoch ends. With one block this is umap-learn's sequential order itself.
/// - Negative samples are drawn when umap-learn draws them but pushed from in batches of eight
///   (`batch`): from where the head stands when the eighth is drawn or its edges are done, rather
///   than each from where the previous one left it. One batch is one call of the vectorised
///   kernel (`fs_layout_repulsion`, eight samples in the lanes of AVX2 registers) and the chain of
///   dependent steps through the power function is an eighth as long: 2.5 s → 1.9 s on 16,384
///   points (one large layer), and per-edge batches (the previous version) 2.3 s. Trustworthiness
///   over five seeds on the six real inputs and medium of umap_bench.py moved from −0.0002 to
///   −0.0004 (mean difference to umap-learn; the seeds' own spread is about 0.005).
/// - Negative samples come from a stream keyed by (seed, epoch, point).
/// Measured: a synchronous version (every point moved by the sum of its updates from the epoch's
/// start) fell 0.01–0.02 short of umap-learn's trustworthiness; this one matches it
/// (Benchmarks/umap_bench.py).
struct LayoutOptimizer {
    var a: Float, b: Float
    var negativeSampleRate: Float = 5
    var repulsionStrength: Float = 1
    var initialAlpha: Float = 1

    /// Points per block: a block is processed in order, one block per worker at a time. Up to 2,048
    /// points one block, which is umap-learn's own sequential order (cheap at that size, and a
    /// build already runs layers in parallel); above, 16 blocks. It depends on n only, never on
    /// the thread count. Smaller blocks drift from umap-learn: on topics layer 15's position_mean
    /// view (603 points, random start, 8 seeds) trustworthiness was 0.7815 with one block against
    /// umap-learn's 0.7807, but 0.7912 with blocks of 256 and 0.7970 with blocks of 64.
    static func blockSize(_ n: Int) -> Int { n <= 2048 ? max(1, n) : (n + 15) / 16 }

    func optimise(_ graph: SparseGraph, initial: [Float], epochs: Int, seed: UInt64, threads: Int) -> [Float] {
        let n = graph.n
        let maxWeight = graph.weights.max() ?? 1
        // Per stored edge, in row order (umap-learn's make_epochs_per_sample, in Double as there):
        // epochs between samples, and the next epochs to sample it and to draw its negatives.
        let perSample = graph.weights.map { w -> Double in w > 0 ? maxWeight / w : -1 }
        let perNegative = perSample.map { $0 / Double(negativeSampleRate) }
        var nextSample = perSample, nextNegative = perNegative
        var layout = initial, working = initial
        let blocks = ParallelChunks.ranges(n, size: Self.blockSize(n))
        // Moves of points outside the block that made them, applied when the epoch ends.
        var deferred = [[Deferred]](repeating: [], count: blocks.count)
        let columns = graph.columns, offsets = graph.offsets
        for epoch in 0..<epochs {
            // umap-learn updates the rate after each epoch: 1 for epochs 0 and 1, then 1 − (e − 1)/N.
            let alpha = initialAlpha * (1 - Float(max(0, epoch - 1)) / Float(epochs))
            let e = Double(epoch)
            withPointers(layout, &working, &nextSample, &nextNegative, &deferred) { snapshot, working, nextSample, nextNegative, deferred in
                ParallelChunks.run(chunks: blocks.count, threads: threads) { c in
                    let lo = blocks[c].lowerBound, hi = blocks[c].upperBound
                    var pending = deferred[c]
                    // The drawn negative samples' positions, pushed from in batches (`fs_layout_repulsion`).
                    let qx = UnsafeMutablePointer<Float>.allocate(capacity: 2 * Self.batch), qy = qx + Self.batch
                    defer { qx.deallocate() }
                    var drawn = 0
                    // Pushes i away from the drawn samples, from where i stands now.
                    @inline(__always) func repel(_ i: Int, alpha: Float) {
                        guard drawn > 0 else { return }
                        var sum: (Float, Float) = (0, 0)
                        withUnsafeMutableBytes(of: &sum) { out in
                            fs_layout_repulsion(working[2 * i], working[2 * i + 1], qx, qy, Int32(drawn), a, b, repulsionFactor,
                                                out.baseAddress!.assumingMemoryBound(to: Float.self))
                        }
                        working[2 * i] += alpha * sum.0; working[2 * i + 1] += alpha * sum.1
                        drawn = 0
                    }
                    pending.removeAll(keepingCapacity: true)
                    // A block sees its own points as they move and the others as the epoch found them.
                    @inline(__always) func position(_ p: Int) -> (Float, Float) {
                        p >= lo && p < hi ? (working[2 * p], working[2 * p + 1]) : (snapshot[2 * p], snapshot[2 * p + 1])
                    }
                    for i in lo..<hi {
                        var rng = RandomStream(seed: seed, 5, UInt64(epoch), UInt64(i))
                        for edge in offsets[i]..<offsets[i + 1] where perSample[edge] > 0 && nextSample[edge] <= e {
                            let j = columns[edge]
                            let (gx, gy) = attraction(position(i), position(j))
                            working[2 * i] += alpha * gx; working[2 * i + 1] += alpha * gy
                            if j >= lo && j < hi {
                                working[2 * j] -= alpha * gx; working[2 * j + 1] -= alpha * gy
                            } else {
                                pending.append(Deferred(point: j, dx: -alpha * gx, dy: -alpha * gy))
                            }
                            nextSample[edge] += perSample[edge]
                            // Negative samples are drawn now and pushed from later (`batch`).
                            let negatives = max(0, Int((e - nextNegative[edge]) / perNegative[edge]))
                            for _ in 0..<negatives {
                                let k = rng.below(n)
                                guard k != i else { continue }
                                (qx[drawn], qy[drawn]) = position(k)
                                drawn += 1
                                if drawn == Self.batch { repel(i, alpha: alpha) }
                            }
                            nextNegative[edge] += Double(negatives) * perNegative[edge]
                        }
                        repel(i, alpha: alpha)
                    }
                    deferred[c] = pending
                }
            }
            layout = working
            for moves in deferred { for m in moves { layout[2 * m.point] += m.dx; layout[2 * m.point + 1] += m.dy } }
            working = layout
        }
        return layout
    }

    /// A move of a point outside the block that computed it.
    struct Deferred { let point: Int; let dx: Float, dy: Float }

    /// The arrays as raw pointers for the hot loop (no bounds checks or reference counting there).
    private func withPointers(_ snapshot: [Float], _ working: inout [Float], _ nextSample: inout [Double],
                              _ nextNegative: inout [Double], _ deferred: inout [[Deferred]],
                              _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Double>,
                                       UnsafeMutablePointer<Double>, UnsafeMutableBufferPointer<[Deferred]>) -> Void) {
        snapshot.withUnsafeBufferPointer { s in working.withUnsafeMutableBufferPointer { w in
            nextSample.withUnsafeMutableBufferPointer { ns in nextNegative.withUnsafeMutableBufferPointer { nn in
                deferred.withUnsafeMutableBufferPointer { d in
                    body(s.baseAddress!, w.baseAddress!, ns.baseAddress!, nn.baseAddress!, d)
                }
            } }
        } }
    }

    /// The head's clipped attractive step towards the tail (umap-learn's positive-edge update).
    @inline(__always) private func attraction(_ p: (Float, Float), _ q: (Float, Float)) -> (Float, Float) {
        let ox = p.0 - q.0, oy = p.1 - q.1
        let d2 = ox * ox + oy * oy
        guard d2 > 0 else { return (0, 0) }
        let pw = powf(d2, b - 1)
        let coefficient = -2 * a * b * pw / (a * pw * d2 + 1)
        return (clip(coefficient * ox), clip(coefficient * oy))
    }

    /// The numerator 2γb of the repulsive gradient.
    private var repulsionFactor: Float { 2 * repulsionStrength * b }

    /// Negative samples handed to the repulsion kernel at a time (it works on eight at once).
    static let batch = 8

    @inline(__always) private func clip(_ v: Float) -> Float { min(4, max(-4, v)) }
}
