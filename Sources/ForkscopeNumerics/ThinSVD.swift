import CLapack

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
