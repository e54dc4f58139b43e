import CLapack

/// Exact k nearest neighbours: a Float Gram matrix through BLAS (ssyrk) picks `k − 1 + margin`
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
        // Every product at once; blocks of rows read their rows of it.
        let gram = floatGram(prepared.values, n: n, d: d)
        candidates.withUnsafeMutableBufferPointer { out in
            gram.withUnsafeBufferPointer { products in
                ParallelChunks.run(chunks: blocks.count, threads: threads) { c in
                    for i in blocks[c] {
                        var best = SmallestK(capacity: m + 1)
                        for j in 0..<n where j != i {
                            best.offer(prepared.score(i, j, dot: products[i * n + j]), j)
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
