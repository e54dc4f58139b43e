import CLapack

/// The Lanczos method with full reorthogonalisation (Golub & Van Loan, Matrix Computations, §10.1)
/// for the largest eigenpairs of a symmetric operator, restricted to the complement of a known
/// unit vector.
enum Lanczos {
    /// Converged when ‖A y − θ y‖ < 1e-4 for every wanted pair: eigenvalues of D^{-1/2} A D^{-1/2} lie in
    /// [−1, 1], and umap-learn asks ARPACK for the same relative tolerance.
    static let tolerance = 1e-4

    /// Returns an n × count matrix of Ritz vectors, the largest residual ‖A y − θ y‖ among them, and
    /// the sum of the Ritz vectors as a restart vector; nil if the start vector is degenerate.
    static func largest(_ count: Int, operator apply: ([Double]) -> [Double], n: Int, start: [Double],
                        deflating u: [Double], maxSteps: Int) -> (Matrix, Double, [Double])? {
        // The basis is kept in Float: reorthogonalisation reads all of it at every step, and it
        // only has to hold orthogonality far below the 1e-4 tolerance.
        func orthogonalise(_ w: inout [Double], against basis: [Float], rows: Int) {
            let dotU = zip(w, u).reduce(0) { $0 + $1.0 * $1.1 }
            for i in 0..<n { w[i] -= dotU * u[i] }
            guard rows > 0 else { return }
            var c = [Float](repeating: 0, count: rows)
            var correction = [Float](repeating: 0, count: n)
            // Classical Gram–Schmidt, repeated only when it cancelled most of w (the DGKS criterion,
            // Daniel, Gragg, Kaufman & Stewart 1976; "twice is enough", Parlett).
            for pass in 0..<2 {
                let before = w.reduce(0) { $0 + $1 * $1 }
                let wf = w.map { Float($0) }
                basis.withUnsafeBufferPointer { b in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(n), 1, b.baseAddress!, Int32(n), wf, 1, 0, &c, 1)
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(n), 1, b.baseAddress!, Int32(n), c, 1, 0, &correction, 1)
                }
                for i in 0..<n { w[i] -= Double(correction[i]) }
                let after = w.reduce(0) { $0 + $1 * $1 }
                if pass == 0 && after > 0.5 * before { break }
            }
        }
        var v = start
        orthogonalise(&v, against: [], rows: 0)
        var beta = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard beta > 1e-300 else { return nil }
        v = v.map { $0 / beta }
        var basis = [Float]()  // rows of n
        var alphas = [Double](), betas = [Double]()
        var random = RandomStream(seed: 0x5EED, UInt64(n))
        for step in 0..<maxSteps {
            basis.append(contentsOf: v.lazy.map { Float($0) })
            var w = apply(v)
            let alpha = zip(w, v).reduce(0) { $0 + $1.0 * $1.1 }
            alphas.append(alpha)
            orthogonalise(&w, against: basis, rows: step + 1)
            beta = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let m = step + 1
            if beta < 1e-10 && m < maxSteps {
                // An invariant subspace (e.g. a repeated eigenvalue, as copies of one state give):
                // carry on from a fresh direction orthogonal to everything so far, with β = 0.
                var fresh = (0..<n).map { _ in random.normal() }
                orthogonalise(&fresh, against: basis, rows: m)
                let norm = fresh.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 1e-8 {
                    w = fresh.map { $0 / norm }
                    beta = 0
                }
            }
            let exhausted = m == maxSteps || (beta < 1e-10 && w.allSatisfy { abs($0) < 1e-8 })
            if m >= count && (m % 10 == 0 && beta > 0 || exhausted) {
                let s = largestOfTridiagonal(count, diagonal: alphas, offDiagonal: Array(betas.prefix(m - 1)))  // count x m
                let residual = (0..<count).map { abs(beta * s[$0, m - 1]) }.max() ?? 0
                if residual < tolerance || exhausted {
                    var y = Matrix(rows: n, cols: count)
                    var restart = [Double](repeating: 0, count: n)
                    basis.withUnsafeBufferPointer { b in
                        for a in 0..<count {
                            for r in 0..<m {
                                let coefficient = s[a, r]
                                for i in 0..<n { y[i, a] += coefficient * Double(b[r * n + i]) }
                            }
                            for i in 0..<n { restart[i] += y[i, a] }
                        }
                    }
                    // The Float basis leaves the Ritz vectors orthonormal to ~1e-8: restore it in
                    // Double (against the deflated vector, then each other).
                    for a in 0..<count {
                        var column = (0..<n).map { y[$0, a] }
                        orthogonalise(&column, against: [], rows: 0)
                        for b in 0..<a {
                            let overlap = (0..<n).reduce(0) { $0 + column[$1] * y[$1, b] }
                            for i in 0..<n { column[i] -= overlap * y[i, b] }
                        }
                        let norm = column.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        for i in 0..<n { y[i, a] = norm > 0 ? column[i] / norm : 0 }
                    }
                    return (y, residual, restart)
                }
            }
            if exhausted { break }
            betas.append(beta)
            v = beta > 0 ? w.map { $0 / beta } : w
        }
        return nil
    }
}

extension Lanczos {
    /// The unit eigenvectors (rows of a count × m matrix, largest eigenvalue first) of the symmetric
    /// tridiagonal matrix with this diagonal and off-diagonal, by LAPACK's `dstevr`.
    static func largestOfTridiagonal(_ count: Int, diagonal: [Double], offDiagonal: [Double]) -> Matrix {
        let m = diagonal.count
        var d = diagonal, e = offDiagonal + [0]
        var found: Int32 = 0
        var w = [Double](repeating: 0, count: m)
        var z = [Double](repeating: 0, count: m * count)
        var support = [Int32](repeating: 0, count: 2 * m)
        let info = LAPACKE_dstevr(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), Int32(m), &d, &e,
                                  0, 0, Int32(m - count + 1), Int32(m), 0, &found, &w, &z, Int32(count), &support)
        precondition(info == 0 && Int(found) == count, "LAPACKE_dstevr failed with info \(info)")
        // dstevr returns ascending eigenvalues in the columns of z.
        var vectors = Matrix(rows: count, cols: m)
        for a in 0..<count { for r in 0..<m { vectors[a, r] = z[r * count + (count - 1 - a)] } }
        return vectors
    }
}
