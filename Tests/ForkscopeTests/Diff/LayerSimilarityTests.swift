import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// CKA between two model versions at a pair of layers (Sources/Forkscope/Diff/LayerSimilarity.swift),
/// on the synthetic fixture run and copies of it transformed in known ways.
struct LayerSimilarityTests {
    /// The base views (z-scoring each dimension does not commute with rotation, which these tests apply).
    static let views = View.defaults.filter { $0.base != .zeroPE && !$0.standardized }

    static func fixture() throws -> (ActivationRun, Matrix) {
        let reader = try RunReader(directory: Fixtures.run("synthetic").path)
        return (reader.run, try reader.states(slice: 1))
    }

    /// A random orthogonal d × d matrix (QR of a Gaussian by Gram–Schmidt, twice).
    static func rotation(_ d: Int, seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        var q = [[Double]]()
        for _ in 0..<d {
            var v = (0..<d).map { _ in rng.nextNormal() }
            for _ in 0..<2 { for u in q { let c = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; for i in 0..<d { v[i] -= c * u[i] } } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q.append(v.map { $0 / norm })
        }
        return Matrix(rows: d, cols: d, storage: q.flatMap { $0 })
    }

    static func similarity(_ run: ActivationRun, _ a: Matrix, _ b: Matrix) -> [String: Double?] {
        let pairing = RunPairing(run, run)
        let s = LayerSimilarity(.init(run: run, layer: 1, states: a), .init(run: run, layer: 1, states: b),
                                tokens: pairing.tokens, views: views)
        return Dictionary(uniqueKeysWithValues: s.entries.map { ($0.view.name, $0.cka) })
    }

    /// A rotated and scaled copy is the same representation: CKA 1 in every view (each is fitted
    /// on its own side, and every view commutes with rotation and scaling).
    @Test func rotatedAndScaledCopyIsOne() throws {
        let (run, x) = try Self.fixture()
        var y = x.multiplied(by: Self.rotation(x.cols, seed: 3))
        for i in 0..<y.storage.count { y.storage[i] *= 2.5 }
        let cka = Self.similarity(run, x, y)
        #expect(cka.count == Self.views.count)
        for (view, value) in cka {
            let v = try #require(value, "\(view)")
            #expect(abs(v - 1) < 1e-9, "\(view): \(v)")
        }
    }

    /// The same states with their tokens shuffled: far from 1 in every view.
    @Test func shuffledTokensAreFarFromOne() throws {
        let (run, x) = try Self.fixture()
        var rng = SeededGenerator(seed: 9)
        var order = Array(0..<x.rows)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.nextUnit() * Double(i + 1))) }
        let cka = Self.similarity(run, x, x.selectingRows(order))
        for (view, value) in cka {
            let v = try #require(value, "\(view)")
            #expect(v < 0.6, "\(view): \(v)")
        }
    }

    /// A shift of the states along one direction for the continuation tokens only (a planted
    /// change in one subspace) lowers raw CKA, and the token count excludes massive tokens.
    @Test func plantedShiftLowersCKA() throws {
        let (run, x) = try Self.fixture()
        var y = x
        let scale = x.rowNorms().sorted()[x.rows / 2]
        for (t, branch) in run.tokenBranch.enumerated() where run.branches[branch].parent != nil {
            y[t, 0] += 3 * scale
        }
        let pairing = RunPairing(run, run)
        let s = LayerSimilarity(.init(run: run, layer: 1, states: x), .init(run: run, layer: 1, states: y),
                                tokens: pairing.tokens, views: [.raw])
        let raw = try #require(s.entries[0].cka)
        #expect(raw < 0.9 && raw > 0)
        let massive = MassiveActivations.detect(x, ratio: 10).count
        #expect(massive > 0)
        #expect(s.entries[0].tokens == x.rows - Set(MassiveActivations.detect(x, ratio: 10).map(\.token))
                    .union(MassiveActivations.detect(y, ratio: 10).map(\.token)).count)
    }
}
