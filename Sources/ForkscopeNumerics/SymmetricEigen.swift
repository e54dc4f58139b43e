import CLapack

/// The top eigenpairs of symmetric matrices through LAPACK's `dsyevr` (MRRR), which computes a
/// selected index range of eigenpairs without the full decomposition.
public enum SymmetricEigen {
    /// The `count` largest eigenvalues (descending) and their unit eigenvectors (one per row of
    /// `vectors`, so `vectors` is count x n) of the symmetric n x n matrix `a` (upper triangle read).
    public static func largest(_ count: Int, of a: Matrix) -> (values: [Double], vectors: Matrix) {
        let n = a.rows
        precondition(a.cols == n, "matrix is not square")
        let k = min(count, n)
        guard k > 0 else { return ([], Matrix(rows: 0, cols: n)) }
        var work = a.storage
        var found: Int32 = 0
        var values = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * k)
        var support = [Int32](repeating: 0, count: 2 * n)
        let info = LAPACKE_dsyevr(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), CChar(UInt8(ascii: "U")),
            Int32(n), &work, Int32(n), 0, 0, Int32(n - k + 1), Int32(n), 0,
            &found, &values, &z, Int32(k), &support)
        precondition(info == 0, "LAPACKE_dsyevr failed with info \(info)")
        // dsyevr returns ascending order; z is n x k, column j the eigenvector of values[j].
        var outValues = [Double]()
        var vectors = Matrix(rows: k, cols: n)
        for (out, j) in (0..<Int(found)).reversed().enumerated() {
            outValues.append(values[j])
            for i in 0..<n { vectors[out, i] = z[i * k + j] }
        }
        return (outValues, vectors)
    }
}

extension Matrix {
    /// `self * selfᵀ` (rows x rows) through BLAS `dsyrk`; only the upper triangle is filled.
    public func gramUpper() -> Matrix { symmetricProduct(transposeFirst: false) }

    /// `selfᵀ * self` (cols x cols) through BLAS `dsyrk`; only the upper triangle is filled.
    public func crossProductUpper() -> Matrix { symmetricProduct(transposeFirst: true) }

    private func symmetricProduct(transposeFirst: Bool) -> Matrix {
        let n = transposeFirst ? cols : rows, k = transposeFirst ? rows : cols
        var out = Matrix(rows: n, cols: n)
        guard n > 0 else { return out }
        storage.withUnsafeBufferPointer { a in
            out.storage.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(CblasRowMajor, CblasUpper, transposeFirst ? CblasTrans : CblasNoTrans,
                            blasint(n), blasint(k), 1, a.baseAddress, blasint(max(cols, 1)), 0, c.baseAddress, blasint(n))
            }
        }
        return out
    }
}
