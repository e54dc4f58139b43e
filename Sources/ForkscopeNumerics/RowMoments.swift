import CLapack

/// The moments of some rows of a matrix, shifted by a fixed vector: Σ x̃x̃ᵀ (upper triangle),
/// Σ x̃ and optionally Σ x̃·y, with x̃ = x − shift. From these a PCA (scatter matrix) and the
/// normal equations of any subset's regression follow without touching the rows again, so one
/// pass serves several fits (`PCA(scatter:)`, `PositionProbe.heldOutR2`), and a subset's moments
/// are the difference of two sets' (`-`).
public struct RowMoments: Sendable {
    /// Σ x̃x̃ᵀ, d × d, upper triangle filled.
    public var gram: Matrix
    public var sum: [Double]
    /// Σ x̃·y (empty without a response).
    public var weightedSum: [Double]
    public var ySum = 0.0
    public var count: Int
    public let shift: [Double]

    /// Rows are gathered and shifted 256 at a time and added with `dsyrk`: n·d² flops, and no
    /// copy of all rows.
    public init(_ x: Matrix, rows: [Int], shift: [Double], y: ((Int) -> Double)? = nil) {
        let d = x.cols
        self.shift = shift
        count = rows.count
        gram = Matrix(rows: d, cols: d)
        sum = [Double](repeating: 0, count: d)
        weightedSum = y == nil ? [] : sum
        var block = [Double]()
        for range in ParallelChunks.ranges(rows.count, size: 256) {
            block.removeAll(keepingCapacity: true)
            for t in rows[range] {
                let response = y?(t)
                if let response { ySum += response }
                for c in 0..<d {
                    let v = x[t, c] - shift[c]
                    block.append(v)
                    sum[c] += v
                    if let response { weightedSum[c] += v * response }
                }
            }
            block.withUnsafeBufferPointer { a in
                gram.storage.withUnsafeMutableBufferPointer { g in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(d), blasint(range.count), 1,
                                a.baseAddress, blasint(d), 1, g.baseAddress, blasint(d))
                }
            }
        }
    }

    /// The moments of `rows` shifted by their own mean, which keeps Σx̃x̃ᵀ − n·m̃m̃ᵀ from cancelling.
    public static func of(_ x: Matrix, rows: [Int], y: ((Int) -> Double)? = nil) -> RowMoments {
        var mean = [Double](repeating: 0, count: x.cols)
        for t in rows { for c in 0..<x.cols { mean[c] += x[t, c] } }
        let scale = rows.isEmpty ? 0 : 1 / Double(rows.count)
        return RowMoments(x, rows: rows, shift: mean.map { $0 * scale }, y: y)
    }

    /// The rows' mean.
    public var mean: [Double] {
        let scale = count == 0 ? 0 : 1 / Double(count)
        return zip(shift, sum).map { $0 + $1 * scale }
    }

    /// The scatter matrix Σ (x − mean)(x − mean)ᵀ (upper triangle).
    public var scatter: Matrix {
        var s = self
        s.centreGram()
        return s.gram
    }

    /// Turns `gram` into the scatter matrix in place (upper triangle): Σx̃x̃ᵀ − n·m̃m̃ᵀ.
    public mutating func centreGram() {
        guard count > 0 else { return }
        let m = sum.map { $0 / Double(count) }, n = Double(count), d = gram.cols
        gram.storage.withUnsafeMutableBufferPointer { g in
            for r in 0..<d { for c in r..<d { g[r * d + c] -= n * m[r] * m[c] } }
        }
    }

    /// Σ‖x‖² of the unshifted rows.
    public var sumOfSquares: Double {
        (0..<gram.rows).reduce(0.0) { $0 + gram[$1, $1] + 2 * shift[$1] * sum[$1] + Double(count) * shift[$1] * shift[$1] }
    }

    /// The moments of the rows of `a` that are not in `b` (same shift; `b`'s rows a subset of `a`'s).
    /// Without `b`'s response sums the result has none either. Written over `b`'s storage, which
    /// a caller passing its last use of `b` gives up: no d × d copy.
    public static func - (a: RowMoments, b: consuming RowMoments) -> RowMoments {
        precondition(a.shift == b.shift)
        var out = b
        out.count = a.count - out.count
        out.ySum = a.ySum - out.ySum
        for c in out.sum.indices { out.sum[c] = a.sum[c] - out.sum[c] }
        if a.weightedSum.count == out.weightedSum.count {
            for c in out.weightedSum.indices { out.weightedSum[c] = a.weightedSum[c] - out.weightedSum[c] }
        } else {
            out.weightedSum = []
        }
        a.gram.storage.withUnsafeBufferPointer { g in
            out.gram.storage.withUnsafeMutableBufferPointer { o in
                for i in o.indices { o[i] = g[i] - o[i] }
            }
        }
        return out
    }
}
