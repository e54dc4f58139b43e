import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

@Suite("RunReader: valid runs")
struct RunReaderTests {
    typealias Kit = RunTestKit

    // MARK: dtype round trips

    /// Values exactly representable in every dtype, including each dtype's extremes.
    static let roundTrips: [(String, [Float])] = [
        ("F32", [1.5, -2, 0.25, 0, -0.0, 65504, .greatestFiniteMagnitude, -.leastNonzeroMagnitude,
                 .leastNormalMagnitude, 123456.78, -7.5e-8, 1]),
        ("F16", [1.5, -2, 0.25, 0, -0.0, 65504, -65504, 0x1p-14, 0x1p-24, 1023.5, -0.0999755859375, 2048]),
        ("BF16", [1.5, -2, 0.25, 0, -0.0, Float(bitPattern: 0x7F7F_0000), -.leastNormalMagnitude,
                  Float(bitPattern: 0x0001_0000), 65536, -0.1015625, 258, 1]),
    ]

    @Test("round trip", arguments: roundTrips)
    func roundTrip(dtype: String, values: [Float]) throws {
        // One root, 2 layers x 2 tokens x 3 dims = 12 values.
        let run = Kit.standardRun([("r", nil, nil, [0, 1])], layers: [4, 9], hidden: 3, dtype: dtype) { _, l, t, c in
            values[l * 6 + t * 3 + c]
        }
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            #expect(reader.warnings.isEmpty)
            #expect(reader.run.layers == [4, 9])
            for slice in 0..<2 {
                let m = try reader.states(slice: slice)
                #expect(m.rows == 2 && m.cols == 3)
                let want = values[(slice * 6)..<(slice * 6 + 6)].map(Double.init)
                #expect(m.storage == want, "slice \(slice) of \(dtype)")
                // -0.0 must stay negative zero, not just compare equal to 0.
                for (got, w) in zip(m.storage, want) where w == 0 { #expect(got.sign == w.sign) }
            }
        }
    }

    @Test func f16SubnormalsAndBF16BitPatternsAreDecodedExactly() throws {
        // Raw bit patterns written by hand: F16 0x0001 = 2^-24, 0x8400 = -2^-14, 0x3C01 = 1 + 2^-10;
        // BF16 0x3F80 = 1, 0xC2F7 = -123.5, 0x0001 = smallest subnormal 2^-133.
        let f16: [UInt16] = [0x0001, 0x8400, 0x3C01]
        let bf16: [UInt16] = [0x3F80, 0xC2F7, 0x0001]
        let want16: [Double] = [0x1p-24, -0x1p-14, 1 + 0x1p-10]
        let wantBF: [Double] = [1, -123.5, 0x1p-133]
        for (dtype, bits, want) in [("F16", f16, want16), ("BF16", bf16, wantBF)] {
            var run = Kit.standardRun([("r", nil, nil, [0])], layers: [0], hidden: 3, dtype: dtype) { _, _, _, _ in 0 }
            run.editTensor("r") { t in
                var d = Data()
                for b in bits { withUnsafeBytes(of: b.littleEndian) { d.append(contentsOf: $0) } }
                t.data = d
            }
            try TemporaryFolder.with { dir in
                try run.write(to: dir)
                let m = try RunReader(directory: dir.path).states(slice: 0)
                #expect(m.storage == want, "\(dtype)")
            }
        }
    }

    // MARK: the branch tree

    @Test func branchTreeIsReadInRunOrder() throws {
        let run = Kit.standardRun()
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            let r = reader.run
            #expect(r.title == "test run")
            #expect(r.model == ActivationRun.Model(name: "test-model", version: "1", positionalEncoding: "rope"))
            #expect(r.hiddenSize == 3 && r.layers == [0, 3])
            #expect(r.tensorsFile == "activations.safetensors")
            #expect(r.variants.isEmpty)
            #expect(r.branches.map(\.id) == ["r1", "r1.a", "r1.b", "r1.a.x", "r2"])
            #expect(r.branches.map(\.parent) == [nil, 0, 0, 1, nil])
            #expect(r.branches.map(\.forkAt) == [nil, 4, 4, 1, nil])
            #expect(r.branches.map(\.label) == ["branch r1", "branch r1.a", "branch r1.b", "branch r1.a.x", "branch r2"])
            #expect(r.branches[2].tokens == ["r1.b#0", "r1.b#1", "r1.b#2"])
            #expect(r.branches[0].logprobs == nil)
            #expect(r.roots == [0, 4])
            #expect(r.children == [[1, 2], [3], [], [], []])
            #expect(r.tokenCount == 14)
            #expect(r.branchOffsets == [0, 4, 6, 9, 11, 14])
            #expect(r.tokenBranch == [0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4])
            #expect(r.tokenPositions == [0, 1, 2, 3, 4, 5, 4, 5, 6, 5, 6, 0, 1, 2])
            // The fork token is the parent token the branch follows (run-order index).
            #expect(r.forkToken(of: 0) == nil)
            #expect(r.forkToken(of: 1) == 3)     // r1 token 3
            #expect(r.forkToken(of: 2) == 3)
            #expect(r.forkToken(of: 3) == 4)     // r1.a token 0 (offset 4 + 1 - 1)
            #expect(r.forkToken(of: 4) == nil)
            // Inherited prefix, root first.
            #expect(r.inheritedPrefix(of: 0).isEmpty)
            #expect(r.inheritedPrefix(of: 2).map { [$0.branch, $0.count] } == [[0, 4]])
            #expect(r.inheritedPrefix(of: 3).map { [$0.branch, $0.count] } == [[0, 4], [1, 1]])

            // States: one row per token in run order, every branch's rows from its own tensor.
            for slice in 0..<2 {
                let m = try reader.states(slice: slice)
                #expect(m.rows == 14 && m.cols == 3)
                var row = 0
                for (b, branch) in r.branches.enumerated() {
                    for t in 0..<branch.tokens.count {
                        let want = (0..<3).map { Double(Kit.value(branch: b, slice: slice, token: t, dim: $0)) }
                        #expect(Array(m.row(row)) == want, "slice \(slice) branch \(branch.id) token \(t)")
                        row += 1
                    }
                }
            }
        }
    }

    @Test func tensorsMayBeStoredInAnyOrderAndPlace() throws {
        // Tensors written in reverse order, so data_offsets do not follow the manifest order.
        var run = Kit.standardRun()
        run.tensors.reverse()
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            let m = try reader.states(slice: 1)
            #expect(Array(m.row(0)) == (0..<3).map { Double(Kit.value(branch: 0, slice: 1, token: 0, dim: $0)) })
            #expect(Array(m.row(13)) == (0..<3).map { Double(Kit.value(branch: 4, slice: 1, token: 2, dim: $0)) })
        }
    }

    // MARK: optional and unknown fields

    @Test func unknownFieldsAreIgnored() throws {
        var run = Kit.standardRun()
        run.manifest["capture"] = ["tool": "x", "nested": [1, 2, ["deep": true]]]
        run.manifest["comment"] = NSNull()
        run.manifest["n_things"] = 12
        run.editBranch(0) { b in
            b["group"] = "gardening"
            b["n_prompt_tokens"] = 2
            b["text"] = "anything"
            b["extra"] = ["a": [NSNull()]]
        }
        run.editBranch(3) { b in b["group"] = 17 }
        var model = run.manifest["model"] as! [String: Any]
        model["quantization"] = "Q4_1"
        run.manifest["model"] = model
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            // A file the format does not know about sits next to the run.
            try Data("{}".utf8).write(to: dir.appendingPathComponent("expected.json"))
            let reader = try RunReader(directory: dir.path)
            #expect(reader.warnings.isEmpty)
            #expect(reader.run.branches.count == 5)
            #expect(reader.run.branches[0].tokens == ["r1#0", "r1#1", "r1#2", "r1#3"])
        }
    }

    @Test func metadataEntryInTheHeaderIsIgnored() throws {
        var run = Kit.standardRun()
        run.metadata = ["format": "pt", "generator": "tests", "dtype": "F64", "shape": "[1,2]"]
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            #expect(try reader.states(slice: 0).rows == 14)
            let file = try TensorFile(safetensors: Kit.tensorsPath(dir), displayName: "x")
            #expect(Set(file.tensors.keys) == ["r1", "r1.a", "r1.b", "r1.a.x", "r2"])
        }
    }

    @Test func optionalFieldsAndLogprobs() throws {
        var run = Kit.standardRun([("a", nil, nil, [0, 1]), ("b", "a", 1, [1, 2, 3])])
        run.manifest["title"] = nil
        run.manifest["variants"] = ["zero_pe": "z.safetensors", "alt": "alt.safetensors"]
        run.extraFiles = ["z.safetensors": run.tensors, "alt.safetensors": run.tensors]
        run.manifest["model"] = ["name": "m"]
        run.editBranch(0) { b in
            b["label"] = nil
            b["logprobs"] = [NSNull(), -1.5]
        }
        run.editBranch(1) { b in b["logprobs"] = [-0.25, 0, -3] }
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            let r = reader.run
            // A missing title falls back to the folder's name, with a warning on run.json.
            #expect(r.title == dir.lastPathComponent)
            #expect(reader.warnings.map(\.field) == ["title"])
            #expect(reader.warnings.first?.file == Kit.runJSON(dir))
            #expect(r.model == ActivationRun.Model(name: "m", version: nil, positionalEncoding: nil))
            #expect(r.variants.map(\.name) == ["alt", "zero_pe"])
            #expect(r.variants.map(\.file) == ["alt.safetensors", "z.safetensors"])
            #expect(r.branches[0].label == "a")
            #expect(r.branches[0].logprobs == [nil, -1.5])
            #expect(r.branches[1].logprobs == [-0.25, 0, -3])
        }
    }

    @Test func forkAtOnARootIsIgnoredWithAWarning() throws {
        var run = Kit.standardRun()
        run.editBranch(4) { b in b["fork_at"] = 2 }
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            #expect(reader.run.branches[4].forkAt == nil)
            #expect(reader.run.roots == [0, 4])
            #expect(reader.warnings.count == 1)
            #expect(reader.warnings.first?.file == Kit.runJSON(dir))
            #expect(reader.warnings.first?.field == "branches[4].fork_at")
        }
    }

    @Test func integralFloatsAreAcceptedAsIntegers() throws {
        // 3.0 is an integer written as a float; JSON does not distinguish.
        var run = Kit.standardRun()
        run.manifest["layers"] = [0.0, 3.0]
        run.editBranch(1) { b in b["fork_at"] = 4.0 }
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            #expect(reader.run.layers == [0, 3])
            #expect(reader.run.branches[1].forkAt == 4)
        }
    }

    // MARK: text

    @Test func invalidUTF8InATokenIsReplacedWithAWarning() throws {
        let run = Kit.standardRun([("a", nil, nil, [0, 1])])
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            // Put the bytes "ab", 0xFF, "cd" in place of the first token's text.
            let url = dir.appendingPathComponent("run.json")
            var bytes = try Data(contentsOf: url)
            let marker = Data("\"a#0\"".utf8)
            let range = try #require(bytes.range(of: marker))
            bytes.replaceSubrange(range, with: Data([0x22, 0x61, 0x62, 0xFF, 0x63, 0x64, 0x22]))
            try bytes.write(to: url)

            let reader = try RunReader(directory: dir.path)
            #expect(reader.run.branches[0].tokens == ["ab\u{FFFD}cd", "a#1"])
            #expect(reader.warnings.count == 1)
            let w = try #require(reader.warnings.first)
            #expect(w.file == Kit.runJSON(dir))
            #expect(w.description.contains("UTF-8"))
            #expect(Kit.isOneLine(w.description))
        }
    }

    @Test func unicodeTokensAndEscapesSurvive() throws {
        var run = Kit.standardRun([("a", nil, nil, [0, 1, 2, 3])])
        let texts = ["<script>", "tab\there\u{7}", "\u{0}nul", "fünf 🌱 \u{FFFD}"]
        run.editBranch(0) { b in b["tokens"] = texts }
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            #expect(reader.run.branches[0].tokens == texts)
            #expect(reader.warnings.isEmpty)
        }
    }
}
