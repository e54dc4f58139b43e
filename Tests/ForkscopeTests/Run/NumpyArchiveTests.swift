import Foundation
import ForkscopeNumerics
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Sources/Forkscope/Run/NumpyArchive.swift and ZipArchive.swift: runs whose states are NumPy
/// `.npz` archives, written by NumPy itself (Tests/Fixtures/npz/make_npz_fixtures.py), read the
/// same states as the safetensors run they were made from; hostile archives (zip bombs among
/// them) are refused in one line naming the archive and the member.
struct NumpyArchiveTests {
    static let fixtures = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/npz")
    static let source = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/runs/tree-f32")

    static func states(_ reader: RunReader, variant: String? = nil) throws -> [Matrix] {
        try reader.run.layers.indices.map { slice in
            if let variant { try reader.states(slice: slice, variant: variant) } else { try reader.states(slice: slice) }
        }
    }

    @Test("NumPy archives give the safetensors run's states", arguments: ["stored-f32", "compressed-f64"])
    func sameStatesAsSafetensors(folder: String) throws {
        let expected = try Self.states(RunReader(directory: Self.source.path))
        let reader = try RunReader(directory: Self.fixtures.appendingPathComponent(folder).path)
        #expect(reader.warnings.isEmpty)
        let read = try Self.states(reader)
        #expect(read.count == 3)
        for (a, b) in zip(read, expected) {
            #expect(a.rows == b.rows && a.cols == b.cols && a.storage == b.storage)
        }
    }

    @Test func aVariantArchiveIsRead() throws {
        let expected = try Self.states(RunReader(directory: Self.source.path))
        let reader = try RunReader(directory: Self.fixtures.appendingPathComponent("stored-f32").path)
        #expect(reader.run.variants.map(\.name) == ["zero_pe"])
        let variant = try Self.states(reader, variant: "zero_pe")
        for (a, b) in zip(variant, expected) { #expect(a.storage == b.storage.map { -$0 }) }
    }

    @Test func float16ArraysAreTheStatesRoundedToNearest() throws {
        let expected = try Self.states(RunReader(directory: Self.source.path))
        let read = try Self.states(RunReader(directory: Self.fixtures.appendingPathComponent("compressed-f16").path))
        for (a, b) in zip(read, expected) {
            #expect(a.storage == b.storage.map { Double(Float16(Float($0))) })
        }
    }

    /// A member that names no branch is never inflated, however large it says it is.
    @Test func aMemberNoBranchNamesIsNeverInflated() throws {
        let expected = try Self.states(RunReader(directory: Self.source.path))
        let read = try Self.states(RunReader(directory: Self.fixtures.appendingPathComponent("extra-member").path))
        #expect(zip(read, expected).allSatisfy { $0.storage == $1.storage })
    }

    @Test("hostile archives are refused in one line naming the member", arguments: [
        ("bomb-lying-size", "member \"r1.npy\"", "inflates to more than the 704 bytes it declares"),
        ("bomb-declared", "member \"r1.npy\"", "declares 1099511627776 bytes"),
        ("bomb-overlap", "member \"r1.a.npy\"", "overlaps member \"r1.npy\""),
        ("bomb-crc", "member \"r1.npy\"", "CRC-32 mismatch"),
        ("bomb-truncated", "member \"r1.npy\"", "ends early"),
        ("bad-dtype", "array \"r1.a\".descr", "'<i4' is not read"),
        ("bad-shape", "tensor \"r1.a\".shape", "is [3, 3, 8] but [layers, tokens, hidden_size] is [3, 4, 8]"),
        ("fortran-order", "array \"r1.a\".fortran_order", "only C order"),
    ])
    func hostileArchive(folder: String, field: String, message: String) throws {
        let dir = Self.fixtures.appendingPathComponent(folder)
        let error = #expect(throws: InputError.self) { try RunReader(directory: dir.path) }
        let archive = dir.appendingPathComponent("activations.npz").path
        #expect(error?.file == archive)
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(error?.description.contains("\n") == false)
    }

    @Test func aBrokenVariantArchiveIsDroppedWithAWarning() throws {
        try TemporaryFolder.with { dir in
            let run = dir.appendingPathComponent("run")
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("stored-f32"), to: run)
            let variant = run.appendingPathComponent("activations.zero_pe.npz")
            let bytes = try Data(contentsOf: variant)
            try bytes.prefix(bytes.count - 30).write(to: variant)   // the end record cut off
            let reader = try RunReader(directory: run.path)
            #expect(reader.run.variants.isEmpty)
            #expect(reader.warnings.map(\.description) == [
                "\(variant.path): not a ZIP archive (no end of central directory record); variant \"zero_pe\" ignored",
            ])
        }
    }

    @Test func zip64LocalHeadersAndACommentAreRead() throws {
        // numpy.savez writes a ZIP64 extra field into every local header; the archive also
        // gains a comment here, which moves the end record away from the end of the file.
        try TemporaryFolder.with { dir in
            let run = dir.appendingPathComponent("run")
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("compressed-f64"), to: run)
            let archive = run.appendingPathComponent("activations.npz")
            var bytes = try Data(contentsOf: archive)
            let comment = Data("a comment PK\u{5}\u{6} that looks like a record".utf8)
            bytes[bytes.count - 2] = UInt8(comment.count)
            bytes.append(comment)
            try bytes.write(to: archive)
            let expected = try Self.states(RunReader(directory: Self.source.path))
            let read = try Self.states(RunReader(directory: run.path))
            #expect(zip(read, expected).allSatisfy { $0.storage == $1.storage })
        }
    }
}
