import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Bad run folders and run.json files: each must fail with an `InputError` naming run.json (or the
/// folder) and the exact field, in one line.
@Suite("RunReader: bad run.json")
struct RunManifestErrorTests {
    typealias Kit = RunTestKit

    // MARK: the folder and the file

    @Test func missingRunFolder() throws {
        try TemporaryFolder.with { dir in
            let missing = dir.appendingPathComponent("no-such-run").path
            let error = try #require(throws: InputError.self) { _ = try RunReader(directory: missing) }
            Kit.check(error, file: missing, field: nil, mentions: ["no such run folder"])
        }
    }

    @Test func missingRunJSON() throws {
        try TemporaryFolder.with { dir in
            try RunWriter.safetensors([]).write(to: dir.appendingPathComponent("activations.safetensors"))
            let error = try #require(throws: InputError.self) { _ = try RunReader(directory: dir.path) }
            Kit.check(error, file: Kit.runJSON(dir), field: nil, mentions: ["not found"])
        }
    }

    @Test("malformed JSON", arguments: [
        "{\"format\": \"forkscope.run/1\",",
        "{\"format\": \"forkscope.run/1\"\n\n \"layers\": [0]}",
        "",
        "not json at all\n",
    ])
    func malformedJSON(text: String) throws {
        try TemporaryFolder.with { dir in
            try Data(text.utf8).write(to: dir.appendingPathComponent("run.json"))
            let error = try #require(throws: InputError.self) { _ = try RunReader(directory: dir.path) }
            Kit.check(error, file: Kit.runJSON(dir), field: nil, mentions: ["malformed JSON"])
        }
    }

    @Test func topLevelIsNotAnObject() throws {
        try TemporaryFolder.with { dir in
            try Data("[1, 2]".utf8).write(to: dir.appendingPathComponent("run.json"))
            let error = try #require(throws: InputError.self) { _ = try RunReader(directory: dir.path) }
            Kit.check(error, file: Kit.runJSON(dir), field: nil, mentions: ["object"])
        }
    }

    // MARK: top-level fields

    @Test func wrongFormat() throws {
        try Kit.expectManifestFails({ $0.manifest["format"] = "forkscope.run/2" }, field: "format",
                                    mentions: ["forkscope.run/2", "forkscope.run/1"])
    }

    @Test func missingFormat() throws {
        try Kit.expectManifestFails({ $0.manifest["format"] = nil }, field: "format", mentions: ["missing"])
    }

    @Test func formatNotAString() throws {
        try Kit.expectManifestFails({ $0.manifest["format"] = 1 }, field: "format")
    }

    @Test func missingModelOrModelName() throws {
        try Kit.expectManifestFails({ $0.manifest["model"] = nil }, field: "model", mentions: ["missing"])
        try Kit.expectManifestFails({ $0.manifest["model"] = ["version": "1"] }, field: "model.name", mentions: ["missing"])
        try Kit.expectManifestFails({ $0.manifest["model"] = "gpt" }, field: "model")
    }

    @Test func missingHiddenSize() throws {
        try Kit.expectManifestFails({ $0.manifest["hidden_size"] = nil }, field: "hidden_size", mentions: ["missing"])
        try Kit.expectManifestFails({ $0.manifest["hidden_size"] = NSNull() }, field: "hidden_size", mentions: ["missing"])
    }

    @Test("hidden_size not a positive integer", arguments: [0, -3])
    func hiddenSizeNotPositive(value: Int) throws {
        try Kit.expectManifestFails({ $0.manifest["hidden_size"] = value }, field: "hidden_size")
    }

    @Test func hiddenSizeOfWrongType() throws {
        try Kit.expectManifestFails({ $0.manifest["hidden_size"] = "3" }, field: "hidden_size")
        try Kit.expectManifestFails({ $0.manifest["hidden_size"] = 3.5 }, field: "hidden_size")
        // true must not be read as 1 (nor false as 0).
        try Kit.expectManifestFails({ $0.manifest["hidden_size"] = true }, field: "hidden_size")
    }

    /// `layers` must be integers: booleans (which Foundation hands out as NSNumber), strings and
    /// fractions are rejected with the index of the bad entry.
    @Test func layersNotIntegers() throws {
        try Kit.expectManifestFails({ $0.manifest["layers"] = [0, true] }, field: "layers[1]", mentions: ["integer"])
        try Kit.expectManifestFails({ $0.manifest["layers"] = [true, false] }, field: "layers[0]", mentions: ["integer"])
        try Kit.expectManifestFails({ $0.manifest["layers"] = [0, 1.5] }, field: "layers[1]")
        try Kit.expectManifestFails({ $0.manifest["layers"] = ["0", 3] }, field: "layers[0]")
        try Kit.expectManifestFails({ $0.manifest["layers"] = [0, NSNull()] }, field: "layers[1]")
        try Kit.expectManifestFails({ $0.manifest["layers"] = [0, 1e30] }, field: "layers[1]")
        try Kit.expectManifestFails({ $0.manifest["layers"] = "0,3" }, field: "layers")
        try Kit.expectManifestFails({ $0.manifest["layers"] = [Int]() }, field: "layers")
        try Kit.expectManifestFails({ $0.manifest["layers"] = [3, 3] }, field: "layers")
    }

    /// `true` written literally in the JSON text (not through JSONSerialization of a Swift Bool).
    @Test func literalTrueInLayers() throws {
        try TemporaryFolder.with { dir in
            let run = Kit.standardRun()
            try run.write(to: dir)
            let url = dir.appendingPathComponent("run.json")
            var text = try String(contentsOf: url, encoding: .utf8)
            let compact = text.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\n", with: "")
            #expect(compact.contains("\"layers\":[0,3]"))
            text = compact.replacingOccurrences(of: "\"layers\":[0,3]", with: "\"layers\":[true,3]")
            try Data(text.utf8).write(to: url)
            let error = try #require(throws: InputError.self) { _ = try RunReader(directory: dir.path) }
            Kit.check(error, file: Kit.runJSON(dir), field: "layers[0]")
        }
    }

    @Test func tensorsFileMissingOrNotNamed() throws {
        try Kit.expectManifestFails({ $0.manifest["tensors"] = "other.safetensors" }, field: "tensors",
                                    mentions: ["other.safetensors"])
        try Kit.expectManifestFails({ $0.manifest["tensors"] = nil }, field: "tensors", mentions: ["missing"])
    }

    @Test func branchesEmptyOrNotObjects() throws {
        try Kit.expectManifestFails({ $0.manifest["branches"] = [Any]() }, field: "branches")
        try Kit.expectManifestFails({ $0.manifest["branches"] = nil }, field: "branches", mentions: ["missing"])
        try Kit.expectManifestFails({ run in
            var b = run.manifest["branches"] as! [Any]
            b[1] = "r1.a"
            run.manifest["branches"] = b
        }, field: "branches[1]")
    }

    // MARK: branches

    @Test func duplicateIDs() throws {
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["id"] = "r1.a" } }, field: "branches[2].id",
                                    mentions: ["r1.a", "branches[1]"])
    }

    @Test func emptyOrMissingID() throws {
        try Kit.expectManifestFails({ $0.editBranch(4) { $0["id"] = "" } }, field: "branches[4].id")
        try Kit.expectManifestFails({ $0.editBranch(4) { $0["id"] = nil } }, field: "branches[4].id", mentions: ["missing"])
    }

    @Test func tokensAndPositionsOfDifferentLengths() throws {
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["positions"] = [4, 5, 6] } }, field: "branches[1].positions",
                                    mentions: ["3", "2"])
        try Kit.expectManifestFails({ $0.editBranch(0) { $0["positions"] = [0] } }, field: "branches[0].positions")
    }

    @Test func badTokensOrPositions() throws {
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["tokens"] = [String]() } }, field: "branches[1].tokens")
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["tokens"] = ["x", 5] } }, field: "branches[1].tokens[1]")
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["positions"] = [4, -5] } }, field: "branches[1].positions[1]")
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["positions"] = [4, true] } }, field: "branches[1].positions[1]")
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["positions"] = [4, 5.5] } }, field: "branches[1].positions[1]")
    }

    @Test func logprobsOfWrongLengthOrType() throws {
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["logprobs"] = [-1, -2] } }, field: "branches[2].logprobs",
                                    mentions: ["2", "3"])
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["logprobs"] = [-1, -2, -3, -4] } }, field: "branches[2].logprobs")
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["logprobs"] = [-1, "x", -3] } }, field: "branches[2].logprobs[1]")
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["logprobs"] = [-1, true, -3] } }, field: "branches[2].logprobs[1]")
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["logprobs"] = -1 } }, field: "branches[2].logprobs")
    }

    @Test func unknownParent() throws {
        try Kit.expectManifestFails({ $0.editBranch(3) { $0["parent"] = "r9" } }, field: "branches[3].parent",
                                    mentions: ["r9"])
    }

    @Test func cycleOfParents() throws {
        // a -> b -> a: neither reaches a root.
        let specs: [Kit.Spec] = [("root", nil, nil, [0, 1]), ("a", "b", 1, [1, 2]), ("b", "a", 1, [2, 3])]
        let run = Kit.standardRun(specs)
        try Kit.expectOpenFails(run, file: Kit.runJSON, field: "branches[1].parent", mentions: ["cycle"])
    }

    @Test func selfParent() throws {
        let specs: [Kit.Spec] = [("root", nil, nil, [0, 1]), ("a", "a", 1, [1, 2])]
        try Kit.expectOpenFails(Kit.standardRun(specs), file: Kit.runJSON, field: "branches[1].parent", mentions: ["cycle"])
    }

    @Test func forkAtMissingForAChild() throws {
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["fork_at"] = NSNull() } }, field: "branches[1].fork_at",
                                    mentions: ["missing"])
        try Kit.expectManifestFails({ $0.editBranch(3) { $0["fork_at"] = nil } }, field: "branches[3].fork_at")
    }

    /// fork_at indexes the parent's own tokens: 1...count. r1 has 4 tokens, r1.a has 2.
    @Test("fork_at out of range", arguments: [(1, 0), (1, 5), (1, -1), (3, 3), (3, 0)])
    func forkAtOutOfRange(input: (Int, Int)) throws {
        let (branch, forkAt) = input
        try Kit.expectManifestFails({ $0.editBranch(branch) { $0["fork_at"] = forkAt } }, field: "branches[\(branch)].fork_at",
                                    mentions: ["\(forkAt)"])
    }

    @Test func forkAtNotAnInteger() throws {
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["fork_at"] = true } }, field: "branches[1].fork_at")
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["fork_at"] = "4" } }, field: "branches[1].fork_at")
        try Kit.expectManifestFails({ $0.editBranch(1) { $0["fork_at"] = 2.5 } }, field: "branches[1].fork_at")
    }

    @Test func forkAtAtTheBoundsIsAccepted() throws {
        var run = Kit.standardRun()
        run.editBranch(1) { $0["fork_at"] = 1 }
        run.editBranch(3) { $0["fork_at"] = 2 }
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let r = try RunReader(directory: dir.path).run
            #expect(r.branches[1].forkAt == 1 && r.branches[3].forkAt == 2)
            #expect(r.forkToken(of: 1) == 0 && r.forkToken(of: 3) == 5)
        }
    }

    /// The description is one line even when the offending value itself spans lines.
    @Test func multiLineValuesStillGiveOneLine() throws {
        try Kit.expectManifestFails({ $0.manifest["format"] = "forkscope\nrun/2" }, field: "format")
        try Kit.expectManifestFails({ $0.editBranch(3) { $0["parent"] = "r9\nr10" } }, field: "branches[3].parent")
    }
}

@Suite("RunReader: bad run.json, more fields")
struct RunManifestFieldTypeTests {
    typealias Kit = RunTestKit

    @Test func stringFieldsOfWrongType() throws {
        try Kit.expectManifestFails({ $0.manifest["title"] = 5 }, field: "title")
        try Kit.expectManifestFails({ $0.manifest["tensors"] = ["a"] }, field: "tensors")
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["parent"] = 0 } }, field: "branches[2].parent")
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["label"] = ["x"] } }, field: "branches[2].label")
        try Kit.expectManifestFails({ $0.editBranch(2) { $0["id"] = 7 } }, field: "branches[2].id")
        try Kit.expectManifestFails({ $0.manifest["model"] = ["name": "m", "version": 2] }, field: "model.version")
    }

    @Test func tensorsFileIsADirectory() throws {
        try TemporaryFolder.with { dir in
            var run = Kit.standardRun()
            run.manifest["tensors"] = "sub"
            try run.write(to: dir)
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: false)
            let error = try #require(throws: InputError.self) { _ = try RunReader(directory: dir.path) }
            Kit.check(error, file: Kit.tensorsPath(dir, "sub"), field: nil)
        }
    }
}
