import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Bad safetensors files: each must fail with an `InputError` naming the safetensors file and the
/// field (header length, header, tensor "<id>", its dtype / shape / data_offsets), in one line.
@Suite("RunReader: bad safetensors")
struct SafetensorsErrorTests {
    typealias Kit = RunTestKit

    /// Writes the standard run, then replaces its tensor file with `bytes` and expects opening to
    /// fail on the tensor file's `field`.
    private func expectTensorFileFails(_ bytes: Data, field: String?, mentions words: [String] = [],
                                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        try TemporaryFolder.with { dir in
            try Kit.standardRun().write(to: dir)
            try bytes.write(to: dir.appendingPathComponent("activations.safetensors"))
            let error = #expect(throws: InputError.self, sourceLocation: sourceLocation) {
                _ = try RunReader(directory: dir.path)
            }
            if let error {
                Kit.check(error, file: Kit.tensorsPath(dir), field: field, mentions: words, sourceLocation: sourceLocation)
            }
        }
    }

    /// Expects the standard run with `edit` applied to its tensors to fail on `field`.
    private func expectTensorsFail(_ edit: (inout RunWriter) -> Void, field: String, mentions words: [String] = [],
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        var run = Kit.standardRun()
        edit(&run)
        try Kit.expectOpenFails(run, file: { Kit.tensorsPath($0) }, field: field, mentions: words,
                                sourceLocation: sourceLocation)
    }

    // MARK: the header

    @Test("file shorter than 8 bytes", arguments: [0, 1, 7])
    func fileShorterThanEightBytes(size: Int) throws {
        try expectTensorFileFails(Data(repeating: 1, count: size), field: "header length", mentions: ["\(size)"])
    }

    @Test func headerLengthPastTheEnd() throws {
        let good = RunWriter.safetensors(Kit.standardRun().tensors)
        let header = good.subdata(in: 8..<good.count)
        // One byte too many, and an absurd length that would overflow a signed size.
        try expectTensorFileFails(RunWriter.rawSafetensors(header: header, headerLength: UInt64(header.count + 1)),
                                  field: "header length")
        try expectTensorFileFails(RunWriter.rawSafetensors(header: header, headerLength: UInt64.max), field: "header length")
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data(), headerLength: 1 << 40), field: "header length")
    }

    @Test func headerNotJSON() throws {
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data("{\"r1\": {\"dtype\"".utf8)), field: "header",
                                  mentions: ["JSON"])
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data([0xFF, 0xFE, 0x00, 0x7B])), field: "header")
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data()), field: "header")
    }

    @Test func headerNotAnObject() throws {
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data("[1, 2, 3]".utf8)), field: "header")
    }

    // MARK: tensor entries

    @Test func shapeTimesDTypeDoesNotMatchTheBytes() throws {
        // r1 is [2, 4, 3] F32 = 96 bytes; declare a fourth dimension of width 4 instead of 3.
        try expectTensorsFail({ $0.editTensor("r1") { $0.shape = [2, 4, 4] } }, field: "tensor \"r1\"",
                              mentions: ["96"])
        // The right shape but F16 (half the bytes the data spans).
        try expectTensorsFail({ $0.editTensor("r1.a") { $0.dtype = "F16" } }, field: "tensor \"r1.a\"")
    }

    @Test func dataOffsetsOutOfRange() throws {
        let run = Kit.standardRun()
        let total = run.tensors.reduce(0) { $0 + $1.data.count }
        // Past the end of the data section (but consistent with the shape).
        try expectTensorsFail({ $0.editTensor("r2") { $0.offsets = [total - 36, total + 36] } },
                              field: "tensor \"r2\".data_offsets", mentions: ["\(total)"])
        // begin > end
        try expectTensorsFail({ $0.editTensor("r2") { $0.offsets = [72, 0] } }, field: "tensor \"r2\".data_offsets")
        // negative begin
        try expectTensorsFail({ $0.editTensor("r2") { $0.offsets = [-72, 0] } }, field: "tensor \"r2\".data_offsets")
        // not a pair
        try expectTensorsFail({ $0.editTensor("r2") { $0.offsets = [0] } }, field: "tensor \"r2\".data_offsets")
        try expectTensorsFail({ $0.editTensor("r2") { $0.offsets = [0, "72"] } }, field: "tensor \"r2\".data_offsets")
    }

    @Test("unsupported dtype", arguments: ["F64", "I32", "f32", "BOOL"])
    func unsupportedDType(dtype: String) throws {
        try expectTensorsFail({ run in
            run.editTensor("r1.b") { t in
                t.dtype = dtype
                if dtype == "F64" {
                    // A correctly sized F64 tensor: the dtype itself is what must be refused.
                    t.data = RunWriter.encode((0..<18).map(Float.init), as: "F64")
                }
            }
        }, field: "tensor \"r1.b\".dtype", mentions: [dtype])
    }

    @Test func missingDTypeOrBadShape() throws {
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data("{\"r1\": {\"shape\": [2, 4, 3], \"data_offsets\": [0, 96]}}".utf8),
                                                     data: Data(count: 96)),
                                  field: "tensor \"r1\".dtype", mentions: ["missing"])
        try expectTensorsFail({ $0.editTensor("r1") { $0.shape = [2, -4, 3] } }, field: "tensor \"r1\".shape")
        try expectTensorsFail({ $0.editTensor("r1") { $0.shape = [2, "4", 3] } }, field: "tensor \"r1\".shape")
    }

    /// A header entry that is not an object.
    @Test func entryNotAnObject() throws {
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data("{\"r1\": [1, 2]}".utf8)), field: "tensor \"r1\"")
    }

    /// Shapes and offsets are integers: 4.5 is not 4, true is not 1. The shape [2, 4.5, 3] would be
    /// accepted as [2, 4, 3] if fractions were truncated, and then match the 96 bytes of r1.
    ///
    /// Fractions and booleans must not pass as integers in a header's shape or offsets.
    @Test func fractionalOrBooleanShapeAndOffsetsAreRejected() throws {
        try expectTensorsFail({ $0.editTensor("r1") { $0.shape = [2, 4.5, 3] } }, field: "tensor \"r1\".shape")
        // A one-token branch wants [2, 1, 3]; true must not stand in for the 1.
        var one = Kit.standardRun([("a", nil, nil, [0])])
        one.editTensor("a") { $0.shape = [2, true, 3] }
        try Kit.expectOpenFails(one, file: { Kit.tensorsPath($0) }, field: "tensor \"a\".shape")
        try expectTensorsFail({ $0.editTensor("r1") { $0.offsets = [0, 96.9] } }, field: "tensor \"r1\".data_offsets")
    }

    // MARK: tensors against the manifest

    @Test func branchTensorMissing() throws {
        try expectTensorsFail({ $0.tensors.removeAll { $0.name == "r1.a.x" } }, field: "tensor \"r1.a.x\"",
                              mentions: ["missing"])
        // A tensor under a different name does not count.
        try expectTensorsFail({ $0.editTensor("r2") { $0.name = "r2 " } }, field: "tensor \"r2\"", mentions: ["missing"])
    }

    @Test func misshapenTensor() throws {
        // r1.b wants [2 layers, 3 tokens, 3 hidden]; same bytes, dimensions swapped.
        try expectTensorsFail({ $0.editTensor("r1.b") { $0.shape = [3, 2, 3] } }, field: "tensor \"r1.b\".shape",
                              mentions: ["[2, 3, 3]"])
        try expectTensorsFail({ $0.editTensor("r1.b") { $0.shape = [18] } }, field: "tensor \"r1.b\".shape")
        try expectTensorsFail({ $0.editTensor("r1.b") { $0.shape = [2, 3, 3, 1] } }, field: "tensor \"r1.b\".shape")
        // One layer too few (the data shrinks with it).
        try expectTensorsFail({ run in
            run.editTensor("r1.b") { t in
                t.shape = [1, 3, 3]
                t.data = RunWriter.encode([Float](repeating: 1, count: 9), as: "F32")
            }
        }, field: "tensor \"r1.b\".shape")
    }

    @Test func extraTensorsAreIgnored() throws {
        var run = Kit.standardRun()
        run.tensors.append(RunWriter.Tensor(name: "unused", dtype: "F32", shape: [1], data: RunWriter.encode([7], as: "F32")))
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            #expect(try reader.states(slice: 0).rows == 14)
        }
    }

    /// A branch id holding a line break must not break the one-line description.
    @Test func idWithLineBreakStillGivesOneLine() throws {
        var run = Kit.standardRun()
        run.editBranch(4) { $0["id"] = "r2\nsecond line" }
        // The tensor keeps the old name, so the branch's tensor is missing.
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let error = try #require(throws: InputError.self) { _ = try RunReader(directory: dir.path) }
            #expect(error.file == Kit.tensorsPath(dir))
            #expect(error.field?.hasPrefix("tensor") == true)
            // The id's line break must not split the error over two lines.
            #expect(Kit.isOneLine(error.description), "description spans lines: \(error.description)")
        }
    }

    // MARK: values

    /// NaN or infinity: opening succeeds (only headers are checked), reading the slice that holds it
    /// fails, naming the tensor, the layer, the token and the dimension.
    @Test("non-finite values", arguments: [
        ("F32", Float.nan), ("F32", Float.infinity), ("F32", -Float.infinity),
        ("F16", Float.infinity), ("F16", Float.nan), ("BF16", Float.nan), ("BF16", -Float.infinity),
    ])
    func nonFiniteValue(dtype: String, bad: Float) throws {
        // Put `bad` in r1.b (branch 2), slice 1 (layer 3), token 2, dimension 1.
        let run = Kit.standardRun(dtype: dtype) { b, l, t, c in
            if b == 2 && l == 1 && t == 2 && c == 1 { return bad }
            return Float((b + l + t + c) % 5) - 2     // small integers, exact in every dtype
        }
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            _ = try reader.states(slice: 0)           // the other layer is fine
            let error = try #require(throws: InputError.self) { _ = try reader.states(slice: 1) }
            Kit.check(error, file: Kit.tensorsPath(dir), field: "tensor \"r1.b\"",
                      mentions: ["layer 3", "token 2", "dimension 1"])
        }
    }

    // MARK: refused before anything is allocated

    /// A header longer than the 100 MB limit is refused from its length alone, before the file's
    /// size is even compared (so a small file can claim it).
    @Test func headerLongerThanTheLimit() throws {
        try expectTensorFileFails(RunWriter.rawSafetensors(header: Data("{}".utf8), headerLength: 100_000_001), field: "header length",
                                  mentions: ["more than a header may have"])
    }

    /// A tensor that claims a terabyte: its offsets run past the data, or its shape disagrees with them.
    @Test func aTerabyteTensorIsRefused() throws {
        try expectTensorsFail({ run in
            run.tensors[0].shape = [2, 1 << 20, 1 << 17]
            run.tensors[0].offsets = [0, 1 << 40]
        }, field: "tensor \"r1\".data_offsets", mentions: ["out of range"])
        try expectTensorsFail({ run in run.tensors[0].shape = [2, 1 << 20, 1 << 17] }, field: "tensor \"r1\"", mentions: ["bytes"])
    }

    /// Two tensors over the same bytes, and bytes that belong to no tensor, are refused.
    @Test func overlappingOrGappedOffsets() throws {
        let run = Kit.standardRun()
        let sizes = run.tensors.map(\.data.count)
        try expectTensorsFail({ run in
            run.tensors[1].offsets = [0, sizes[1]]      // r1.a claims the start of r1's bytes
            run.tensors[1].data = Data()
        }, field: "tensor \"r1\".data_offsets", mentions: ["overlaps"])   // r1 is then the second to start at 0
        try expectTensorsFail({ run in
            run.tensors[0].data.append(Data(repeating: 0, count: 8))  // 8 bytes after the first tensor
            run.tensors[0].offsets = [0, sizes[0]]
        }, field: "tensor \"\(run.tensors[1].name)\".data_offsets", mentions: ["to no tensor"])
        try expectTensorFileFails(RunWriter.safetensors(run.tensors) + Data(repeating: 0, count: 4), field: "data_offsets",
                                  mentions: ["end at byte"])
    }
}
