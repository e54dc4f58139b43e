import Testing
@testable import ForkscopeNumerics

@Suite("SymmetricEigen")
struct SymmetricEigenTests {
    /// |cos| of the angle between two vectors (eigenvectors are defined up to sign).
    private func alignment(_ a: [Double], _ b: [Double]) -> Double {
        abs(NumericsKit.dot(a, b)) / (NumericsKit.norm(a) * NumericsKit.norm(b))
    }

    @Test func twoByTwo() {
        // [[2,1],[1,2]]: eigenvalues 3 and 1, eigenvectors (1,1)/√2 and (1,-1)/√2.
        let a = NumericsKit.matrix([[2, 1], [1, 2]])
        let (values, vectors) = SymmetricEigen.largest(2, of: a)
        #expect(NumericsKit.close(values, [3, 1], 1e-14))
        #expect(vectors.rows == 2 && vectors.cols == 2)
        #expect(abs(alignment(NumericsKit.rowArray(vectors, 0), [1, 1]) - 1) < 1e-14)
        #expect(abs(alignment(NumericsKit.rowArray(vectors, 1), [1, -1]) - 1) < 1e-14)
    }

    @Test func threeByThreeTridiagonal() {
        // The second-difference matrix: eigenvalues 2+√2, 2, 2-√2 with eigenvectors
        // (1,-√2,1)/2, (1,0,-1)/√2, (1,√2,1)/2.
        let r2 = Double(2.0).squareRoot()
        let a = NumericsKit.matrix([[2, -1, 0], [-1, 2, -1], [0, -1, 2]])
        let (values, vectors) = SymmetricEigen.largest(3, of: a)
        #expect(NumericsKit.close(values, [2 + r2, 2, 2 - r2], 1e-14))
        let want: [[Double]] = [[1, -r2, 1], [1, 0, -1], [1, r2, 1]]
        for k in 0..<3 {
            let v = NumericsKit.rowArray(vectors, k)
            #expect(abs(NumericsKit.norm(v) - 1) < 1e-14, "vector \(k) is not unit")
            #expect(abs(alignment(v, want[k]) - 1) < 1e-13, "vector \(k) points the wrong way: \(v)")
        }
    }

    @Test func onlyTheLargestAreReturnedInDescendingOrder() {
        // Diagonal with unsorted entries: the top 2 are 7 and 5 with vectors e2 and e0.
        let a = NumericsKit.matrix([[5, 0, 0, 0], [0, -1, 0, 0], [0, 0, 7, 0], [0, 0, 0, 3]])
        let (values, vectors) = SymmetricEigen.largest(2, of: a)
        #expect(values == [7, 5])
        #expect(vectors.rows == 2 && vectors.cols == 4)
        #expect(abs(vectors[0, 2]) == 1 && abs(vectors[1, 0]) == 1)
    }

    @Test func countIsClampedToTheSize() {
        let a = NumericsKit.matrix([[4, 1], [1, 3]])
        let (values, vectors) = SymmetricEigen.largest(5, of: a)
        #expect(values.count == 2 && vectors.rows == 2)
        let (none, noVectors) = SymmetricEigen.largest(0, of: a)
        #expect(none.isEmpty && noVectors.rows == 0)
    }

    @Test func readsOnlyTheUpperTriangle() {
        let upper = NumericsKit.matrix([[2, -1, 0], [99, 2, -1], [-42, 7, 2]])
        let full = NumericsKit.matrix([[2, -1, 0], [-1, 2, -1], [0, -1, 2]])
        let (a, _) = SymmetricEigen.largest(3, of: upper)
        let (b, _) = SymmetricEigen.largest(3, of: full)
        #expect(NumericsKit.close(a, b, 1e-14))
    }

    @Test func eigenpairsSatisfyAvEqualsLambdaV() {
        // A random symmetric 6x6: check A v = λ v for the top 3.
        let b = NumericsKit.random(rows: 6, cols: 6, seed: 42)
        var a = Matrix(rows: 6, cols: 6)
        for i in 0..<6 { for j in 0..<6 { a[i, j] = b[i, j] + b[j, i] } }
        let (values, vectors) = SymmetricEigen.largest(3, of: a)
        #expect(values.count == 3)
        #expect(values[0] >= values[1] && values[1] >= values[2])
        for k in 0..<3 {
            let v = NumericsKit.rowArray(vectors, k)
            for i in 0..<6 {
                let av = (0..<6).reduce(0) { $0 + a[i, $1] * v[$1] }
                #expect(abs(av - values[k] * v[i]) < 1e-12, "row \(i) of pair \(k)")
            }
        }
        // Vectors of distinct eigenvalues are orthogonal.
        #expect(abs(NumericsKit.dot(NumericsKit.rowArray(vectors, 0), NumericsKit.rowArray(vectors, 1))) < 1e-12)
    }
}

/// The block Krylov route of `SymmetricEigen.largest` against the tridiagonal (`dsyevr`) one, on
/// matrices Q·diag(λ)·Qᵀ with a chosen spectrum.
@Suite("SymmetricEigen block Krylov")
struct SymmetricEigenKrylovTests {
    static func withSpectrum(_ lambda: [Double], seed: UInt64) -> (Matrix, Matrix) {
        let n = lambda.count
        let q = NumericsKit.orthonormalColumns(NumericsKit.gaussian(rows: n, cols: n, seed: seed))
        var a = Matrix(rows: n, cols: n)
        for i in 0..<n { for j in 0..<n { a[i, j] = (0..<n).reduce(0.0) { $0 + q[i, $1] * lambda[$1] * q[j, $1] } } }
        return (a, q)
    }

    /// A 1% gap at the top above a cluster, the rest spread below.
    @Test func clusteredSpectrumMatchesTheTridiagonalRoute() throws {
        let n = 300
        var lambda = (0..<n).map { Double(n - $0) / Double(n) }
        lambda[0] = 10; lambda[1] = 9.9
        for i in 2..<12 { lambda[i] = 9.8 - 0.01 * Double(i) }
        let (a, q) = Self.withSpectrum(lambda, seed: 7)
        let found = try #require(SymmetricEigen.blockKrylov(2, of: a))
        let reference = SymmetricEigen.tridiagonal(2, of: a)
        #expect(NumericsKit.close(found.values, [10, 9.9], 1e-12))
        #expect(NumericsKit.close(found.values, reference.values, 1e-12))
        for j in 0..<2 {
            let v = NumericsKit.rowArray(found.vectors, j), truth = (0..<n).map { q[$0, j] }
            #expect(abs(abs(NumericsKit.dot(v, truth)) - 1) < 1e-10)
            #expect(abs(NumericsKit.norm(v) - 1) < 1e-12)
        }
        #expect(abs(NumericsKit.dot(NumericsKit.rowArray(found.vectors, 0), NumericsKit.rowArray(found.vectors, 1))) < 1e-12)
    }

    /// A top eigenvalue repeated three times: single-vector Lanczos would see one direction of its
    /// space and report the next eigenvalue second; the block method finds two of it.
    @Test func repeatedTopEigenvalue() throws {
        let n = 280
        let lambda = (0..<n).map { i -> Double in i < 3 ? 5 : 4 * Double(n - i) / Double(n) }
        let (a, q) = Self.withSpectrum(lambda, seed: 11)
        let found = try #require(SymmetricEigen.blockKrylov(2, of: a))
        #expect(NumericsKit.close(found.values, [5, 5], 1e-12))
        // Each vector lies in the span of the first three columns of q.
        for j in 0..<2 {
            let v = NumericsKit.rowArray(found.vectors, j)
            let inside = (0..<3).reduce(0.0) { s, c in let p = (0..<n).reduce(0.0) { $0 + v[$1] * q[$1, c] }; return s + p * p }
            #expect(abs(inside - 1) < 1e-10)
        }
    }

    /// Rank one: the Krylov space closes before a second pair exists, so the method declines and
    /// `largest` answers by the tridiagonal route (second eigenvalue zero).
    @Test func rankBelowTheCountFallsBack() {
        let n = 260
        let u = NumericsKit.rowArray(NumericsKit.gaussian(rows: 1, cols: n, seed: 3), 0)
        var a = Matrix(rows: n, cols: n)
        for i in 0..<n { for j in 0..<n { a[i, j] = u[i] * u[j] } }
        #expect(SymmetricEigen.blockKrylov(2, of: a) == nil)
        let (values, _) = SymmetricEigen.largest(2, of: a)
        #expect(abs(values[0] - NumericsKit.dot(u, u)) < 1e-10 * NumericsKit.dot(u, u))
        #expect(abs(values[1]) < 1e-10 * NumericsKit.dot(u, u))
    }
}
