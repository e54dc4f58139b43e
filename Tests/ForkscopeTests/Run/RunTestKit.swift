import Foundation
import Testing
@testable import Forkscope

/// Writes activation runs (run.json + safetensors) from the tests themselves, so every field,
/// dtype, shape and offset can be chosen. Everything lives in this namespace to stay clear of
/// helpers other test folders define.
enum RunTestKit {
    // MARK: temporary folders

    /// Runs `body` with a fresh folder under the temporary directory, removed afterwards.
    static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("forkscope-run-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    // MARK: element encoding

    /// Little-endian bytes of `values` stored as `dtype` (F32, F16, BF16 or F64).
    /// BF16 values must be exactly representable (the low 16 bits of the float are zero).
    static func encode(_ values: [Float], as dtype: String) -> Data {
        var out = Data()
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        for v in values {
            switch dtype {
            case "F32": append(v.bitPattern)
            case "F16":
                precondition(Float(Float16(v)) == v || v.isNaN, "\(v) is not exact in F16")
                append(Float16(v).bitPattern)
            case "BF16":
                precondition(v.bitPattern & 0xFFFF == 0 || v.isNaN, "\(v) is not exact in BF16")
                append(UInt16(truncatingIfNeeded: v.bitPattern >> 16))
            case "F64": append(Double(v).bitPattern)
            default: preconditionFailure("unknown dtype \(dtype)")
            }
        }
        return out
    }

    static func elementWidth(_ dtype: String) -> Int {
        switch dtype {
        case "F32": 4
        case "F64": 8
        default: 2
        }
    }

    // MARK: safetensors

    /// One header entry. `shape` and `offsets` are JSON values so tests can put anything there;
    /// nil `offsets` means "right after the previous tensor".
    struct Tensor {
        var name: String
        var dtype: String
        var shape: [Any]
        var data: Data
        var offsets: [Any]? = nil
    }

    /// A safetensors file: 8-byte little-endian header length, JSON header (space-padded to a
    /// multiple of 8), data.
    static func safetensors(_ tensors: [Tensor], metadata: [String: String]? = ["format": "pt"],
                            headerLength: UInt64? = nil) -> Data {
        var header = [String: Any]()
        if let metadata { header["__metadata__"] = metadata }
        var blob = Data()
        for t in tensors {
            let begin = blob.count
            blob.append(t.data)
            header[t.name] = ["dtype": t.dtype, "shape": t.shape,
                              "data_offsets": t.offsets ?? [begin, blob.count]]
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        return rawSafetensors(header: json, data: blob, headerLength: headerLength)
    }

    /// A safetensors file around an arbitrary header.
    static func rawSafetensors(header: Data, data: Data = Data(), headerLength: UInt64? = nil) -> Data {
        var out = Data()
        withUnsafeBytes(of: (headerLength ?? UInt64(header.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(header)
        out.append(data)
        return out
    }

    // MARK: runs

    /// A branch of a run being written: its manifest entry (a JSON dictionary the test may edit)
    /// and its states.
    struct Branch {
        var json: [String: Any]
        var id: String { json["id"] as! String }
        var tokenCount: Int { (json["tokens"] as! [Any]).count }
    }

    /// A run folder to be written: run.json as a dictionary plus the tensors of the main file.
    struct Run {
        var manifest: [String: Any]
        var tensors: [Tensor]
        var tensorsFile = "activations.safetensors"
        var metadata: [String: String]? = ["format": "pt"]
        /// Extra safetensors files to write (e.g. variants), file name to tensors.
        var extraFiles: [String: [Tensor]] = [:]

        var layers: Int { (manifest["layers"] as! [Any]).count }
        var hidden: Int { manifest["hidden_size"] as! Int }

        /// Edits branch `i` of the manifest.
        mutating func editBranch(_ i: Int, _ edit: (inout [String: Any]) -> Void) {
            var branches = manifest["branches"] as! [[String: Any]]
            edit(&branches[i])
            manifest["branches"] = branches
        }

        /// Replaces the tensor named `name`.
        mutating func editTensor(_ name: String, _ edit: (inout Tensor) -> Void) {
            let i = tensors.firstIndex { $0.name == name }!
            edit(&tensors[i])
        }

        func write(to dir: URL) throws {
            let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
            try json.write(to: dir.appendingPathComponent("run.json"))
            try RunTestKit.safetensors(tensors, metadata: metadata).write(to: dir.appendingPathComponent(tensorsFile))
            for (name, file) in extraFiles {
                try RunTestKit.safetensors(file, metadata: metadata).write(to: dir.appendingPathComponent(name))
            }
        }
    }

    /// The value stored for (branch, layer slice, token, dimension) by `standardRun`: unique,
    /// and exact in F32 (small integers plus a quarter).
    static func value(branch b: Int, slice l: Int, token t: Int, dim c: Int) -> Float {
        Float(b * 1000 + l * 100 + t * 10 + c) + 0.25
    }

    /// A branch description: id, parent id, fork_at, positions (one token per position).
    typealias Spec = (id: String, parent: String?, forkAt: Int?, positions: [Int])

    /// The tree used by most tests:
    ///   r1 (positions 0...3) ── r1.a (fork_at 4, 4...5) ── r1.a.x (fork_at 1, 5...6)
    ///                       └─ r1.b (fork_at 4, 4...6)
    ///   r2 (positions 0...2)
    static let tree: [Spec] = [
        ("r1", nil, nil, [0, 1, 2, 3]),
        ("r1.a", "r1", 4, [4, 5]),
        ("r1.b", "r1", 4, [4, 5, 6]),
        ("r1.a.x", "r1.a", 1, [5, 6]),
        ("r2", nil, nil, [0, 1, 2]),
    ]

    /// A valid run with branches `specs`, `layers` and `hidden`, states from `value(...)`.
    static func standardRun(_ specs: [Spec] = tree, layers: [Int] = [0, 3], hidden: Int = 3,
                            dtype: String = "F32",
                            value: (Int, Int, Int, Int) -> Float = RunTestKit.value) -> Run {
        var branches = [[String: Any]]()
        var tensors = [Tensor]()
        for (b, spec) in specs.enumerated() {
            let n = spec.positions.count
            branches.append([
                "id": spec.id,
                "label": "branch \(spec.id)",
                "parent": spec.parent.map { $0 as Any } ?? NSNull(),
                "fork_at": spec.forkAt.map { $0 as Any } ?? NSNull(),
                "tokens": (0..<n).map { "\(spec.id)#\($0)" },
                "positions": spec.positions,
            ])
            var values = [Float]()
            for l in layers.indices { for t in 0..<n { for c in 0..<hidden { values.append(value(b, l, t, c)) } } }
            tensors.append(Tensor(name: spec.id, dtype: dtype, shape: [layers.count, n, hidden],
                                  data: encode(values, as: dtype)))
        }
        let manifest: [String: Any] = [
            "format": "forkscope.run/1",
            "title": "test run",
            "model": ["name": "test-model", "version": "1", "positional_encoding": "rope"],
            "layers": layers,
            "hidden_size": hidden,
            "tensors": "activations.safetensors",
            "branches": branches,
        ]
        return Run(manifest: manifest, tensors: tensors)
    }

    // MARK: errors

    static func runJSON(_ dir: URL) -> String { (dir.path as NSString).appendingPathComponent("run.json") }
    static func tensorsPath(_ dir: URL, _ name: String = "activations.safetensors") -> String {
        (dir.path as NSString).appendingPathComponent(name)
    }

    /// True when `text` holds no line terminator (LF, CR, CR LF, VT, FF, NEL, U+2028, U+2029),
    /// checked on Unicode scalars so that a CR LF pair (one `Character`) is not missed.
    static func isOneLine(_ text: String) -> Bool {
        !text.unicodeScalars.contains { CharacterSet.newlines.contains($0) }
    }

    /// Checks an `InputError`: the file, the field, one line, and (optionally) words of the message.
    static func check(_ error: InputError, file: String, field: String?, mentions words: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error.file == file, "file", sourceLocation: sourceLocation)
        #expect(error.field == field, "field", sourceLocation: sourceLocation)
        let text = error.description
        #expect(isOneLine(text), "description is not one line: \(text)", sourceLocation: sourceLocation)
        #expect(text.hasPrefix(file), "description does not start with the file: \(text)", sourceLocation: sourceLocation)
        if let field { #expect(text.contains(field), "description does not name the field: \(text)", sourceLocation: sourceLocation) }
        for w in words {
            #expect(text.localizedCaseInsensitiveContains(w), "description lacks \"\(w)\": \(text)", sourceLocation: sourceLocation)
        }
    }

    /// Writes `run`, opens it and expects an `InputError` about `file` (a closure of the folder)
    /// and `field`.
    static func expectOpenFails(_ run: Run, file: (URL) -> String, field: String?, mentions words: [String] = [],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        try withTemporaryDirectory { dir in
            try run.write(to: dir)
            let error = #expect(throws: InputError.self, sourceLocation: sourceLocation) {
                _ = try RunReader(directory: dir.path)
            }
            if let error { check(error, file: file(dir), field: field, mentions: words, sourceLocation: sourceLocation) }
        }
    }

    /// Expects opening a run whose run.json is exactly `manifest` bytes (and a valid tensor file
    /// for `standardRun()`) to fail on run.json's `field`.
    static func expectManifestFails(_ edit: (inout Run) -> Void, field: String?, mentions words: [String] = [],
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        var run = standardRun()
        edit(&run)
        try expectOpenFails(run, file: runJSON, field: field, mentions: words, sourceLocation: sourceLocation)
    }

    // MARK: fixtures

    /// The package root (the folder holding Package.swift), found from this file's path.
    static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url = url.deletingLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }

    static func fixture(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures/runs").appendingPathComponent(name)
    }
}
