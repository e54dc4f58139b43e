import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport

@Suite("PositionMeans")
struct PositionMeasuresTests {
    typealias K = NumericsKit

    /// Position 0: (1,2) [branch 0], (3,6) [branch 1] -> mean (2,4).
    /// Position 1: (0,0) [b0], (2,0) [b1], (4,3) [b2] -> mean (2,1).
    /// Position 2: (100,100) [b0 only] -> unsupported.
    /// Tokens are listed interleaved to check that output rows follow token order.
    let positions = [0, 1, 2, 0, 1, 1]
    let branches = [0, 0, 0, 1, 1, 2]
    let x = NumericsKit.matrix([[1, 2], [0, 0], [100, 100], [3, 6], [2, 0], [4, 3]])
    var groups: PositionGroups { PositionGroups(positions: positions, branches: branches) }

    @Test func debiasSubtractsEachPositionsMean() {
        let (tokens, states) = PositionMeans.debias(x, groups: groups)
        #expect(tokens == [0, 1, 3, 4, 5])
        #expect(states.rows == 5 && states.cols == 2)
        #expect(K.close(states.storage, [-1, -2, -2, -1, 1, 2, 0, -1, 2, 2], 1e-15), "\(states.storage)")
    }

    @Test func distancesToThePositionMean() {
        let d = PositionMeans.distances(x, groups: groups)
        let want: [Double?] = [Double(5.0).squareRoot(), Double(5.0).squareRoot(), nil, Double(5.0).squareRoot(), 1, Double(8.0).squareRoot()]
        #expect(d.count == want.count)
        for (a, b) in zip(d, want) {
            if let b { #expect(a.map { K.close($0, b, 1e-15) } == true, "\(String(describing: a)) vs \(b)") } else { #expect(a == nil) }
        }
    }

    /// Supported rows (1,2),(0,0),(3,6),(2,0),(4,3): grand mean (2, 2.2), total SS 34.8,
    /// within SS 5+5+5+1+8 = 24, so R² = 1 - 24/34.8 = 9/29. The unsupported (100,100) is left out.
    @Test func r2ByHand() throws {
        let r2 = try #require(PositionMeans.r2(x, groups: groups))
        #expect(K.close(r2, 9.0 / 29.0, 1e-14), "\(r2)")
    }

    @Test func r2IsNilWithoutSupportedTokensOrVariance() {
        let single = PositionGroups(positions: [0, 1, 2], branches: [0, 0, 0])
        #expect(PositionMeans.r2(K.matrix([[1], [2], [3]]), groups: single) == nil)
        let twin = PositionGroups(positions: [0, 0, 1], branches: [0, 1, 0])
        #expect(PositionMeans.r2(K.matrix([[4, 4], [4, 4], [9, 1]]), groups: twin) == nil)
    }

    @Test func r2IsOneWhenStatesDependOnlyOnPosition() throws {
        let positions = [0, 1, 2, 0, 1, 2, 1]
        let branches = [0, 0, 0, 1, 1, 1, 2]
        let x = K.matrix(positions.map { p in [Double(p) * 2, -Double(p * p), 1] })
        let r2 = try #require(PositionMeans.r2(x, groups: PositionGroups(positions: positions, branches: branches)))
        #expect(K.close(r2, 1, 1e-14))
    }

    /// Random states on a branch tree: R² lies in [0, 1]; after debiasing it is ~0 (every
    /// position's mean is zero), and debiasing leaves the distances unchanged.
    @Test("r2 in [0,1] and ~0 after debiasing", arguments: [UInt64(1), 2, 3, 4])
    func r2Identities(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var positions = [Int](), branches = [Int]()
        for b in 0..<5 {
            let start = b == 0 ? 0 : Int.random(in: 0...4, using: &rng)
            let length = Int.random(in: 2...7, using: &rng)
            positions += Array(start..<(start + length))
            branches += Array(repeating: b, count: length)
        }
        let n = positions.count
        var x = K.random(rows: n, cols: 6, seed: seed &* 977)
        for i in 0..<n { x[i, 0] += Double(positions[i]) * 0.7 }    // some positional signal
        let groups = PositionGroups(positions: positions, branches: branches)
        let r2 = try #require(PositionMeans.r2(x, groups: groups))
        #expect(r2 >= 0 && r2 <= 1, "r2 = \(r2)")

        let (tokens, residual) = PositionMeans.debias(x, groups: groups)
        let subGroups = PositionGroups(positions: tokens.map { positions[$0] }, branches: tokens.map { branches[$0] })
        #expect(subGroups.positions == groups.positions)
        let r2After = try #require(PositionMeans.r2(residual, groups: subGroups))
        #expect(abs(r2After) < 1e-12, "r2 after debiasing = \(r2After)")
        let means = subGroups.means(of: residual)
        #expect(means.storage.allSatisfy { abs($0) < 1e-12 })

        let d = PositionMeans.distances(x, groups: groups)
        let norms = residual.rowNorms()
        for (row, t) in tokens.enumerated() {
            #expect(d[t].map { K.close($0, norms[row], 1e-12) } == true)
        }
        #expect(d.indices.filter { d[$0] != nil } == tokens)
    }
    /// The same tokens. Supported: 0, 1, 3, 4, 5; grand mean (2, 2.2), total SS 34.8.
    /// Each token predicted by its position's mean in the other branches:
    ///   token 0 (pos 0, b0) by token 3 (3,6): residual (−2,−4), 20;   token 3 by token 0: 20;
    ///   token 1 (pos 1, b0) by (tokens 4, 5) = (3, 1.5): (−3, −1.5), 11.25;
    ///   token 4 (b1) by (tokens 1, 5) = (2, 1.5): (0, −1.5), 2.25;  token 5 (b2) by (1, 4) = (1, 0): (3, 3), 18.
    /// Within 71.5: held-out R² = 1 − 71.5/34.8 = −367/348 (worse than the grand mean).
    @Test func heldOutR2ByHand() throws {
        let r2 = try #require(PositionMeans.heldOutR2(x, groups: groups, branches: branches))
        #expect(K.close(r2, -367.0 / 348.0, 1e-14), "\(r2)")
    }

    /// When every branch sees the same state at a position, the other branches predict it exactly.
    @Test func heldOutR2IsOneWhenStatesDependOnlyOnPosition() throws {
        let positions = [0, 1, 2, 0, 1, 2, 1]
        let branches = [0, 0, 0, 1, 1, 1, 2]
        let x = K.matrix(positions.map { p in [Double(p) * 2, -Double(p * p), 1] })
        let r2 = try #require(PositionMeans.heldOutR2(x, groups: PositionGroups(positions: positions, branches: branches), branches: branches))
        #expect(K.close(r2, 1, 1e-14))
    }

    @Test func heldOutR2IsNilWithoutSupportedTokensOrVariance() {
        let single = PositionGroups(positions: [0, 1, 2], branches: [0, 0, 0])
        #expect(PositionMeans.heldOutR2(K.matrix([[1], [2], [3]]), groups: single, branches: [0, 0, 0]) == nil)
        let twin = PositionGroups(positions: [0, 0, 1], branches: [0, 1, 0])
        #expect(PositionMeans.heldOutR2(K.matrix([[4, 4], [4, 4], [9, 1]]), groups: twin, branches: [0, 1, 0]) == nil)
    }

    /// G = 2 supported positions, N = 5 supported tokens: (2 − 1)/(5 − 1).
    @Test func chanceR2ByHand() {
        #expect(PositionMeans.chanceR2(groups: groups) == 0.25)
        #expect(PositionMeans.chanceR2(groups: PositionGroups(positions: [0, 1, 2], branches: [0, 0, 0])) == nil)
    }

    /// All permutations of a sequence (Heap's algorithm).
    static func permutations(_ a: [Int]) -> [[Int]] {
        var a = a, out = [[Int]]()
        func generate(_ k: Int) {
            if k <= 1 { out.append(a); return }
            generate(k - 1)
            for i in 0..<(k - 1) {
                a.swapAt(k % 2 == 0 ? i : 0, k - 1)
                generate(k - 1)
            }
        }
        generate(a.count)
        return out
    }

    /// `position_r2_chance` is the mean of `position_r2` over random relabellings: enumerate all
    /// 7! = 5040 orders of the labels 0, 0, 1, 1, 1, 2, 2 over 7 tokens (each its own branch, so
    /// every position stays supported) and average.
    @Test("chance equals the average of position_r2 over all permutations of the labels", arguments: [UInt64(1), 2])
    func chanceIsThePermutationMean(seed: UInt64) throws {
        let labels = [0, 0, 1, 1, 1, 2, 2]
        let x = K.gaussian(rows: 7, cols: 3, seed: seed)
        let branches = Array(0..<7)
        let all = Self.permutations(labels)
        #expect(all.count == 5040)
        var total = 0.0
        for p in all {
            total += try #require(PositionMeans.r2(x, groups: PositionGroups(positions: p, branches: branches)))
        }
        let chance = try #require(PositionMeans.chanceR2(groups: PositionGroups(positions: labels, branches: branches)))
        #expect(chance == 2.0 / 6.0)
        #expect(abs(total / Double(all.count) - chance) < 1e-12, "mean over permutations \(total / Double(all.count)), chance \(chance)")
    }
}

@Suite("PositionProbe")
struct PositionProbeTests {
    typealias K = NumericsKit

    /// Positions 0…39, repeated over 12 sequences; the first 9 train, the last 3 are held out.
    static let positions = (0..<12).flatMap { _ in Array(0..<40) }

    @Test("recovers a planted linear position signal (held-out R² near 1)")
    func plantedSignal() throws {
        let n = Self.positions.count
        var x = K.gaussian(rows: n, cols: 16, seed: 61)
        let direction = K.gaussian(rows: 1, cols: 16, seed: 62).storage
        for i in 0..<n { for c in 0..<16 { x[i, c] += Double(Self.positions[i]) * direction[c] } }
        let train = Array(0..<360), test = Array(360..<n)
        let probe = PositionProbe(states: x.selectingRows(train), positions: train.map { Self.positions[$0] })
        let r2 = try #require(PositionProbe.r2(positions: test.map { Self.positions[$0] }, predicted: probe.predict(x.selectingRows(test))))
        #expect(r2 > 0.98, "R² \(r2)")
    }

    @Test("finds nothing in pure noise (held-out R² at most about 0)", arguments: [UInt64(71), 72, 73])
    func pureNoise(seed: UInt64) throws {
        let n = Self.positions.count
        let x = K.gaussian(rows: n, cols: 16, seed: seed)
        let train = Array(0..<360), test = Array(360..<n)
        let probe = PositionProbe(states: x.selectingRows(train), positions: train.map { Self.positions[$0] })
        let r2 = try #require(PositionProbe.r2(positions: test.map { Self.positions[$0] }, predicted: probe.predict(x.selectingRows(test))))
        #expect(r2 <= 0.02, "R² \(r2)")
        #expect(r2 > -0.2, "R² \(r2): the ridge should shrink towards the mean, not overfit")
    }

    @Test("more dimensions than training rows (the dual form) still reads a planted signal")
    func wideStates() throws {
        let positions = (0..<6).flatMap { _ in Array(0..<10) }
        var x = K.gaussian(rows: 60, cols: 200, seed: 81)
        for i in 0..<60 { for c in 0..<20 { x[i, c] += Double(positions[i]) } }
        let train = Array(0..<40), test = Array(40..<60)
        let probe = PositionProbe(states: x.selectingRows(train), positions: train.map { positions[$0] })
        let r2 = try #require(PositionProbe.r2(positions: test.map { positions[$0] }, predicted: probe.predict(x.selectingRows(test))))
        #expect(r2 > 0.9, "R² \(r2)")
    }

    /// Positions 0, 1, 2, 3 (mean 1.5, total 5): exact → 1; the mean → 0;
    /// 1, 1, 2, 2 → residual 1 + 0 + 0 + 1 = 2 → 1 − 2/5 = 0.6; reversed → 1 − 20/5 = −3.
    @Test("r2 by hand, and nil without spread")
    func r2ByHand() {
        let p = [0, 1, 2, 3]
        #expect(PositionProbe.r2(positions: p, predicted: [0, 1, 2, 3]) == 1)
        #expect(PositionProbe.r2(positions: p, predicted: [1.5, 1.5, 1.5, 1.5]) == 0)
        #expect(PositionProbe.r2(positions: p, predicted: [1, 1, 2, 2]).map { K.close($0, 0.6, 1e-15) } == true)
        #expect(PositionProbe.r2(positions: p, predicted: [3, 2, 1, 0]) == -3)
        #expect(PositionProbe.r2(positions: [4, 4, 4], predicted: [4, 4, 4]) == nil)
        #expect(PositionProbe.r2(positions: [4], predicted: [4]) == nil)
    }
}
