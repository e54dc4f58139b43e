import Foundation
import Testing
import ForkscopeTestSupport
@testable import ForkscopeNumerics

/// Linear CKA (Sources/ForkscopeNumerics/LinearCKA.swift) against NumPy's HSIC form
/// (Tests/Fixtures/cka/make_cka_fixture.py) and the identities it must satisfy.
@Suite("LinearCKA")
struct LinearCKATests {
    struct Fixture: Decodable {
        struct Case: Decodable { let name: String; let x: [[Double]]; let y: [[Double]]; let cka: Double }
        struct Pairs: Decodable { let xs: [[[Double]]]; let ys: [[[Double]]]; let cka: [[Double]] }
        let cases: [Case]
        let pairs: Pairs
    }

    static func fixture() throws -> Fixture {
        let url = Fixtures.url("Tests/Fixtures/cka/cka.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// Tall (both forms), wide (the Gram form), equal sizes, and a rotated, scaled, shifted copy.
    @Test func matchesNumPy() throws {
        let fixture = try Self.fixture()
        #expect(fixture.cases.count == 4)
        for c in fixture.cases {
            let value = try #require(LinearCKA.similarity(NumericsKit.matrix(c.x), NumericsKit.matrix(c.y)))
            #expect(abs(value - c.cka) < 1e-12, "\(c.name): \(value) against \(c.cka)")
        }
    }

    @Test func pairsMatchNumPy() throws {
        let p = try Self.fixture().pairs
        let map = LinearCKA.pairs(p.xs.map(NumericsKit.matrix), p.ys.map(NumericsKit.matrix))
        #expect(map.rows == 3 && map.cols == 3)
        for a in 0..<3 { for b in 0..<3 { #expect(abs(map[a, b] - p.cka[a][b]) < 1e-12) } }
    }

    /// 1 with itself; unchanged by an orthogonal map, isotropic scaling and a shift of either side,
    /// and by widening one side with zero columns; symmetric.
    @Test func identitiesHold() throws {
        let x = NumericsKit.gaussian(rows: 50, cols: 8, seed: 1)
        let y = NumericsKit.gaussian(rows: 50, cols: 5, seed: 2)
        #expect(abs(try #require(LinearCKA.similarity(x, x)) - 1) < 1e-14)
        let q = NumericsKit.orthonormalColumns(NumericsKit.gaussian(rows: 8, cols: 8, seed: 3))
        var moved = x.multiplied(by: q)
        for i in 0..<moved.rows { for j in 0..<moved.cols { moved[i, j] = 0.01 * moved[i, j] + 7 } }
        let base = try #require(LinearCKA.similarity(x, y))
        #expect(abs(try #require(LinearCKA.similarity(moved, y)) - base) < 1e-12)
        #expect(abs(try #require(LinearCKA.similarity(y, x)) - base) < 1e-14)
        #expect(abs(try #require(LinearCKA.similarity(NumericsKit.padded(x, extra: 30), y)) - base) < 1e-12)
        #expect(base > 0 && base < 1)
    }

    /// Not invariant to every invertible map: stretching one direction changes it.
    @Test func anisotropicScalingChangesIt() throws {
        let x = NumericsKit.gaussian(rows: 40, cols: 4, seed: 5)
        var stretched = x
        for i in 0..<x.rows { stretched[i, 0] *= 20 }
        #expect(try #require(LinearCKA.similarity(x, stretched)) < 0.9)
    }

    @Test func noVarianceIsNil() {
        let x = NumericsKit.gaussian(rows: 10, cols: 3, seed: 9)
        let constant = Matrix(rows: 10, cols: 2, repeating: 4)
        #expect(LinearCKA.similarity(x, constant) == nil)
        #expect(LinearCKA.similarity(Matrix(rows: 1, cols: 3), Matrix(rows: 1, cols: 3)) == nil)
    }
}
