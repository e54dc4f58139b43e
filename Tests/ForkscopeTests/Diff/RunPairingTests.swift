import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Which branches and layers `forkscope diff` compares (Sources/Forkscope/Diff/RunPairing.swift).
struct RunPairingTests {
    static func open(_ run: RunWriter) throws -> ActivationRun {
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            return try RunReader(directory: dir.path).run
        }
    }

    @Test func identicalRunsPairEveryToken() throws {
        let a = try Self.open(RunTestKit.standardRun())
        let pairing = RunPairing(a, a)
        #expect(pairing.branches == a.branches.map(\.id))
        #expect(pairing.mismatches.isEmpty)
        #expect(pairing.tokens.map(\.a) == Array(0..<a.tokenCount) && pairing.tokens.map(\.b) == Array(0..<a.tokenCount))
        #expect(pairing.layers == LayerPairing([0, 3], [0, 3]))
        #expect(!pairing.layers.byDepth)
    }

    /// B lacks r2, has an extra root, a different token text in r1.b and another position in
    /// r1.a.x, and lists its branches in another order: only r1 and r1.a are compared, token by
    /// token, and every other branch is listed with its reason.
    @Test func mismatchesAreListedAndLeftOut() throws {
        let a = try Self.open(RunTestKit.standardRun())
        var specs = Array(RunTestKit.tree.prefix(4))
        specs.swapAt(1, 2)
        specs.append(("r3", nil, nil, [0, 1]))
        var runB = RunTestKit.standardRun(specs)
        runB.editBranch(1) { $0["tokens"] = ["r1.b#0", "CHANGED", "r1.b#2"] }   // r1.b, now second
        runB.editBranch(3) { $0["positions"] = [5, 7] }                         // r1.a.x
        let b = try Self.open(runB)
        let pairing = RunPairing(a, b)
        #expect(pairing.branches == ["r1", "r1.a"])
        #expect(pairing.mismatches == [
            .init(branch: "r1.b", reason: "token 1 differs"),
            .init(branch: "r1.a.x", reason: "position of token 1 differs"),
            .init(branch: "r2", reason: "only in A"),
            .init(branch: "r3", reason: "only in B"),
        ])
        // r1 is tokens 0..<4 in both runs; r1.a is A's 4..<6 and B's 7..<9 (after r1.b's three).
        #expect(pairing.tokens.map(\.a) == [0, 1, 2, 3, 4, 5])
        #expect(pairing.tokens.map(\.b) == [0, 1, 2, 3, 7, 8])
    }

    @Test func layersPairInOrderOrByRelativeDepth() {
        #expect(LayerPairing([0, 3, 6], [1, 4, 7]).pairs.map { [$0.a, $0.b] } == [[0, 0], [1, 1], [2, 2]])
        let depth = LayerPairing([0, 6, 12], [0, 6, 12, 18, 24])
        #expect(depth.byDepth)
        #expect(depth.pairs.map { [$0.a, $0.b] } == [[0, 0], [1, 2], [2, 4]])
        // 5 layers against 2: depths 0, .25, .5, .75, 1 against 0, 1; the tie at .5 goes shallower.
        #expect(LayerPairing([0, 1, 2, 3, 4], [0, 8]).pairs.map(\.b) == [0, 0, 0, 1, 1])
        #expect(LayerPairing([], [1]).pairs.isEmpty)
    }
}
