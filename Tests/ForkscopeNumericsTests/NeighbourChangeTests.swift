import Foundation
import Testing
@testable import ForkscopeNumerics

/// Sources/ForkscopeNumerics/NeighbourChange.swift: how much each token's 10 nearest neighbours
/// changed, on cases derived by hand.
struct NeighbourChangeTests {
    /// 12 points at 30° steps on a circle: with k = 10, a point's neighbours are every other point
    /// but the one opposite it.
    static func circle(_ angleOf: (Int) -> Int) -> Matrix {
        Matrix(rows: 12, cols: 2, storage: (0..<12).flatMap { i -> [Double] in
            let a = Double(angleOf(i)) * Double.pi / 6
            return [cos(a), sin(a)]
        })
    }

    @Test func unchangedRotatedOrScaledNeighbourhoodsAreZero() {
        let a = Self.circle { $0 }
        #expect(NeighbourChange.of(a, a) == [Double?](repeating: 0, count: 12))
        // Rotated by 45° and scaled by 3: every cosine is the same.
        let b = Matrix(rows: 12, cols: 2, storage: (0..<12).flatMap { i -> [Double] in
            let t = Double(i) * Double.pi / 6 + Double.pi / 4
            return [3 * cos(t), 3 * sin(t)]
        })
        #expect(NeighbourChange.of(a, b).allSatisfy { $0 == 0 })
    }

    /// Tokens 0 and 1 swap places in B. Token 0 (now at 30°) loses token 6 and gains token 7's
    /// place as the one it lacks: its set misses {6, 7} in one side or the other, keeping 9 of 10
    /// (change 0.1). The same holds for token 1 (lacks 7 in A, 6 in B), token 6 (lacks 0 in A, 1 in
    /// B) and token 7 (lacks 1 in A, 0 in B); every other token keeps its neighbours.
    @Test func swappingTwoTokensChangesExactlyTheirOppositesByOneNeighbour() {
        let a = Self.circle { $0 }
        let b = Self.circle { $0 == 0 ? 1 : $0 == 1 ? 0 : $0 }
        let change = NeighbourChange.of(a, b)
        for i in 0..<12 {
            let expected = [0, 1, 6, 7].contains(i) ? 0.1 : 0
            #expect(abs(change[i]! - expected) < 1e-12, "token \(i): \(change[i]!)")
        }
    }

    @Test func tooFewTokensHaveNoValue() {
        let a = Matrix(rows: 10, cols: 2, storage: (0..<20).map(Double.init))
        #expect(NeighbourChange.of(a, a).allSatisfy { $0 == nil })
    }

    /// Mutual kNN agreement: the mean share of neighbours kept, over the tokens with a value; 1 for
    /// a representation and itself, about k/(n − 1) for unrelated ones.
    @Test func agreementIsTheMeanShareKept() {
        #expect(NeighbourChange.agreement([0, 0.5, nil, 1]) == 0.5)
        #expect(NeighbourChange.agreement([nil, nil]) == nil)
        let a = NumericsKit.gaussian(rows: 300, cols: 20, seed: 3), b = NumericsKit.gaussian(rows: 300, cols: 20, seed: 4)
        #expect(NeighbourChange.agreement(NeighbourChange.of(a, a)) == 1)
        let chance = 10.0 / 299, unrelated = NeighbourChange.agreement(NeighbourChange.of(a, b))!
        #expect(unrelated > chance / 3 && unrelated < chance * 3, "\(unrelated) against chance \(chance)")
    }

    @Test func evenSamplesTakeTheMiddleOfEqualParts() {
        #expect(EvenSample.indices(10, 3) == [1, 5, 8])
        #expect(EvenSample.indices(4, 10) == [0, 1, 2, 3])
        #expect(EvenSample.indices(5, 0) == [])
    }
}
