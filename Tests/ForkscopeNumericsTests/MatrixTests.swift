import Testing
import ForkscopeNumerics

@Suite("Matrix")
struct MatrixTests {
    let m = NumericsKit.matrix([[1, 2, 3], [4, 5, 6]])

    @Test func subscriptIsRowMajor() {
        #expect(m[0, 2] == 3)
        #expect(m[1, 0] == 4)
        #expect(Array(m.row(1)) == [4, 5, 6])
    }

    @Test func selectingRowsKeepsTheGivenOrder() {
        let s = m.selectingRows([1, 0, 1])
        #expect(s.rows == 3 && s.cols == 3)
        #expect(s.storage == [4, 5, 6, 1, 2, 3, 4, 5, 6])
        #expect(m.selectingRows([]).rows == 0)
    }

    @Test func columnMeansSubtractNormsAndSumOfSquares() {
        #expect(m.columnMeans() == [2.5, 3.5, 4.5])
        #expect(Matrix(rows: 0, cols: 3).columnMeans() == [0, 0, 0])
        let c = m.subtractingFromRows([1, 2, 3])
        #expect(c.storage == [0, 0, 0, 3, 3, 3])
        let n = NumericsKit.matrix([[3, 4], [0, 0], [-5, 12]]).rowNorms()
        #expect(n == [5, 0, 13])
        #expect(m.sumOfSquares == 91)
    }

    /// Naive upper triangle of A Aᵀ (i <= j).
    private func naiveGram(_ a: Matrix) -> [[Double]] {
        (0..<a.rows).map { i in (0..<a.rows).map { j in
            (0..<a.cols).reduce(0) { $0 + a[i, $1] * a[j, $1] }
        } }
    }

    /// Naive AᵀA.
    private func naiveCross(_ a: Matrix) -> [[Double]] {
        (0..<a.cols).map { i in (0..<a.cols).map { j in
            (0..<a.rows).reduce(0) { $0 + a[$1, i] * a[$1, j] }
        } }
    }

    @Test("gramUpper matches a naive loop on the upper triangle",
          arguments: [(1, 1), (2, 3), (5, 3), (4, 9), (7, 7)])
    func gramUpperMatchesNaive(shape: (Int, Int)) {
        let a = NumericsKit.random(rows: shape.0, cols: shape.1, seed: UInt64(shape.0 * 31 + shape.1))
        let g = a.gramUpper()
        let want = naiveGram(a)
        #expect(g.rows == a.rows && g.cols == a.rows)
        for i in 0..<a.rows {
            for j in i..<a.rows {
                #expect(NumericsKit.close(g[i, j], want[i][j], 1e-13), "entry [\(i), \(j)]")
            }
        }
    }

    @Test("crossProductUpper matches a naive loop on the upper triangle",
          arguments: [(1, 1), (3, 2), (5, 3), (4, 9), (7, 7)])
    func crossProductUpperMatchesNaive(shape: (Int, Int)) {
        let a = NumericsKit.random(rows: shape.0, cols: shape.1, seed: UInt64(shape.0 * 17 + shape.1 + 100))
        let g = a.crossProductUpper()
        let want = naiveCross(a)
        #expect(g.rows == a.cols && g.cols == a.cols)
        for i in 0..<a.cols {
            for j in i..<a.cols {
                #expect(NumericsKit.close(g[i, j], want[i][j], 1e-13), "entry [\(i), \(j)]")
            }
        }
    }

    @Test func gramAndCrossProductOfHandMatrix() {
        // A = [[1,2,3],[4,5,6]]: A Aᵀ = [[14,32],[32,77]], AᵀA = [[17,22,27],[22,29,36],[27,36,45]].
        let g = m.gramUpper()
        #expect(g[0, 0] == 14 && g[0, 1] == 32 && g[1, 1] == 77)
        let c = m.crossProductUpper()
        #expect([c[0, 0], c[0, 1], c[0, 2], c[1, 1], c[1, 2], c[2, 2]] == [17, 22, 27, 29, 36, 45])
    }

    @Test func emptyShapes() {
        let noRows = Matrix(rows: 0, cols: 3)
        #expect(noRows.gramUpper().rows == 0)
        let c = noRows.crossProductUpper()
        #expect(c.rows == 3 && c.storage.allSatisfy { $0 == 0 })
        let noCols = Matrix(rows: 2, cols: 0)
        let g = noCols.gramUpper()
        #expect(g.rows == 2 && g.storage.allSatisfy { $0 == 0 })
        #expect(noCols.crossProductUpper().rows == 0)
    }
}
