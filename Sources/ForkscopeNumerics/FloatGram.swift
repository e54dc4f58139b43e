import CLapack

/// Every row's dot products with every row of an n × d row-major Float matrix, as an n × n
/// row-major matrix: BLAS `ssyrk` (half the flops of the general product) fills the upper
/// triangle, which is then mirrored. For the all-pairs passes that read whole rows of it
/// (`NeighbourhoodMeasures` with every row a query, UMAP's `ExactNeighbours`).
func floatGram(_ rows: [Float], n: Int, d: Int) -> [Float] {
    var out = [Float](repeating: 0, count: n * n)
    guard n > 0 else { return out }
    rows.withUnsafeBufferPointer { a in
        out.withUnsafeMutableBufferPointer { g in
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(d), 1, a.baseAddress!, Int32(max(d, 1)), 0,
                        g.baseAddress!, Int32(n))
            for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
        }
    }
    return out
}
