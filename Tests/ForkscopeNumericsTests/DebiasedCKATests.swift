import Testing
@testable import ForkscopeNumerics

/// Debiased CKA (Sources/ForkscopeNumerics/DebiasedCKA.swift) against NumPy's unbiased HSIC on
/// the Gram matrices (Tests/Fixtures/cka/calibration.py), and the identities it must satisfy.
@Suite("DebiasedCKA")
struct DebiasedCKATests {
    @Test func matchesNumPy() throws {
        let fixture = try CKACalibrationFixture.load()
        #expect(fixture.cases.count == 4)
        for c in fixture.cases {
            let value = try #require(DebiasedCKA.similarity(NumericsKit.matrix(c.x), NumericsKit.matrix(c.y)))
            #expect(abs(value - c.debiased) < 1e-9, "\(c.name): \(value) against \(c.debiased)")
            // One pass gives both, linear CKA bit for bit as LinearCKA gives it.
            let both = DebiasedCKA.withLinear(NumericsKit.matrix(c.x), NumericsKit.matrix(c.y))
            #expect(both.linear == LinearCKA.similarity(NumericsKit.matrix(c.x), NumericsKit.matrix(c.y)) && both.debiased == value)
        }
    }

    /// The trap it removes: 16 unrelated tokens in 300 dimensions give linear CKA near 1 and
    /// debiased CKA near 0; identical and rotated pairs give 1 either way.
    @Test func removesTheSmallSampleBias() throws {
        let cases = Dictionary(uniqueKeysWithValues: try CKACalibrationFixture.load().cases.map { ($0.name, $0) })
        let unrelated = try #require(cases["unrelated_small_n"])
        let x = NumericsKit.matrix(unrelated.x), y = NumericsKit.matrix(unrelated.y)
        #expect(try #require(LinearCKA.similarity(x, y)) > 0.9)
        #expect(abs(try #require(DebiasedCKA.similarity(x, y))) < 0.1)
        for name in ["identical", "rotated"] {
            let c = try #require(cases[name])
            #expect(abs(try #require(DebiasedCKA.similarity(NumericsKit.matrix(c.x), NumericsKit.matrix(c.y))) - 1) < 1e-12)
        }
    }

    /// Both forms of the moments (more tokens than dimensions, and fewer) give the same value; a
    /// shift of either side and an orthogonal map change nothing; symmetric; nil below 4 tokens.
    @Test func identitiesHold() throws {
        for (n, p) in [(50, 6), (6, 40)] {
            let x = NumericsKit.gaussian(rows: n, cols: p, seed: 7), y = NumericsKit.gaussian(rows: n, cols: 9, seed: 8)
            let base = try #require(DebiasedCKA.similarity(x, y))
            var shifted = x
            for i in 0..<shifted.storage.count { shifted.storage[i] += 5 }
            #expect(abs(try #require(DebiasedCKA.similarity(shifted, y)) - base) < 1e-9)
            #expect(abs(try #require(DebiasedCKA.similarity(y, x)) - base) < 1e-12)
            let q = NumericsKit.orthonormalColumns(NumericsKit.gaussian(rows: p, cols: p, seed: 9))
            #expect(abs(try #require(DebiasedCKA.similarity(x.multiplied(by: q), y)) - base) < 1e-9)
        }
        #expect(DebiasedCKA.similarity(NumericsKit.gaussian(rows: 3, cols: 4, seed: 1), NumericsKit.gaussian(rows: 3, cols: 4, seed: 2)) == nil)
    }
}
