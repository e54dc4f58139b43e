import CLapack

/// The top eigenpairs of symmetric matrices: a block Krylov method (below) where only a few are
/// wanted of a large matrix, else LAPACK's `dsyevr` (MRRR), which computes a selected index range
/// of eigenpairs but first reduces the whole matrix to tridiagonal form (about half a second at
/// d = 2,048, twice per layer of a build).
public enum SymmetricEigen {
    /// The `count` largest eigenvalues (descending) and their unit eigenvectors (one per row of
    /// `vectors`, so `vectors` is count x n) of the symmetric n x n matrix `a` (upper triangle read).
    public static func largest(_ count: Int, of a: Matrix) -> (values: [Double], vectors: Matrix) {
        if a.rows >= krylovThreshold, count <= krylovBlock / 2, let found = blockKrylov(count, of: a) { return found }
        return tridiagonal(count, of: a)
    }

    /// From this size up, `largest` tries the block Krylov method first.
    static let krylovThreshold = 256

    /// Vectors per Krylov block: a top eigenvalue repeated up to this many times is still found
    /// in full (single-vector Lanczos sees one direction of a repeated eigenvalue's space), and
    /// each pass over the matrix serves this many vectors (BLAS-3 `dsymm`).
    static let krylovBlock = 8

    /// Every Ritz pair is accepted when ‖A y − θ y‖ ≤ this times the largest |θ|: the eigenvalue is
    /// then exact to (that)²·‖A‖/gap and the vector's angle to that/gap (Parlett, *The Symmetric
    /// Eigenvalue Problem*, Theorem 11.7.1 and §11.5), far below what PCA's ratios and scores show.
    static let krylovTolerance = 1e-12

    /// Block Krylov with Rayleigh–Ritz (the block Lanczos method with full reorthogonalisation,
    /// Golub & Van Loan, *Matrix Computations*, §10.3.6): an orthonormal basis Q of
    /// span{V, AV, A²V, …} from a fixed pseudo-random n × b start V, one `dsymm` per block; the top
    /// eigenpairs of QᵀAQ give Ritz pairs whose residuals are computed, not estimated. Nil when they
    /// do not converge within `maxBlocks` blocks or the space closes (e.g. a matrix of rank below
    /// `count`): `largest` then takes the tridiagonal route.
    static func blockKrylov(_ k: Int, of a: Matrix, maxBlocks: Int = 40) -> (values: [Double], vectors: Matrix)? {
        let n = a.rows, b = krylovBlock
        let blocks = min(maxBlocks, n / b)
        guard k > 0, blocks >= 2 else { return nil }
        // Q and AQ by rows: row r of `q` is basis vector r.
        var q = [Double](), aq = [Double]()
        q.reserveCapacity(blocks * b * n); aq.reserveCapacity(blocks * b * n)
        var rng = RandomStream(seed: 0x5CA7_7E12, UInt64(n))
        var next = (0..<(b * n)).map { _ in rng.normal() }
        let scale = a.storage.withUnsafeBufferPointer { cblas_dnrm2(Int32(n * n), $0.baseAddress!, 1) }
        guard scale > 0 else { return nil }
        for _ in 0..<blocks {
            // Orthonormalise the new block against Q, then within itself, twice ("twice is
            // enough", Parlett §6.9).
            let m = q.count / n
            for r in 0..<b {
                let norm = (0..<n).reduce(0.0) { $0 + next[r * n + $1] * next[r * n + $1] }.squareRoot()
                guard norm > 0 else { return nil }
                for i in 0..<n { next[r * n + i] /= norm }
            }
            // Unit rows: a direction that falls below 1e-10 of itself is the space closing.
            for _ in 0..<2 {
                if m > 0 {
                    var c = [Double](repeating: 0, count: b * m)
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(b), Int32(m), Int32(n), 1, next, Int32(n), q, Int32(n),
                                0, &c, Int32(m))
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(b), Int32(n), Int32(m), -1, c, Int32(m), q, Int32(n),
                                1, &next, Int32(n))
                }
                for r in 0..<b {
                    for p in 0..<r {
                        let overlap = (0..<n).reduce(0.0) { $0 + next[r * n + $1] * next[p * n + $1] }
                        for i in 0..<n { next[r * n + i] -= overlap * next[p * n + i] }
                    }
                    let norm = (0..<n).reduce(0.0) { $0 + next[r * n + $1] * next[r * n + $1] }.squareRoot()
                    guard norm > 1e-10 else { return nil }
                    for i in 0..<n { next[r * n + i] /= norm }
                }
            }
            // AV by rows: (A Vᵀ)ᵀ = V A, A symmetric.
            var product = [Double](repeating: 0, count: b * n)
            a.storage.withUnsafeBufferPointer { aa in
                cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, Int32(b), Int32(n), 1, aa.baseAddress!, Int32(n), next, Int32(n),
                            0, &product, Int32(n))
            }
            q += next; aq += product
            let size = q.count / n
            guard size >= 2 * k else { next = product; continue }
            // Rayleigh–Ritz: H = Q (AQ)ᵀ, symmetric up to rounding; its top k eigenpairs.
            var h = [Double](repeating: 0, count: size * size)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(size), Int32(size), Int32(n), 1, q, Int32(n), aq, Int32(n),
                        0, &h, Int32(size))
            for r in 0..<size { for c in r..<size { h[r * size + c] = (h[r * size + c] + h[c * size + r]) / 2 } }
            let (theta, s) = tridiagonal(k, of: Matrix(rows: size, cols: size, storage: h))
            // Ritz vectors Y = S Q and residuals ‖S·AQ − Θ·S·Q‖ row by row.
            var y = Matrix(rows: k, cols: n), ay = [Double](repeating: 0, count: k * n)
            y.storage.withUnsafeMutableBufferPointer { out in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(n), Int32(size), 1, s.storage, Int32(size),
                            q, Int32(n), 0, out.baseAddress!, Int32(n))
            }
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(n), Int32(size), 1, s.storage, Int32(size),
                        aq, Int32(n), 0, &ay, Int32(n))
            let largest = theta.map(abs).max() ?? 0
            let converged = (0..<k).allSatisfy { j in
                (0..<n).reduce(0.0) { let e = ay[j * n + $1] - theta[j] * y[j, $1]; return $0 + e * e }.squareRoot()
                    <= krylovTolerance * max(largest, scale * 1e-3)
            }
            if converged { return (theta, y) }
            next = product
        }
        return nil
    }

    /// Every eigenvalue (ascending) and unit eigenvector (row i of `vectors` for `values[i]`) of the
    /// symmetric matrix `a` (upper triangle read), by LAPACK's `dsyevd` (divide and conquer).
    public static func all(of a: Matrix) -> (values: [Double], vectors: Matrix) {
        let n = a.rows
        precondition(a.cols == n, "matrix is not square")
        guard n > 0 else { return ([], Matrix(rows: 0, cols: 0)) }
        // Row-major upper is column-major lower: LAPACK reads it as it is, and returns the
        // eigenvectors as columns of a column-major matrix, i.e. as rows of a row-major one.
        var z = a.storage
        var values = [Double](repeating: 0, count: n)
        let info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n), &z, Int32(n), &values)
        precondition(info == 0, "LAPACKE_dsyevd failed with info \(info)")
        return (values, Matrix(rows: n, cols: n, storage: z))
    }

    /// `largest` by LAPACK's `dsyevr`.
    static func tridiagonal(_ count: Int, of a: Matrix) -> (values: [Double], vectors: Matrix) {
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
