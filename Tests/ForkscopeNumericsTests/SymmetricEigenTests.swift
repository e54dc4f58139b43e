import Testing
import ForkscopeNumerics

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
