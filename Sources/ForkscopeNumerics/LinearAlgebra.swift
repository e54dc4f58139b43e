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

/// Thin singular value decomposition X = U·diag(S)·Vᵀ through LAPACK `dgesdd` (divide and conquer),
/// truncated to the numerical rank: singular values above `relativeTolerance` times the largest.
public struct ThinSVD: Sendable {
    /// n x r
    public let u: Matrix
    /// r values, descending
    public let s: [Double]
    /// d x r (columns are right singular vectors)
    public let v: Matrix

    public var rank: Int { s.count }

    /// - Parameters:
    ///   - relativeTolerance: singular values at most this times the largest are dropped (a negative
    ///     value, with a negative `absoluteFloor`, keeps zeros too).
    ///   - absoluteFloor: singular values at most this are dropped too (for a matrix that may be
    ///     all rounding noise, whose largest value is then no yardstick).
    public init(_ x: Matrix, relativeTolerance: Double = 1e-10, absoluteFloor: Double = 0) {
        let n = x.rows, d = x.cols, m = min(n, d)
        guard m > 0 else {
            u = Matrix(rows: n, cols: 0); s = []; v = Matrix(rows: d, cols: 0)
            return
        }
        var a = x.storage
        var values = [Double](repeating: 0, count: m)
        var uu = [Double](repeating: 0, count: n * m)
        var vt = [Double](repeating: 0, count: m * d)
        let info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(n), Int32(d), &a, Int32(d),
                                  &values, &uu, Int32(m), &vt, Int32(d))
        precondition(info == 0, "LAPACKE_dgesdd failed with info \(info)")
        let largest = values.first ?? 0
        let r = largest > 0 ? values.prefix { $0 > relativeTolerance * largest && $0 > absoluteFloor }.count : 0
        var u = Matrix(rows: n, cols: r), v = Matrix(rows: d, cols: r)
        for i in 0..<n { for j in 0..<r { u[i, j] = uu[i * m + j] } }
        for j in 0..<r { for c in 0..<d { v[c, j] = vt[j * d + c] } }
        self.u = u
        self.s = Array(values.prefix(r))
        self.v = v
    }
}

/// Solutions of symmetric positive definite systems through LAPACK `dposv` (Cholesky).
public enum PositiveDefinite {
    /// X with A·X = B for symmetric positive definite A (n x n; only its upper triangle is read)
    /// and B (n x m).
    public static func solve(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.rows == a.cols && a.rows == b.rows)
        // A row-major upper triangle is a column-major lower one: LAPACK takes A as it is,
        // where a row-major call would have LAPACKE transpose all n² of it first. B goes over
        // column by column (no copy for one column).
        let n = b.rows, m = b.cols
        var a = a.storage
        var x = m == 1 ? b.storage : (0..<(n * m)).map { b.storage[($0 % n) * m + $0 / n] }
        let info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(m),
                                      &a, Int32(max(n, 1)), &x, Int32(max(n, 1)))
        precondition(info == 0, "LAPACKE_dposv failed with info \(info): matrix not positive definite")
        return Matrix(rows: n, cols: m, storage: m == 1 ? x : (0..<(n * m)).map { x[($0 % m) * n + $0 / m] })
    }
}

/// OpenBLAS's own thread pool. A build runs layers on several threads at once, each calling BLAS
/// single-threaded: small per-layer products parallelise better across layers than inside one,
/// where the pool's start-up and spinning cost more than the work.
public enum BLASThreads {
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(count)) }
}
