import Foundation
import Testing
@testable import ForkscopeNumerics

/// LEACE (Belrose et al., 2023) checked against its guarantee rather than its formula: after
/// erasure the states' cross-covariance with the concept is zero, and no other affine erasure
/// of the concept changes the states less in mean squared norm.
@Suite("LEACE")
struct LEACETests {
    typealias K = NumericsKit

    /// A data set: states with a planted, anisotropic dependence on a concept.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var n: Int
        var d: Int
        var q: Int
        /// Rank of the states (< min(n, d) for data confined to a subspace); nil for full rank.
        var rank: Int?
        var seed: UInt64
        var testDescription: String { name }

        /// (states n x d, concept n x q).
        func data() -> (Matrix, Matrix) {
            let z = K.gaussian(rows: n, cols: q, seed: seed)
            let r = rank ?? d
            // Latent states: noise plus the concept mixed in, then an anisotropic map to d dimensions.
            var latent = K.gaussian(rows: n, cols: r, seed: seed &+ 1)
            let mix = K.gaussian(rows: q, cols: r, seed: seed &+ 2)
            latent = K.sum(latent, K.product(z, mix), scale: 1.5)
            var map = K.gaussian(rows: r, cols: d, seed: seed &+ 3)
            for i in 0..<r { for j in 0..<d { map[i, j] *= 1 + Double((i * 7 + j * 3) % 5) } }
            var x = K.product(latent, map)
            for i in 0..<n { for j in 0..<d { x[i, j] += Double(j) - 2.5 } }  // a mean away from 0
            return (x, z)
        }
    }

    static let cases = [
        Case(name: "n > d", n: 80, d: 8, q: 3, rank: nil, seed: 11),
        Case(name: "d > n (rank-deficient covariance)", n: 15, d: 40, q: 4, rank: nil, seed: 12),
        Case(name: "n > d, states in a 3-dimensional subspace", n: 60, d: 9, q: 2, rank: 3, seed: 13),
    ]

    /// The orthogonal projection eraser of the test: x − P(x − μ), P the projection onto
    /// col(Σ_xz). It also zeroes the cross-covariance (PΣ_xz = Σ_xz) but ignores Σ.
    static func orthogonalEraser(_ x: Matrix, _ z: Matrix) -> Matrix {
        let q = K.orthonormalColumns(K.crossCovariance(x, z))
        let xc = K.centred(x)
        return K.sum(x, K.product(K.product(xc, q), K.transpose(q)), scale: -1)
    }

    /// Another eraser: x − A(x − μ) with A = I − G(I − P) for a random G, so that
    /// (I − A)Σ_xz = G(I − P)Σ_xz = 0. Every affine eraser of the concept has this form.
    static func randomEraser(_ x: Matrix, _ z: Matrix, seed: UInt64) -> Matrix {
        let d = x.cols
        let q = K.orthonormalColumns(K.crossCovariance(x, z))
        let p = K.product(q, K.transpose(q))
        let g = K.sum(K.identity(d), K.gaussian(rows: d, cols: d, seed: seed), scale: 0.7)
        let a = K.sum(K.identity(d), K.product(g, K.sum(K.identity(d), p, scale: -1)), scale: -1)
        return K.sum(x, K.product(K.centred(x), K.transpose(a)), scale: -1)
    }

    static func relativeCrossCovariance(_ erased: Matrix, _ x: Matrix, _ z: Matrix) -> Double {
        K.frobenius(K.crossCovariance(erased, z)) / K.frobenius(K.crossCovariance(x, z))
    }

    @Test("after erasure the cross-covariance with the concept is zero", arguments: cases)
    func crossCovarianceIsZero(c: Case) {
        let (x, z) = c.data()
        let erased = LEACE(states: x, concept: z).erase(x)
        let relative = Self.relativeCrossCovariance(erased, x, z)
        #expect(relative <= 1e-6, "\(c.name): cross-covariance after erasure is \(relative) of before")
        // The comparators of the next tests are erasers too.
        #expect(Self.relativeCrossCovariance(Self.orthogonalEraser(x, z), x, z) <= 1e-9)
        #expect(Self.relativeCrossCovariance(Self.randomEraser(x, z, seed: 5), x, z) <= 1e-9)
    }

    @Test("the edit is no larger than the orthogonal projection eraser's or a random eraser's", arguments: cases)
    func leastChange(c: Case) {
        let (x, z) = c.data()
        let edit = K.meanSquaredDistance(LEACE(states: x, concept: z).erase(x), x)
        let orthogonal = K.meanSquaredDistance(Self.orthogonalEraser(x, z), x)
        #expect(edit <= orthogonal * (1 + 1e-9), "\(c.name): LEACE edit \(edit) > orthogonal eraser's \(orthogonal)")
        // The states are anisotropic, so the orthogonal eraser is not optimal: LEACE does strictly better.
        #expect(edit < orthogonal * 0.99, "\(c.name): LEACE edit \(edit) vs orthogonal \(orthogonal)")
        for seed in UInt64(1)...8 {
            let other = K.meanSquaredDistance(Self.randomEraser(x, z, seed: seed), x)
            #expect(edit <= other * (1 + 1e-9), "\(c.name): LEACE edit \(edit) > random eraser \(seed)'s \(other)")
        }
    }

    @Test("the erased rank is the concept's rank in the states' span", arguments: cases)
    func erasedRank(c: Case) {
        let (x, z) = c.data()
        #expect(LEACE(states: x, concept: z).erasedRank == min(c.q, c.rank ?? c.d, c.n - 1))
    }

    @Test("applying the eraser twice changes nothing (it is a projection)", arguments: cases)
    func idempotent(c: Case) {
        let (x, z) = c.data()
        let leace = LEACE(states: x, concept: z)
        let once = leace.erase(x)
        let twice = leace.erase(once)
        let scale = x.storage.map(abs).max()!
        #expect(K.maxAbsDifference(once, twice) <= 1e-10 * scale, "\(c.name)")
        // Rows it was not fitted on too.
        let fresh = K.gaussian(rows: 5, cols: c.d, seed: c.seed &+ 99)
        #expect(K.maxAbsDifference(leace.erase(fresh), leace.erase(leace.erase(fresh))) <= 1e-10 * scale, "\(c.name)")
    }

    /// The erased states no longer covary with the concept, so a second eraser fitted on them has
    /// nothing to remove: by the guarantee (no erasure changes the states less), it must be the
    /// identity. Deciding which directions of A = UᵀZc to erase relative to A's own largest
    /// singular value (docs/views-and-measures.md: "singular values of A above 1e-10 · its
    /// largest") keeps rounding noise of ~1e-16 as "directions", and the second fit erases them.
    @Test("fitting LEACE again on erased states changes nothing", arguments: cases)
    func refitOnErasedStates(c: Case) {
        let (x, z) = c.data()
        let erased = LEACE(states: x, concept: z).erase(x)
        let again = LEACE(states: erased, concept: z).erase(erased)
        let scale = x.storage.map(abs).max()!
        let change = K.maxAbsDifference(erased, again)
        #expect(change <= 1e-8 * scale, "\(c.name): a second LEACE fit moved the erased states by up to \(change) (scale \(scale))")
    }

    @Test("a concept the states do not depend on at all (constant) erases nothing")
    func constantConcept() {
        let (x, _) = Self.cases[0].data()
        let z = Matrix(rows: x.rows, cols: 2, repeating: 3)
        let leace = LEACE(states: x, concept: z)
        #expect(leace.erasedRank == 0)
        #expect(K.maxAbsDifference(leace.erase(x), x) == 0)
    }

    /// One dimension, two positions: x = 0, 2 at position 0 and 10, 12 at position 1. The only
    /// affine map of x whose covariance with position is zero is a constant: LEACE sends every
    /// token to the mean 6. Subtracting per-position means instead gives 5, 7, 5, 7 (+ 0 shift):
    /// it uses the label of each token, which an eraser of x alone cannot.
    @Test("by hand: one dimension, two positions")
    func handCase() {
        let x = K.matrix([[0], [2], [10], [12]])
        let z = K.oneHot([0, 0, 1, 1])
        let erased = LEACE(states: x, concept: z).erase(x)
        #expect(K.close(erased.storage, [6, 6, 6, 6], 1e-12), "\(erased.storage)")
        let groups = PositionGroups(positions: [0, 0, 1, 1], branches: [0, 1, 2, 3])
        #expect(K.close(PositionMeans.debias(x, groups: groups).states.storage, [-1, 1, -1, 1], 1e-15))
    }

    /// Positions with several tokens each; every token its own branch, so every position is supported.
    static let positions = [0, 1, 2, 0, 1, 2, 3, 0, 3, 1, 2, 3]

    /// With one-hot positions and centred states spanning every direction the tokens can
    /// (d ≥ n − 1), LEACE fitted on the tokens subtracts exactly their position's mean (and adds
    /// back the overall mean): the eraser sees each token's own position through its state.
    @Test("d ≥ n − 1: LEACE with one-hot positions equals subtracting per-position means on the fitted rows")
    func oneHotEqualsPositionMeansWhenStatesSpanTheTokens() {
        let n = Self.positions.count
        let x = K.sum(K.gaussian(rows: n, cols: 30, seed: 77), K.product(K.oneHot(Self.positions), K.gaussian(rows: 4, cols: 30, seed: 78)), scale: 2)
        let erased = LEACE(states: x, concept: K.oneHot(Self.positions)).erase(x)
        let groups = PositionGroups(positions: Self.positions, branches: Array(0..<n))
        let (tokens, debiased) = PositionMeans.debias(x, groups: groups)
        #expect(tokens == Array(0..<n))
        let mean = x.columnMeans()
        let scale = x.storage.map(abs).max()!
        #expect(K.maxAbsDifference(erased, debiased.subtractingFromRows(mean.map { -$0 })) <= 1e-10 * scale)
    }

    /// "Oracle LEACE" (Belrose et al., 2023, §4: the concept known at erasure time) is
    /// r(x, z) = x − Σ_xz Σ_zz⁺ (z − z̄): with one-hot z, least squares on one-hot position, i.e.
    /// subtracting each position's mean and adding the overall mean. With more tokens than
    /// dimensions the eraser of x alone (the `leace` view) is different: it makes the
    /// per-position means equal, but cannot subtract each token's own position mean.
    @Test("n > d: oracle LEACE equals subtracting per-position means; the eraser of the states alone equalises the means")
    func oracleEqualsPositionMeans() {
        var positions = [Int]()
        for i in 0..<90 { positions.append(i % 5) }
        let n = positions.count, d = 6
        let onehot = K.oneHot(positions)
        let x = K.sum(K.gaussian(rows: n, cols: d, seed: 5), K.product(onehot, K.gaussian(rows: 5, cols: d, seed: 6)), scale: 3)
        let mean = x.columnMeans()
        let groups = PositionGroups(positions: positions, branches: Array(0..<n))
        let debiased = PositionMeans.debias(x, groups: groups).states.subtractingFromRows(mean.map { -$0 })

        // Oracle LEACE, in the test's own arithmetic: Σ_zz is singular for one-hot z (the columns
        // sum to 1), so drop the last column, which spans the same centred space.
        let zc = K.centred(onehot.selectingColumns(Array(0..<4)))
        let b = K.solve(K.product(K.transpose(zc), zc), K.product(K.transpose(zc), K.centred(x)))
        let oracle = K.sum(x, K.product(zc, b), scale: -1)
        let scale = x.storage.map(abs).max()!
        #expect(K.maxAbsDifference(oracle, debiased) <= 1e-10 * scale)

        // The eraser of x alone: every position's mean becomes the overall mean...
        let erased = LEACE(states: x, concept: onehot).erase(x)
        let means = groups.means(of: erased)
        for g in 0..<means.rows { for c in 0..<d { #expect(abs(means[g, c] - mean[c]) <= 1e-10 * scale, "position \(g)") } }
        // ...but it is not the oracle: it also moves tokens within a position.
        #expect(K.maxAbsDifference(erased, debiased) > 1e-3 * scale)
    }
}

/// All-but-the-top (Mu & Viswanath, 2018): the mean and the top-D principal directions removed.
@Suite("AllButTheTop")
struct AllButTheTopTests {
    typealias K = NumericsKit

    /// 60 tokens in 10 dimensions with clearly separated variances per direction.
    static func data() -> Matrix {
        var x = K.gaussian(rows: 60, cols: 10, seed: 21)
        for i in 0..<60 { for j in 0..<10 { x[i, j] = x[i, j] * Double(12 - j) + Double(j) } }
        // Rotate so that the principal directions are not the axes.
        let rotation = K.orthonormalColumns(K.gaussian(rows: 10, cols: 10, seed: 22))
        return K.product(x, rotation)
    }

    /// Unit principal directions, largest variance first, from the eigenvectors of the test's own scatter matrix.
    static func directions(_ x: Matrix) -> [[Double]] {
        let xc = K.centred(x)
        let (_, vectors) = SymmetricEigen.largest(x.cols, of: K.product(K.transpose(xc), xc))
        return (0..<vectors.rows).map { K.rowArray(vectors, $0) }
    }

    @Test("removes exactly the top-D directions: the residual is orthogonal to them, centred, and unchanged along the others",
          arguments: [1, 2, 3, 5])
    func removesTopDirections(components: Int) {
        let x = Self.data()
        let u = Self.directions(x)
        let abtt = AllButTheTop(states: x, components: components)
        let y = abtt.apply(x)
        let xc = K.centred(x)
        let scale = xc.storage.map(abs).max()!
        #expect(y.columnMeans().allSatisfy { abs($0) <= 1e-12 * scale }, "residual not centred")
        for i in 0..<x.rows {
            let row = K.rowArray(y, i), original = K.rowArray(xc, i)
            for (k, dir) in u.enumerated() {
                if k < components {
                    #expect(abs(K.dot(row, dir)) <= 1e-10 * scale, "row \(i) keeps direction \(k)")
                } else {
                    #expect(abs(K.dot(row, dir) - K.dot(original, dir)) <= 1e-10 * scale, "row \(i) changed along direction \(k)")
                }
            }
            // The formula: x − μ − Σₖ (uₖ·(x − μ)) uₖ.
            var want = original
            for dir in u.prefix(components) { let c = K.dot(original, dir); for j in want.indices { want[j] -= c * dir[j] } }
            #expect(K.close(row, want, 1e-10 * scale), "row \(i)")
        }
        // Rows it was not fitted on: the same mean and directions.
        let fresh = K.gaussian(rows: 4, cols: 10, seed: 23)
        let mean = x.columnMeans()
        let yFresh = abtt.apply(fresh)
        for i in 0..<4 {
            let centred = zip(K.rowArray(fresh, i), mean).map { $0 - $1 }
            var want = centred
            for dir in u.prefix(components) { let c = K.dot(centred, dir); for j in want.indices { want[j] -= c * dir[j] } }
            #expect(K.close(K.rowArray(yFresh, i), want, 1e-10 * scale))
        }
    }

    @Test("more directions than the data have: everything but the mean goes")
    func moreComponentsThanRank() {
        let x = K.gaussian(rows: 5, cols: 8, seed: 31)   // centred rank 4
        let y = AllButTheTop(states: x, components: 6).apply(x)
        #expect(y.storage.allSatisfy { abs($0) <= 1e-12 }, "\(y.storage.map(abs).max()!)")
        // More than the dimensions: capped, not a crash.
        let z = AllButTheTop(states: K.gaussian(rows: 20, cols: 3, seed: 32), components: 9).apply(K.gaussian(rows: 20, cols: 3, seed: 32))
        #expect(z.storage.allSatisfy { abs($0) <= 1e-12 })
    }

    @Test("the paper's rule: d / 100 directions rounded, at least one", arguments: [
        (1, 1), (49, 1), (50, 1), (149, 1), (150, 2), (249, 2), (250, 3), (576, 6), (768, 8), (1024, 10), (2048, 20), (4096, 41),
    ])
    func defaultComponents(d: Int, expected: Int) {
        #expect(AllButTheTop.defaultComponents(hiddenSize: d) == expected)
    }
}
