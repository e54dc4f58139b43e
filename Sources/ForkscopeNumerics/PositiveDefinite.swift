import CLapack

/// Solutions of symmetric positive definite systems through LAPACK `dposv` (Cholesky).
public enum PositiveDefinite {
    /// X with A·X = B for symmetric positive definite A (n x n; only its upper triangle is read)
    /// and B (n x m).
    public static func solve(_ a: Matrix, _ b: Matrix) -> Matrix {
        guard let x = solveIfDefinite(a, b) else { preconditionFailure("LAPACKE_dposv failed: matrix not positive definite") }
        return x
    }

    /// As `solve`, or nil when A is not (numerically) positive definite.
    public static func solveIfDefinite(_ a: Matrix, _ b: Matrix) -> Matrix? {
        precondition(a.rows == a.cols && a.rows == b.rows)
        // A row-major upper triangle is a column-major lower one: LAPACK takes A as it is,
        // where a row-major call would have LAPACKE transpose all n² of it first. B goes over
        // column by column (no copy for one column).
        let n = b.rows, m = b.cols
        var a = a.storage
        var x = m == 1 ? b.storage : (0..<(n * m)).map { b.storage[($0 % n) * m + $0 / n] }
        let info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(m),
                                      &a, Int32(max(n, 1)), &x, Int32(max(n, 1)))
        precondition(info >= 0, "LAPACKE_dposv failed with info \(info)")
        guard info == 0 else { return nil }
        return Matrix(rows: n, cols: m, storage: m == 1 ? x : (0..<(n * m)).map { x[($0 % m) * n + $0 / m] })
    }
}
