import CLapack

extension Matrix {
    /// `self * other` (or with either side transposed) through BLAS `dgemm`.
    public func multiplied(by other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
        let m = transposeSelf ? cols : rows, k = transposeSelf ? rows : cols
        let k2 = transposeOther ? other.cols : other.rows, n = transposeOther ? other.rows : other.cols
        precondition(k == k2, "inner dimensions differ")
        var out = Matrix(rows: m, cols: n)
        guard m > 0, n > 0, k > 0 else { return out }
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.storage.withUnsafeMutableBufferPointer { c in
                    cblas_dgemm(CblasRowMajor, transposeSelf ? CblasTrans : CblasNoTrans, transposeOther ? CblasTrans : CblasNoTrans,
                                blasint(m), blasint(n), blasint(k), 1, a.baseAddress, blasint(max(cols, 1)),
                                b.baseAddress, blasint(max(other.cols, 1)), 0, c.baseAddress, blasint(n))
                }
            }
        }
        return out
    }

    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.cols == rhs.cols)
        return Matrix(rows: lhs.rows, cols: lhs.cols, storage: zip(lhs.storage, rhs.storage).map { $0 - $1 })
    }

    /// The columns at `indices`, in that order.
    public func selectingColumns(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: rows, cols: indices.count)
        for r in 0..<rows { for (j, c) in indices.enumerated() { out[r, j] = self[r, c] } }
        return out
    }

    /// Per-column population standard deviations (divisor n) around `mean`.
    public func columnStandardDeviations(mean: [Double]) -> [Double] {
        var acc = [Double](repeating: 0, count: cols)
        for r in 0..<rows { for c in 0..<cols { let e = self[r, c] - mean[c]; acc[c] += e * e } }
        return acc.map { rows > 0 ? ($0 / Double(rows)).squareRoot() : 0 }
    }

    /// Total variance: the sum over columns of the population variance.
    public var totalVariance: Double {
        guard rows > 0 else { return 0 }
        return subtractingFromRows(columnMeans()).sumOfSquares / Double(rows)
    }
}
