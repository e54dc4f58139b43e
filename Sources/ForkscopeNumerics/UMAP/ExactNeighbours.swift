import CLapack

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
