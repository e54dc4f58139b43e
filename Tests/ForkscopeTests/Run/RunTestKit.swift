import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Runs for the reader tests, written by `RunWriter` (ForkscopeTestSupport) so every field,
/// dtype, shape and offset can be chosen, and checks of the errors reading them gives. Everything
/// lives in this namespace to stay clear of helpers other test folders define.
enum RunTestKit {
    // MARK: runs

    /// A branch of a run being written: its manifest entry (a JSON dictionary the test may edit)
    /// and its states.
    struct Branch {
        var json: [String: Any]
        var id: String { json["id"] as! String }
        var tokenCount: Int { (json["tokens"] as! [Any]).count }
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
                            value: (Int, Int, Int, Int) -> Float = RunTestKit.value) -> RunWriter {
        var branches = [[String: Any]]()
        var tensors = [RunWriter.Tensor]()
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
            tensors.append(RunWriter.Tensor(name: spec.id, dtype: dtype, shape: [layers.count, n, hidden],
                                            data: RunWriter.encode(values, as: dtype)))
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
        return RunWriter(manifest: manifest, tensors: tensors)
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
    static func expectOpenFails(_ run: RunWriter, file: (URL) -> String, field: String?, mentions words: [String] = [],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        try TemporaryFolder.with { dir in
            try run.write(to: dir)
            let error = #expect(throws: InputError.self, sourceLocation: sourceLocation) {
                _ = try RunReader(directory: dir.path)
            }
            if let error { check(error, file: file(dir), field: field, mentions: words, sourceLocation: sourceLocation) }
        }
    }

    /// Expects opening a run whose run.json is exactly `manifest` bytes (and a valid tensor file
    /// for `standardRun()`) to fail on run.json's `field`.
    static func expectManifestFails(_ edit: (inout RunWriter) -> Void, field: String?, mentions words: [String] = [],
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        var run = standardRun()
        edit(&run)
        try expectOpenFails(run, file: runJSON, field: field, mentions: words, sourceLocation: sourceLocation)
    }

}
