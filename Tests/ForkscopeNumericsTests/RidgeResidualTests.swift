import Foundation
import Testing
@testable import ForkscopeNumerics

@Suite("RidgeResidual")
struct RidgeResidualTests {
    typealias K = NumericsKit

    /// One feature f = 0, 1, 2, 3 and one response y = 1, 3, 2, 6, with λ = 0.25 · 4 = 1.
    /// Standardised (population std √1.25): φ = (f − 1.5)/√1.25, so ΦᵀΦ = 4; ȳ = 3,
    /// yc = (−2, 0, −1, 3), Φᵀyc = 7/√1.25, B = 7/(5√1.25), and the residual is
    /// yc − φB = yc − 1.12 (f − 1.5) = (−0.32, 0.56, −1.56, 1.32).
    /// A constant second feature carries no information: it is dropped, not divided by 0.
    @Test("a small case solved by hand", arguments: [false, true])
    func byHand(withConstantFeature: Bool) {
        let f = K.matrix([0, 1, 2, 3].map { withConstantFeature ? [$0, 7] : [$0] })
        let y = K.matrix([[1], [3], [2], [6]])
        let ridge = RidgeResidual(states: y, features: f, penaltyPerRow: 0.25)
        #expect(ridge.kept == [0])
        let r = ridge.residuals(states: y, features: f)
        #expect(K.close(r.storage, [-0.32, 0.56, -1.56, 1.32], 1e-14), "\(r.storage)")
        // Applied to a row it was not fitted on: 10 − 3 − 1.12 · (5 − 1.5) = 3.08.
        let fresh = ridge.residuals(states: K.matrix([[10]]), features: K.matrix([withConstantFeature ? [5, 7] : [5]]))
        #expect(K.close(fresh.storage, [3.08], 1e-14), "\(fresh.storage)")
    }

    /// The closed form B = (ΦᵀΦ + λI)⁻¹ΦᵀXc with Φ standardised on the fit rows, in the test's
    /// own arithmetic, fitted on some rows and applied to others.
    @Test("matches the closed form", arguments: [(40, 5, 3, 1e-3), (12, 9, 4, 0.5), (7, 10, 3, 1e-3)])
    func closedForm(shape: (Int, Int, Int, Double)) {
        let (n, q, d, penalty) = shape
        let f = K.gaussian(rows: n + 3, cols: q, seed: UInt64(n * 100 + q))
        let x = K.sum(K.gaussian(rows: n + 3, cols: d, seed: UInt64(n * 100 + q + 1)),
                      K.product(f, K.gaussian(rows: q, cols: d, seed: 9)), scale: 2)
        let fitRows = Array(0..<n)
        let ridge = RidgeResidual(states: x.selectingRows(fitRows), features: f.selectingRows(fitRows), penaltyPerRow: penalty)

        // Standardise with the fit rows' mean and population std.
        var phi = f
        for c in 0..<q {
            let column = fitRows.map { f[$0, c] }
            let mean = column.reduce(0, +) / Double(n)
            let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
            for r in 0..<phi.rows { phi[r, c] = (f[r, c] - mean) / std }
        }
        let phiFit = phi.selectingRows(fitRows)
        let xMean = x.selectingRows(fitRows).columnMeans()
        let xc = x.subtractingFromRows(xMean)
        let gram = K.sum(K.product(K.transpose(phiFit), phiFit), K.identity(q), scale: penalty * Double(n))
        let b = K.solve(gram, K.product(K.transpose(phiFit), xc.selectingRows(fitRows)))
        let want = K.sum(xc, K.product(phi, b), scale: -1)
        let got = ridge.residuals(states: x, features: f)
        let scale = x.storage.map(abs).max()!
        #expect(K.maxAbsDifference(got, want) <= 1e-10 * scale, "\(K.maxAbsDifference(got, want))")
    }

    /// With a vanishing penalty and more rows than features, the residuals are least-squares
    /// residuals: orthogonal to every (centred) feature on the fit rows, and centred.
    @Test("with a tiny penalty the residuals satisfy the normal equations")
    func normalEquations() {
        let f = K.gaussian(rows: 50, cols: 4, seed: 3)
        let x = K.sum(K.gaussian(rows: 50, cols: 3, seed: 4), K.product(f, K.gaussian(rows: 4, cols: 3, seed: 5)))
        let r = RidgeResidual(states: x, features: f, penaltyPerRow: 1e-14).residuals(states: x, features: f)
        let cross = K.product(K.transpose(K.centred(f)), r)
        #expect(cross.storage.allSatisfy { abs($0) <= 1e-9 }, "\(cross.storage)")
        #expect(r.columnMeans().allSatisfy { abs($0) <= 1e-12 })
    }

    @Test("no usable feature (all constant): the residual is the centred states")
    func allFeaturesConstant() {
        let x = K.matrix([[1, 2], [3, 5], [8, 2]])
        let ridge = RidgeResidual(states: x, features: Matrix(rows: 3, cols: 2, repeating: 4))
        #expect(ridge.kept.isEmpty)
        #expect(ridge.residuals(states: x, features: Matrix(rows: 3, cols: 2, repeating: 4)) == x.subtractingFromRows(x.columnMeans()))
    }

    /// The single-response solver behind the position probe: primal (d ≤ n) and dual (n < d)
    /// forms of w = (XᵀX + λI)⁻¹Xᵀy, against the test's own solve of the primal system.
    @Test("solveVector: primal and dual forms against the closed form", arguments: [(30, 5), (6, 20), (10, 10)])
    func solveVector(shape: (Int, Int)) {
        let (n, d) = shape
        let x = K.gaussian(rows: n, cols: d, seed: UInt64(n * 31 + d))
        let y = K.gaussian(rows: n, cols: 1, seed: UInt64(n * 31 + d + 1)).storage
        for penalty in [0.1, 100.0] {
            let got = RidgeResidual.solveVector(x, y, penalty: penalty)
            let gram = K.sum(K.product(K.transpose(x), x), K.identity(d), scale: penalty)
            let want = K.solve(gram, K.product(K.transpose(x), Matrix(rows: n, cols: 1, storage: y))).storage
            #expect(K.close(got, want, 1e-10), "λ \(penalty): \(got) vs \(want)")
        }
    }
}
