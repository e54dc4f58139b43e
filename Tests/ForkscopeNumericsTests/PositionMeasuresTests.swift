import Testing
import ForkscopeNumerics

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
        var rng = K.SplitMix(seed: seed)
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
}
