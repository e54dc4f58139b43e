import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

@Suite("RunReader: variants")
struct RunVariantsTests {
    typealias Kit = RunTestKit

    /// The standard run plus a `zero_pe` variant whose states are the main ones negated.
    private func runWithVariant() -> RunWriter {
        var run = Kit.standardRun()
        let variant = Kit.standardRun { b, l, t, c in -Kit.value(branch: b, slice: l, token: t, dim: c) }
        run.manifest["variants"] = ["zero_pe": "activations.zero_pe.safetensors"]
        run.extraFiles = ["activations.zero_pe.safetensors": variant.tensors]
        return run
    }

    @Test func variantStatesAreReadLikeTheMainOnes() throws {
        let run = runWithVariant()
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            #expect(reader.warnings.isEmpty)
            #expect(reader.run.variants.map(\.name) == ["zero_pe"])
            for slice in 0..<2 {
                let main = try reader.states(slice: slice)
                let zero = try reader.states(slice: slice, variant: "zero_pe")
                #expect(zero.rows == 14 && zero.cols == 3)
                #expect(zero.storage == main.storage.map { -$0 }, "slice \(slice)")
            }
        }
    }

    @Test func unknownVariantNameThrows() throws {
        try TemporaryFolder.with { dir in
            try runWithVariant().write(to: dir)
            let reader = try RunReader(directory: dir.path)
            let error = try #require(throws: InputError.self) { _ = try reader.states(slice: 0, variant: "nope") }
            Kit.check(error, file: Kit.runJSON(dir), field: "variants", mentions: ["nope"])
        }
    }

    /// A variant that cannot be used is dropped with a warning naming the file and field; the run
    /// still opens and the other variants stay.
    @Test func brokenVariantsAreDroppedWithAWarning() throws {
        var run = runWithVariant()
        run.manifest["variants"] = [
            "zero_pe": "activations.zero_pe.safetensors",
            "absent": "absent.safetensors",
            "misshapen": "misshapen.safetensors",
            "garbage": "garbage.safetensors",
        ]
        var misshapen = run.extraFiles["activations.zero_pe.safetensors"]!
        misshapen[1].shape = [2, 1, 6]
        run.extraFiles["misshapen.safetensors"] = misshapen
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            try Data([1, 2, 3]).write(to: dir.appendingPathComponent("garbage.safetensors"))
            let reader = try RunReader(directory: dir.path)
            #expect(reader.run.variants.map(\.name) == ["zero_pe"])
            let byField = Dictionary(reader.warnings.map { ($0.field ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            #expect(reader.warnings.count == 3)
            #expect(byField["variants.absent"]?.file == Kit.runJSON(dir))
            #expect(byField["tensor \"r1.a\".shape"]?.file == Kit.tensorsPath(dir, "misshapen.safetensors"))
            #expect(byField["header length"]?.file == Kit.tensorsPath(dir, "garbage.safetensors"))
            for w in reader.warnings {
                #expect(Kit.isOneLine(w.description))
                #expect(w.description.contains("ignored"))
            }
            _ = try reader.states(slice: 1, variant: "zero_pe")
            #expect(throws: InputError.self) { _ = try reader.states(slice: 1, variant: "misshapen") }
        }
    }

    @Test func nonFiniteVariantValueNamesTheVariantFile() throws {
        var run = runWithVariant()
        let bad = Kit.standardRun { b, l, t, c in (b, l, t, c) == (4, 0, 1, 2) ? .infinity : 1 }
        run.extraFiles["activations.zero_pe.safetensors"] = bad.tensors
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let reader = try RunReader(directory: dir.path)
            _ = try reader.states(slice: 0)
            let error = try #require(throws: InputError.self) { _ = try reader.states(slice: 0, variant: "zero_pe") }
            Kit.check(error, file: Kit.tensorsPath(dir, "activations.zero_pe.safetensors"), field: "tensor \"r2\"",
                      mentions: ["layer 0", "token 1", "dimension 2"])
        }
    }

    @Test func variantsFieldOfWrongType() throws {
        try Kit.expectManifestFails({ $0.manifest["variants"] = ["zero_pe": 3] }, field: "variants.zero_pe")
        try Kit.expectManifestFails({ $0.manifest["variants"] = ["a.safetensors"] }, field: "variants")
    }
}

@Suite("RunReader: token text repair")
struct RunTextRepairTests {
    typealias Kit = RunTestKit

    /// Writes a one-branch run whose first token is the raw JSON string literal `literal`
    /// (including its quotes) and returns the reader.
    private func read(tokenLiteral literal: String, in dir: URL) throws -> RunReader {
        try Kit.standardRun([("a", nil, nil, [0, 1])]).write(to: dir)
        let url = dir.appendingPathComponent("run.json")
        var bytes = try Data(contentsOf: url)
        let range = try #require(bytes.range(of: Data("\"a#0\"".utf8)))
        bytes.replaceSubrange(range, with: Data(literal.utf8))
        try bytes.write(to: url)
        return try RunReader(directory: dir.path)
    }

    @Test("lone surrogate escapes become U+FFFD with a warning", arguments: [
        (#""x\ud83dy""#, "x\u{FFFD}y", 1),
        (#""ab\uD83D""#, "ab\u{FFFD}", 1),
        (#""\udf31\ud83c""#, "\u{FFFD}\u{FFFD}", 2),
        (#""\ud83d\u0041""#, "\u{FFFD}A", 1),
        (#""\"\ud83d\"""#, "\"\u{FFFD}\"", 1),
        (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀", 1),
    ])
    func loneSurrogates(literal: String, expected: String, count: Int) throws {
        try TemporaryFolder.with { dir in
            let reader = try read(tokenLiteral: literal, in: dir)
            #expect(reader.run.branches[0].tokens == [expected, "a#1"])
            #expect(reader.warnings.count == 1)
            let w = try #require(reader.warnings.first)
            #expect(w.file == Kit.runJSON(dir))
            #expect(w.description.contains("surrogate"))
            #expect(w.description.contains("\(count)"))
        }
    }

    @Test("proper pairs and escaped backslashes are left alone", arguments: [
        (#""\ud83c\udf31 grows""#, "🌱 grows"),
        (#""\\ud83d""#, #"\ud83d"#),
        (#""\\\\ud83d\\""#, #"\\ud83d\"#),
        (#""plain \u00e9""#, "plain é"),
    ])
    func validEscapes(literal: String, expected: String) throws {
        try TemporaryFolder.with { dir in
            let reader = try read(tokenLiteral: literal, in: dir)
            #expect(reader.run.branches[0].tokens == [expected, "a#1"])
            #expect(reader.warnings.isEmpty)
        }
    }
}
