import Foundation
import Testing
import ForkscopeNumerics
@testable import Forkscope

/// Massive activations (docs/views-and-measures.md): ‖xᵢ‖ > τ · median ‖x‖, named with their
/// norm ratio and their three dimensions of largest |value|.
@Suite("MassiveActivations")
struct MassiveActivationsTests {
    static func matrix(_ rows: [[Double]]) -> Matrix {
        Matrix(rows: rows.count, cols: rows.first?.count ?? 0, storage: rows.flatMap { $0 })
    }

    @Test("median as NumPy: the middle value, or the mean of the middle two")
    func median() {
        #expect(MassiveActivations.median([3, 1, 2]) == 2)
        #expect(MassiveActivations.median([4, 1, 3, 2]) == 2.5)
        #expect(MassiveActivations.median([7]) == 7)
        #expect(MassiveActivations.median([]) == 0)
    }

    /// Norms 1, 1, 1, 1, 50 (median 1): the last row is massive at τ = 10, ratio 50, dimensions
    /// by |value|: 1 (40), 0 (30), then the zeros by lower index: 2.
    @Test("a row far above the median is found, with its ratio and top dimensions")
    func detects() throws {
        let x = Self.matrix([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, -1, 0], [30, -40, 0, 0]])
        let found = MassiveActivations.detect(x, ratio: 10)
        #expect(found == [MassiveToken(token: 4, normRatio: 50, topDimensions: [1, 0, 2])])
        // A higher threshold finds nothing.
        #expect(MassiveActivations.detect(x, ratio: 60).isEmpty)
    }

    @Test("the threshold is strict: exactly τ times the median is not massive")
    func strictThreshold() {
        let x = Self.matrix([[1, 0], [0, 1], [-1, 0], [0, 10]])   // norms 1, 1, 1, 10: median 1
        #expect(MassiveActivations.detect(x, ratio: 10).isEmpty)
        #expect(MassiveActivations.detect(x, ratio: 9.99).map(\.token) == [3])
    }

    @Test("all-zero states (median 0) have no massive token")
    func zeroMedian() {
        #expect(MassiveActivations.detect(Matrix(rows: 3, cols: 2), ratio: 10).isEmpty)
        #expect(MassiveActivations.detect(Self.matrix([[0, 0], [0, 0], [5, 5]]), ratio: 10).isEmpty)
    }
}
