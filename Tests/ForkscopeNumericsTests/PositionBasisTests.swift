import Foundation
import Testing
import ForkscopeNumerics

@Suite("PositionBasis")
struct PositionBasisTests {
    typealias K = NumericsKit

    /// Degree 2, one Fourier pair, largest position 3: P = 4, u = p/4,
    /// φ(p) = [u, u², log(1+p)/log 5, sin(πp/2), cos(πp/2)].
    @Test("values at hand-computed positions")
    func byHand() {
        let basis = PositionBasis(degree: 2, fourier: 1, largestPosition: 3)
        #expect(basis.period == 4)
        #expect(basis.count == 5)
        let log5 = log(5.0)
        let want: [[Double]] = [
            [0, 0, 0, 0, 1],
            [0.25, 0.0625, log(2.0) / log5, 1, 0],
            [0.5, 0.25, log(3.0) / log5, 0, -1],
            [0.75, 0.5625, log(4.0) / log5, -1, 0],
            [1, 1, 1, 0, 1],                          // p = P: a full period, log term 1
        ]
        for (p, w) in want.enumerated() {
            #expect(K.close(basis.features(p), w, 1e-15), "φ(\(p)) = \(basis.features(p))")
        }
        let m = basis.matrix([3, 0, 3])
        #expect(m.rows == 3 && m.cols == 5)
        #expect(K.rowArray(m, 0) == basis.features(3) && K.rowArray(m, 1) == basis.features(0) && K.rowArray(m, 2) == basis.features(3))
    }

    /// The documented default, D = 3 and F = 4: 3 powers, the log term, 4 sine/cosine pairs.
    @Test("the default basis: powers, log, then sine and cosine for k = 1…F")
    func defaultLayout() {
        let basis = PositionBasis(largestPosition: 9)    // P = 10
        #expect(basis.count == 3 + 1 + 8)
        let p = 7, u = 0.7
        var want = [u, u * u, u * u * u, log(8.0) / log(11.0)]
        for k in 1...4 { want += [sin(2 * .pi * Double(k) * 0.7), cos(2 * .pi * Double(k) * 0.7)] }
        #expect(K.close(basis.features(p), want, 1e-14))
    }

    @Test("no Fourier terms, or no powers", arguments: [(0, 2), (3, 0)])
    func partialBases(shape: (Int, Int)) {
        let (fourier, degree) = shape
        let basis = PositionBasis(degree: degree, fourier: fourier, largestPosition: 4)
        #expect(basis.count == degree + 1 + 2 * fourier)
        #expect(basis.features(2).count == basis.count)
        // The log term follows the powers.
        #expect(K.close(basis.features(2)[degree], log(3.0) / log(6.0), 1e-15))
    }
}

@Suite("Standardizer")
struct StandardizerTests {
    typealias K = NumericsKit

    @Test("z-scores with the fit rows' mean and population std; constant columns are dropped and map to 0")
    func dropsConstantColumns() {
        // Columns: 1…4 (mean 2.5, std √1.25), constant 5, exactly constant 0.
        let x = K.matrix([[1, 5, 0], [2, 5, 0], [3, 5, 0], [4, 5, 0]])
        let s = Standardizer(fitting: x)
        #expect(s.mean == [2.5, 5, 0])
        #expect(s.keptColumns == [0])
        #expect(s.inverseScale[1] == 0 && s.inverseScale[2] == 0)
        #expect(K.close(s.inverseScale[0], 1 / Double(1.25).squareRoot(), 1e-15))
        let y = s.apply(K.matrix([[2.5, 9, -3], [5, 5, 0]]))
        #expect(y[0, 0] == 0 && K.close(y[1, 0], 2.5 / Double(1.25).squareRoot(), 1e-15))
        #expect(y[0, 1] == 0 && y[0, 2] == 0 && y[1, 1] == 0 && y[1, 2] == 0)
    }

    /// A column whose spread is rounding noise next to the others' is dropped too (relative floor 1e-12).
    @Test("columns of relatively negligible spread are dropped")
    func relativeFloor() {
        let x = K.matrix([[0, 1, 0.1], [10, 1 + 1e-14, 0.1], [20, 1, 0.2]])
        let s = Standardizer(fitting: x)
        #expect(s.keptColumns == [0, 2])
        // Everything constant: nothing kept.
        #expect(Standardizer(fitting: Matrix(rows: 3, cols: 2, repeating: 7)).keptColumns.isEmpty)
    }

    @Test("standardised fit rows have mean 0 and population std 1 in every kept column")
    func unitVariance() {
        let x = K.gaussian(rows: 25, cols: 4, seed: 8)
        let y = Standardizer(fitting: x).apply(x)
        for c in 0..<4 {
            let col = (0..<25).map { y[$0, c] }
            let mean = col.reduce(0, +) / 25
            let variance = col.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 25
            #expect(abs(mean) < 1e-14 && abs(variance - 1) < 1e-13)
        }
    }
}
