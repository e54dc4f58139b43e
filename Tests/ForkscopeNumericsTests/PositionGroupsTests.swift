import Testing
import ForkscopeNumerics

@Suite("PositionGroups")
struct PositionGroupsTests {
    @Test func supportedNeedsTwoDistinctBranches() {
        // Branch 0 at positions 0,1,2; branch 1 at 0,1,3.
        let g = PositionGroups(positions: [0, 1, 2, 0, 1, 3], branches: [0, 0, 0, 1, 1, 1])
        #expect(g.positions == [0, 1])
        #expect(g.members == [[0, 3], [1, 4]])
        #expect(g.group == [0, 1, nil, 0, 1, nil])
        #expect(g.supportedTokens == [0, 1, 3, 4])
    }

    @Test func manyTokensOfOneBranchAtAPositionAreNotEnough() {
        // Position 0 has three tokens, all of branch 7; position 5 has tokens of branches 7 and 8.
        let g = PositionGroups(positions: [0, 0, 0, 5, 5], branches: [7, 7, 7, 7, 8])
        #expect(g.positions == [5])
        #expect(g.group == [nil, nil, nil, 0, 0])
    }

    /// A single root (prompt at positions 0..3, stored once) with two children continuing at 4..5:
    /// the shared prefix is unsupported, the continuations are.
    @Test func sharedPrefixStoredOnceIsUnsupported() {
        let positions = [0, 1, 2, 3, 4, 5, 4, 5]
        let branches = [0, 0, 0, 0, 1, 1, 2, 2]
        let g = PositionGroups(positions: positions, branches: branches)
        #expect(g.positions == [4, 5])
        #expect(g.supportedTokens == [4, 5, 6, 7])
        #expect(g.group.prefix(4).allSatisfy { $0 == nil })
    }

    @Test func positionsAscendAndMembersAscendWhateverTheInputOrder() {
        let g = PositionGroups(positions: [9, 2, 9, 2, 4], branches: [1, 0, 0, 1, 0])
        #expect(g.positions == [2, 9])
        #expect(g.members == [[1, 3], [0, 2]])
        #expect(g.group == [1, 0, 1, 0, nil])
    }

    @Test func minimumBranchesIsHonoured() {
        let positions = [0, 0, 0, 1, 1]
        let branches = [0, 1, 2, 0, 1]
        #expect(PositionGroups(positions: positions, branches: branches, minimumBranches: 3).positions == [0])
        #expect(PositionGroups(positions: positions, branches: branches, minimumBranches: 1).positions == [0, 1])
    }

    @Test func emptyInput() {
        let g = PositionGroups(positions: [], branches: [])
        #expect(g.positions.isEmpty && g.members.isEmpty && g.supportedTokens.isEmpty)
    }

    @Test func meansOfEachGroup() {
        let g = PositionGroups(positions: [0, 1, 0, 1, 1, 2], branches: [0, 0, 1, 1, 2, 2])
        let x = NumericsKit.matrix([[1, 2], [0, 0], [3, 6], [2, 0], [4, 3], [100, 100]])
        let m = g.means(of: x)
        #expect(m.rows == 2 && m.cols == 2)
        #expect(NumericsKit.rowArray(m, 0) == [2, 4])
        #expect(NumericsKit.rowArray(m, 1) == [2, 1])
    }
}
