import CLapack

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
