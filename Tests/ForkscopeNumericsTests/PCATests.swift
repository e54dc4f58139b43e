import Foundation
import Testing
import ForkscopeNumerics

@Suite("PCA")
struct PCATests {
    typealias K = NumericsKit

    // MARK: hand-derived cases

    /// Points c + k·(3, 4): one axis (0.6, 0.8), scores 5·(k - mean k), all variance on PC1.
    @Test("points on a line", arguments: [0, 4])
    func pointsOnALine(extraColumns: Int) {
        let ks: [Double] = [-2, -1, 0, 1, 5, 3]
        let meanK = ks.reduce(0, +) / Double(ks.count)
        let x = K.padded(K.matrix(ks.map { [1 + 3 * $0, -3 + 4 * $0] }), extra: extraColumns)
        let fit = PCA(fitting: x, components: 2)
        #expect(K.close(fit.explainedVarianceRatio, [1, 0], 1e-12))
        let pc1 = K.rowArray(fit.components, 0)
        #expect(K.close(pc1, [0.6, 0.8] + Array(repeating: 0, count: extraColumns), 1e-12), "pc1 \(pc1)")
        #expect(K.rowArray(fit.components, 1).allSatisfy { $0 == 0 }, "zero-variance axis must be a zero vector")
        for (i, k) in ks.enumerated() {
            #expect(K.close(fit.scores[i, 0], 5 * (k - meanK), 1e-12), "score of row \(i)")
            #expect(fit.scores[i, 1] == 0)
        }
        #expect(K.close(fit.mean, [1 + 3 * meanK, -3 + 4 * meanK] + Array(repeating: 0, count: extraColumns)))
    }

    /// Eight points on an ellipse with semi-axes 3 and 1 rotated by 30°: Σcos² = Σsin² = 4 and
    /// Σcos·sin = 0, so the variances are 9·4 and 1·4 (shares 0.9 and 0.1), the axes are the rotated
    /// unit vectors and the scores are (3cosθ, sinθ).
    /// Embedded in dimensions (3, 7) of a 10-dimensional space, the 8 points use the Gram path;
    /// in the plane itself, the covariance path.
    @Test("points on an ellipse with known axes", arguments: [false, true])
    func ellipse(embedded: Bool) {
        let phi = Double.pi / 6, c = cos(phi), s = sin(phi)
        let d = embedded ? 10 : 2
        let (i0, i1) = embedded ? (3, 7) : (0, 1)
        var base = [Double](repeating: 0, count: d)
        for j in 0..<d { base[j] = Double(j) * 1.25 - 4 }
        var rows = [[Double]]()
        var thetas = [Double]()
        for k in 0..<8 {
            let t = 2 * Double.pi * Double(k) / 8
            thetas.append(t)
            let (a, b) = (3 * cos(t), sin(t))
            var r = base
            r[i0] += a * c - b * s
            r[i1] += a * s + b * c
            rows.append(r)
        }
        let fit = PCA(fitting: K.matrix(rows), components: 2)
        #expect(K.close(fit.explainedVarianceRatio, [0.9, 0.1], 1e-12), "\(fit.explainedVarianceRatio)")
        var axis1 = [Double](repeating: 0, count: d), axis2 = axis1
        axis1[i0] = c; axis1[i1] = s      // largest entry cos 30° > 0: kept
        axis2[i0] = -s; axis2[i1] = c     // largest entry cos 30° > 0: kept
        #expect(K.close(K.rowArray(fit.components, 0), axis1, 1e-12))
        #expect(K.close(K.rowArray(fit.components, 1), axis2, 1e-12))
        for (i, t) in thetas.enumerated() {
            #expect(abs(fit.scores[i, 0] - 3 * cos(t)) < 1e-12, "pc1 of point \(i)")
            #expect(abs(fit.scores[i, 1] - sin(t)) < 1e-12, "pc2 of point \(i)")
        }
        #expect(K.close(fit.mean, base, 1e-12))
    }

    // MARK: sign convention

    /// A line along (3, -4)/5: the largest-magnitude entry is negative, so the axis is flipped to
    /// (-0.6, 0.8) and the scores become -5·(k - mean k).
    @Test("sign: largest entry made positive", arguments: [0, 3])
    func signFlipsNegativeLargestEntry(extraColumns: Int) {
        let ks: [Double] = [0, 1, 2, 7]
        let meanK = ks.reduce(0, +) / Double(ks.count)
        let x = K.padded(K.matrix(ks.map { [3 * $0, -4 * $0] }), extra: extraColumns)
        let fit = PCA(fitting: x, components: 1)
        #expect(K.close(K.rowArray(fit.components, 0), [-0.6, 0.8] + Array(repeating: 0, count: extraColumns), 1e-12))
        for (i, k) in ks.enumerated() {
            #expect(K.close(fit.scores[i, 0], -5 * (k - meanK), 1e-12))
        }
        // The same data negated spans the same line: the same axis, negated scores.
        var negated = x
        negated.storage = x.storage.map { -$0 }
        let fit2 = PCA(fitting: negated, components: 1)
        #expect(K.close(K.rowArray(fit2.components, 0), K.rowArray(fit.components, 0), 1e-12))
        for i in ks.indices { #expect(K.close(fit2.scores[i, 0], -fit.scores[i, 0], 1e-12)) }
    }

    /// Every axis of random data obeys the rule: its largest-|entry| is positive.
    @Test("sign: holds for every axis of random data", arguments: [(9, 4), (4, 9)])
    func signRuleOnRandomData(shape: (Int, Int)) {
        let x = K.random(rows: shape.0, cols: shape.1, seed: UInt64(shape.0 * 100 + shape.1))
        let fit = PCA(fitting: x, components: 3)
        for j in 0..<3 {
            let v = K.rowArray(fit.components, j)
            let k = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
            #expect(v[k] > 0, "axis \(j) = \(v)")
        }
    }

    /// A line along (1, -1): both entries have the same magnitude, so the first one is made positive.
    @Test("sign: first entry wins a tie", arguments: [0, 2])
    func signTieGoesToFirstEntry(extraColumns: Int) {
        let x = K.padded(K.matrix([[0, 0], [1, -1], [2, -2], [-3, 3]]), extra: extraColumns)
        let fit = PCA(fitting: x, components: 1)
        let v = K.rowArray(fit.components, 0)
        #expect(v[0] > 0 && v[1] < 0, "axis \(v)")
        #expect(K.close(v[0], Double(0.5).squareRoot(), 1e-12) && K.close(v[1], -Double(0.5).squareRoot(), 1e-12))
    }

    // MARK: both code paths

    /// The same points with zero columns appended: n > d uses the covariance, n <= d the Gram matrix.
    /// The fits must agree (padding changes nothing but the extra zero entries).
    @Test("covariance and Gram paths agree", arguments: [(6, 4, UInt64(1)), (12, 5, UInt64(2)), (9, 8, UInt64(3))])
    func pathsAgree(shape: (Int, Int, UInt64)) {
        let (n, d, seed) = shape
        let x = K.random(rows: n, cols: d, seed: seed, scale: 3)
        let extra = n - d + 2           // now n <= d + extra
        let cov = PCA(fitting: x, components: 3)
        let gram = PCA(fitting: K.padded(x, extra: extra), components: 3)
        #expect(K.close(cov.explainedVarianceRatio, gram.explainedVarianceRatio, 1e-11))
        let scale = cov.scores.storage.map(abs).max()!
        for i in 0..<n {
            for j in 0..<3 {
                #expect(abs(cov.scores[i, j] - gram.scores[i, j]) <= 1e-10 * scale, "score [\(i), \(j)]")
            }
        }
        for j in 0..<3 {
            let a = K.rowArray(cov.components, j), b = K.rowArray(gram.components, j)
            #expect(K.close(Array(b.prefix(d)), a, 1e-10), "axis \(j)")
            #expect(b.suffix(extra).allSatisfy { abs($0) < 1e-12 }, "axis \(j) leaks into padding")
        }
    }

    // MARK: general properties

    /// Unit, orthogonal axes; shares descending and equal to Σ score² / total.
    @Test("axes are orthonormal and shares are the scores' variance", arguments: [(20, 6), (5, 30)])
    func orthonormalAndShares(shape: (Int, Int)) {
        let x = K.random(rows: shape.0, cols: shape.1, seed: UInt64(shape.0 + 7 * shape.1))
        let fit = PCA(fitting: x, components: 3)
        let total = x.subtractingFromRows(x.columnMeans()).sumOfSquares
        for j in 0..<3 {
            let v = K.rowArray(fit.components, j)
            #expect(abs(K.norm(v) - 1) < 1e-12)
            for k in 0..<j { #expect(abs(K.dot(v, K.rowArray(fit.components, k))) < 1e-10) }
            let ss = (0..<shape.0).reduce(0) { $0 + fit.scores[$1, j] * fit.scores[$1, j] }
            #expect(K.close(ss / total, fit.explainedVarianceRatio[j], 1e-10))
        }
        let r = fit.explainedVarianceRatio
        #expect(r[0] >= r[1] && r[1] >= r[2] && r.reduce(0, +) <= 1 + 1e-12)
    }

    /// 4 points in 6 dimensions: the centred data have rank 3, so a 4th requested component has no
    /// variance (zero vector, zero scores), the first 3 explain everything and reconstruct the data.
    @Test func rankDeficientFewerPointsThanDimensions() {
        let x = K.random(rows: 4, cols: 6, seed: 99, scale: 2)
        let fit = PCA(fitting: x, components: 4)
        #expect(fit.components.rows == 4 && fit.scores.cols == 4)
        #expect(abs(fit.explainedVarianceRatio.prefix(3).reduce(0, +) - 1) < 1e-12)
        #expect(fit.explainedVarianceRatio[3] == 0)
        #expect(K.rowArray(fit.components, 3).allSatisfy { $0 == 0 })
        for i in 0..<4 {
            #expect(fit.scores[i, 3] == 0)
            for c in 0..<6 {
                let rebuilt = fit.mean[c] + (0..<3).reduce(0) { $0 + fit.scores[i, $1] * fit.components[$1, c] }
                #expect(abs(rebuilt - x[i, c]) < 1e-12, "row \(i) col \(c)")
            }
        }
    }

    /// Two points: a single axis through them, scores ±half their distance.
    @Test func twoPoints() {
        let fit = PCA(fitting: K.matrix([[0, 0, 0], [2, -6, 3]]), components: 2)
        #expect(K.close(fit.explainedVarianceRatio, [1, 0]))
        #expect(K.close(K.rowArray(fit.components, 0), [-2.0 / 7, 6.0 / 7, -3.0 / 7], 1e-12))
        #expect(K.close([fit.scores[0, 0], fit.scores[1, 0]], [3.5, -3.5], 1e-12))
    }

    // MARK: degenerate input

    @Test("fewer than two rows: zero axes, zero scores", arguments: [0, 1])
    func tooFewRows(rows: Int) {
        let x = Matrix(rows: rows, cols: 3, repeating: 2.5)
        let fit = PCA(fitting: x, components: 2)
        #expect(fit.explainedVarianceRatio == [0, 0])
        #expect(fit.components.storage.allSatisfy { $0 == 0 })
        #expect(fit.scores.rows == rows && fit.scores.storage.allSatisfy { $0 == 0 })
    }

    /// Identical rows whose mean is exact: no variance at all.
    @Test func zeroVarianceExactMean() {
        let x = K.matrix(Array(repeating: [1, 2, -3], count: 4))
        let fit = PCA(fitting: x, components: 2)
        #expect(fit.explainedVarianceRatio == [0, 0])
        #expect(fit.components.storage.allSatisfy { $0 == 0 })
        #expect(fit.scores.storage.allSatisfy { $0 == 0 })
    }

    /// Identical rows whose floating-point mean is NOT exactly the row (e.g. three rows of 0.3 sum to
    /// 0.8999999999999999): the centred data are rounding noise (~1e-17), which is still "all tokens
    /// equal". The reference (Tests/Fixtures/reference.py, rank 0) gives coordinates 0 and explained
    /// variance [0, 0]; noise must not be reported as an axis explaining 100% of the variance.
    @Test("zero variance with an inexact mean", arguments: [(3, [0.3, 0.7, -1.1]), (5, [0.3, 0.7])])
    func zeroVarianceInexactMean(input: (Int, [Double])) {
        let (n, row) = input
        let x = K.matrix(Array(repeating: row, count: n))
        let fit = PCA(fitting: x, components: 2)
        #expect(fit.scores.storage.allSatisfy { abs($0) < 1e-12 })
        // Centring identical rows leaves rounding noise (~1e-32), which must not count as variance.
        #expect(fit.explainedVarianceRatio == [0, 0], "noise reported as variance")
    }
}
