import Foundation
import ForkscopeNumerics
import ForkscopeTestSupport

/// Helpers shared by the numerics tests (kept in one namespace so they cannot collide). Random
/// inputs come from `SeededGenerator` (ForkscopeTestSupport), so failures are reproducible.
enum NumericsKit {
    static func matrix(_ rows: [[Double]]) -> Matrix {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols })
        return Matrix(rows: rows.count, cols: cols, storage: rows.flatMap { $0 })
    }

    static func random(rows: Int, cols: Int, seed: UInt64, scale: Double = 1) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        return Matrix(rows: rows, cols: cols,
                      storage: (0..<(rows * cols)).map { _ in Double.random(in: -scale...scale, using: &rng) })
    }

    /// `|a - b| <= tol * max(1, |b|)`.
    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool {
        abs(a - b) <= tol * max(1, abs(b))
    }

    static func close(_ a: [Double], _ b: [Double], _ tol: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { close($0, $1, tol) }
    }

    static func rowArray(_ m: Matrix, _ r: Int) -> [Double] { Array(m.row(r)) }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    /// Appends `extra` zero columns to every row.
    static func padded(_ m: Matrix, extra: Int) -> Matrix {
        var out = [Double]()
        for r in 0..<m.rows { out += Array(m.row(r)) + Array(repeating: 0, count: extra) }
        return Matrix(rows: m.rows, cols: m.cols + extra, storage: out)
    }
    // MARK: - Naive linear algebra (independent of BLAS / LAPACK), for oracles

    static func gaussian(rows: Int, cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        var out = [Double]()
        while out.count < rows * cols {
            // Box-Muller
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
            let r = (-2 * log(u1)).squareRoot()
            out.append(r * cos(2 * .pi * u2))
            out.append(r * sin(2 * .pi * u2))
        }
        return Matrix(rows: rows, cols: cols, storage: Array(out.prefix(rows * cols)))
    }

    static func product(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.cols == b.rows)
        var out = Matrix(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows { for k in 0..<a.cols { let v = a[i, k]; if v == 0 { continue }
            for j in 0..<b.cols { out[i, j] += v * b[k, j] } } }
        return out
    }

    static func transpose(_ a: Matrix) -> Matrix {
        var out = Matrix(rows: a.cols, cols: a.rows)
        for i in 0..<a.rows { for j in 0..<a.cols { out[j, i] = a[i, j] } }
        return out
    }

    static func sum(_ a: Matrix, _ b: Matrix, scale: Double = 1) -> Matrix {
        Matrix(rows: a.rows, cols: a.cols, storage: zip(a.storage, b.storage).map { $0 + scale * $1 })
    }

    static func identity(_ n: Int) -> Matrix {
        var out = Matrix(rows: n, cols: n)
        for i in 0..<n { out[i, i] = 1 }
        return out
    }

    static func centred(_ a: Matrix) -> Matrix {
        var mean = [Double](repeating: 0, count: a.cols)
        for i in 0..<a.rows { for j in 0..<a.cols { mean[j] += a[i, j] / Double(a.rows) } }
        var out = a
        for i in 0..<a.rows { for j in 0..<a.cols { out[i, j] -= mean[j] } }
        return out
    }

    /// (1/n) Σ (aᵢ − ā)(bᵢ − b̄)ᵀ: a.cols x b.cols.
    static func crossCovariance(_ a: Matrix, _ b: Matrix) -> Matrix {
        let p = product(transpose(centred(a)), centred(b))
        return Matrix(rows: p.rows, cols: p.cols, storage: p.storage.map { $0 / Double(a.rows) })
    }

    /// Frobenius norm.
    static func frobenius(_ a: Matrix) -> Double { a.storage.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// X with A·X = B, Gauss-Jordan elimination with partial pivoting (A square, non-singular).
    static func solve(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.rows == a.cols && a.rows == b.rows)
        let n = a.rows, m = b.cols
        var a = a, x = b
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0, col]) < abs(a[$1, col]) }!
            precondition(a[pivot, col] != 0, "singular matrix")
            if pivot != col {
                for j in 0..<n { let t = a[col, j]; a[col, j] = a[pivot, j]; a[pivot, j] = t }
                for j in 0..<m { let t = x[col, j]; x[col, j] = x[pivot, j]; x[pivot, j] = t }
            }
            let d = a[col, col]
            for j in 0..<n { a[col, j] /= d }
            for j in 0..<m { x[col, j] /= d }
            for r in 0..<n where r != col {
                let f = a[r, col]
                if f == 0 { continue }
                for j in 0..<n { a[r, j] -= f * a[col, j] }
                for j in 0..<m { x[r, j] -= f * x[col, j] }
            }
        }
        return x
    }

    /// An orthonormal basis (as columns) of the column space of `a`: Gram-Schmidt, twice, dropping
    /// columns whose remainder is below `tolerance` times the largest column norm.
    static func orthonormalColumns(_ a: Matrix, tolerance: Double = 1e-9) -> Matrix {
        let largest = (0..<a.cols).map { j in norm((0..<a.rows).map { a[$0, j] }) }.max() ?? 0
        var basis = [[Double]]()
        for j in 0..<a.cols {
            var v = (0..<a.rows).map { a[$0, j] }
            for _ in 0..<2 {
                for q in basis { let c = dot(q, v); for i in v.indices { v[i] -= c * q[i] } }
            }
            let l = norm(v)
            if l > tolerance * largest && l > 0 { basis.append(v.map { $0 / l }) }
        }
        var out = Matrix(rows: a.rows, cols: basis.count)
        for (j, q) in basis.enumerated() { for i in 0..<a.rows { out[i, j] = q[i] } }
        return out
    }

    /// Mean over rows of the squared norm of `a − b`.
    static func meanSquaredDistance(_ a: Matrix, _ b: Matrix) -> Double {
        (0..<a.rows).reduce(0.0) { acc, i in acc + (0..<a.cols).reduce(0.0) { $0 + pow(a[i, $1] - b[i, $1], 2) } } / Double(a.rows)
    }

    static func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
        precondition(a.rows == b.rows && a.cols == b.cols)
        return zip(a.storage, b.storage).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// One-hot columns of the distinct values of `labels`, in ascending order of value.
    static func oneHot(_ labels: [Int]) -> Matrix {
        let values = Array(Set(labels)).sorted()
        var out = Matrix(rows: labels.count, cols: values.count)
        for (i, l) in labels.enumerated() { out[i, values.firstIndex(of: l)!] = 1 }
        return out
    }
}
