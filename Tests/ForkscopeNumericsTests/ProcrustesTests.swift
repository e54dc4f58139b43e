import Foundation
import Testing
@testable import ForkscopeNumerics

/// Orthogonal Procrustes (Sources/ForkscopeNumerics/Procrustes.swift).
@Suite("Procrustes")
struct ProcrustesTests {
    typealias K = NumericsKit

    /// scipy.linalg.orthogonal_procrustes on centred layouts (Tests/Fixtures/umap_reference.py).
    @Test func matchesScipy() throws {
        let p = try UMAPKit.reference().procrustes
        let moving = K.matrix(p.moving), target = K.matrix(p.target)
        let fit = Procrustes(moving: moving, target: target)
        let rotation = K.matrix(p.rotation)
        #expect(K.maxAbsDifference(fit.rotation, rotation) < 1e-9, "rotation \(fit.rotation.storage) vs scipy \(p.rotation)")
        #expect(K.maxAbsDifference(fit.apply(moving), K.matrix(p.aligned)) < 1e-9)
        // The target is a noisy copy: the fit is close but not exact, and no other orthogonal map does better.
        let residual = K.frobenius(K.sum(fit.apply(moving), target, scale: -1))
        #expect(residual > 0.01)
        for angle in stride(from: 0.0, to: 2 * Double.pi, by: 0.05) {
            for reflect in [1.0, -1.0] {
                let r = K.matrix([[cos(angle), sin(angle)], [-reflect * sin(angle), reflect * cos(angle)]])
                let other = K.sum(K.product(moving.subtractingFromRows(fit.movingMean), r).subtractingFromRows(fit.targetMean.map { -$0 }), target, scale: -1)
                #expect(K.frobenius(other) >= residual - 1e-12)
            }
        }
    }

    /// target = moving · Q + t with Q orthogonal (a rotation times a reflection, det −1): Procrustes
    /// recovers Q and t exactly, and applies them to rows it was not fitted on.
    @Test("an exactly rotated, reflected and translated copy is recovered", arguments: [2, 3])
    func recoversAnExactTransform(dims: Int) {
        let moving = K.gaussian(rows: 25, cols: dims, seed: UInt64(dims))
        // Q: the orthonormal basis of a random matrix, with its first column negated if needed for det −1.
        var q = K.orthonormalColumns(K.gaussian(rows: dims, cols: dims, seed: 100))
        if Self.determinant(q) > 0 { for i in 0..<dims { q[i, 0] = -q[i, 0] } }
        #expect(abs(Self.determinant(q) + 1) < 1e-12)
        let shift = (0..<dims).map { Double($0) * 3 - 7.5 }
        func transform(_ x: Matrix) -> Matrix { K.product(x, q).subtractingFromRows(shift.map { -$0 }) }
        let target = transform(moving)
        let fit = Procrustes(moving: moving, target: target)
        #expect(K.maxAbsDifference(fit.rotation, q) < 1e-12, "rotation \(fit.rotation.storage) vs \(q.storage)")
        #expect(K.maxAbsDifference(fit.apply(moving), target) < 1e-12)
        let fresh = K.gaussian(rows: 5, cols: dims, seed: 55)
        #expect(K.maxAbsDifference(fit.apply(fresh), transform(fresh)) < 1e-12)
        // Orthogonal.
        #expect(K.maxAbsDifference(K.product(K.transpose(fit.rotation), fit.rotation), K.identity(dims)) < 1e-12)
    }

    static func determinant(_ m: Matrix) -> Double {
        switch m.rows {
        case 2: return m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
        case 3: return m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1]) - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0])
        default: preconditionFailure("2 x 2 or 3 x 3 only")
        }
    }

    /// A single repeated point has no spread to align: translate only.
    @Test func noSpreadTranslatesOnly() {
        let moving = K.matrix([[1, 2], [1, 2], [1, 2]]), target = K.matrix([[5, -1], [5, -1], [5, -1]])
        let fit = Procrustes(moving: moving, target: target)
        #expect(fit.rotation == K.identity(2))
        #expect(fit.apply(K.matrix([[2, 2]])) == K.matrix([[6, -1]]))
    }

    /// Collinear layouts (all spread along one line) still have a rotation that aligns them, which
    /// scipy's orthogonal_procrustes finds (R = [[0, 1], [−1, 0]] here, exact fit), although the
    /// cross-covariance then has an exactly zero singular value.
    @Test("collinear layouts are rotated", arguments: [
        // points on the x-axis turned by 90° onto the y-axis
        ([[-2.0, 0], [-1, 0], [0.5, 0], [3, 0]], [[0.0, -2], [0, -1], [0, 0.5], [0, 3]]),
        // two shared points, a horizontal pair onto a vertical pair
        ([[1.0, 2], [3, 2]], [[0.0, 0], [0, 2]]),
    ])
    func collinearLayoutsAreRotated(moving: [[Double]], target: [[Double]]) {
        let fit = Procrustes(moving: K.matrix(moving), target: K.matrix(target))
        let error = K.maxAbsDifference(fit.apply(K.matrix(moving)), K.matrix(target))
        #expect(error < 1e-12, "largest error \(error), rotation \(fit.rotation.storage)")
    }

    /// Two shared points in general position are aligned exactly (the direction between them).
    @Test func twoPointsInGeneralPosition() {
        let moving = K.matrix([[0.3, 0.7], [1.9, -0.4]]), target = K.matrix([[5.0, 1], [4.2, 2.3]])
        let fit = Procrustes(moving: moving, target: target)
        let aligned = fit.apply(moving)
        // Same length? No: a rigid map cannot stretch, so only the midpoint and direction match.
        let mid = [(aligned[0, 0] + aligned[1, 0]) / 2, (aligned[0, 1] + aligned[1, 1]) / 2]
        #expect(K.close(mid, [4.6, 1.65], 1e-12))
        let a = [aligned[1, 0] - aligned[0, 0], aligned[1, 1] - aligned[0, 1]], t = [-0.8, 1.3]
        #expect(abs(K.dot(a, t) / (K.norm(a) * K.norm(t)) - 1) < 1e-12, "direction \(a) vs \(t)")
    }
}
