import Testing
@testable import ForkscopeNumerics

/// The permutation null of linear CKA (Sources/ForkscopeNumerics/CKANull.swift) against NumPy
/// with the same seeded shuffles (Tests/Fixtures/cka/calibration.py).
@Suite("CKANull")
struct CKANullTests {
    @Test func matchesNumPyShuffleForShuffle() throws {
        for c in try CKACalibrationFixture.load().cases {
            let null = try #require(CKANull.of(NumericsKit.matrix(c.x), NumericsKit.matrix(c.y)))
            #expect(null.values.count == 20)
            #expect(NumericsKit.close(null.values, c.null, 1e-10), "\(c.name)")
            #expect(abs(null.mean - c.null_mean) < 1e-10 && abs(null.p95 - c.null_p95) < 1e-10, "\(c.name)")
        }
    }

    /// Each shuffle is a permutation, the same for the same seed and permutation, and different
    /// for another.
    @Test func shufflesAreSeededPermutations() {
        let a = CKANull.shuffled(100, seed: 0, permutation: 3)
        #expect(a.sorted() == Array(0..<100))
        #expect(a == CKANull.shuffled(100, seed: 0, permutation: 3))
        #expect(a != CKANull.shuffled(100, seed: 0, permutation: 4) && a != CKANull.shuffled(100, seed: 1, permutation: 3))
    }

    /// The null's mean is close to its exact expectation tr K · tr L / ((n − 1)‖K‖‖L‖) for centred
    /// K, L; linear CKA of related states lies far above the null, of unrelated ones inside it.
    @Test func meanIsNearItsExpectation() throws {
        let x = NumericsKit.gaussian(rows: 200, cols: 30, seed: 11)
        var y = NumericsKit.gaussian(rows: 200, cols: 30, seed: 12)
        let null = try #require(CKANull.of(x, y))
        let kx = x.subtractingFromRows(x.columnMeans()).gramUpper(), ky = y.subtractingFromRows(y.columnMeans()).gramUpper()
        let trace = { (k: Matrix) in (0..<k.rows).reduce(0.0) { $0 + k[$1, $1] } }
        let expected = trace(kx) * trace(ky) / (199 * (LinearCKA.symmetricInner(kx, kx) * LinearCKA.symmetricInner(ky, ky)).squareRoot())
        #expect(abs(null.mean - expected) < 0.2 * expected, "\(null.mean) against \(expected)")
        #expect(try #require(LinearCKA.similarity(x, y)) <= null.values.max()! + 0.05)
        for i in 0..<y.storage.count { y.storage[i] = 0.3 * y.storage[i] + x.storage[i] }
        #expect(try #require(LinearCKA.similarity(x, y)) > 3 * (try #require(CKANull.of(x, y))).p95)
    }

    @Test func percentileInterpolatesLikeNumPy() {
        // numpy.percentile([0, 1, ..., 19], 95) = 18.05
        #expect(abs(CKANull.percentile((0..<20).map(Double.init).reversed(), 0.95) - 18.05) < 1e-12)
        #expect(CKANull.percentile([4], 0.95) == 4)
    }
}
