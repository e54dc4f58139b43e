import Foundation
import ForkscopeNumerics

/// Opens a run folder: validates run.json and the shape of every branch's tensor up front, then
/// hands out one layer's states at a time from the memory-mapped tensors.
public final class RunReader: Sendable {
    public let run: ActivationRun
    public let directory: URL
    public let warnings: [Warning]
    /// The files the run was read from: run.json, then the tensor files in use (main, variants).
    public let files: [String]
    private let main: TensorFile
    /// The variants whose files hold every branch, well shaped, by name.
    private let variants: [String: TensorFile]

    /// - Parameter directory: the run folder, as the user named it (used in messages).
    public init(directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        self.directory = url
        let manifestName = (directory as NSString).appendingPathComponent("run.json")
        guard FileManager.default.fileExists(atPath: manifestName) else {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
                throw InputError(file: directory, "no such run folder")
            }
            throw InputError(file: manifestName, "not found (a run folder holds run.json)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: manifestName)) } catch {
            throw InputError(file: manifestName, "cannot be read")
        }
        var (run, warnings) = try RunManifest.parse(data, file: manifestName)
        self.main = try Self.openTensors(run, file: run.tensorsFile, directory: directory, field: "tensors")
        // A broken variant does not stop a build that can go on without it.
        var variants = [String: TensorFile]()
        for v in run.variants {
            do {
                variants[v.name] = try Self.openTensors(run, file: v.file, directory: directory, field: "variants.\(v.name)")
            } catch let error as InputError {
                warnings.append(Warning(file: error.file, field: error.field, "\(error.message); variant \"\(v.name)\" ignored"))
            }
        }
        run.variants.removeAll { variants[$0.name] == nil }
        self.files = [manifestName, (directory as NSString).appendingPathComponent(run.tensorsFile)]
            + run.variants.map { (directory as NSString).appendingPathComponent($0.file) }
        self.run = run
        self.warnings = warnings
        self.variants = variants
    }

    /// Opens a tensor file of the run (safetensors, or a NumPy `.npz` archive, told apart by
    /// their first bytes) and checks that it holds every branch, well shaped.
    static func openTensors(_ run: ActivationRun, file: String, directory: String, field: String) throws -> TensorFile {
        let path = (directory as NSString).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: path) else {
            throw InputError(file: (directory as NSString).appendingPathComponent("run.json"), field: field,
                             "names \"\(file)\", which does not exist")
        }
        let tensors: TensorFile
        if TensorFile.isZipArchive(path) {
            // Each branch's array may hold its shape in the widest type read (f8), no more.
            let limits = Dictionary(run.branches.map { b in
                (b.id, TensorFile.byteCount(shape: [run.layers.count, b.tokens.count, run.hiddenSize], dtype: .f64) ?? Int.max)
            }, uniquingKeysWith: { a, _ in a })
            tensors = try TensorFile(npz: path, displayName: path, limits: limits)
        } else {
            tensors = try TensorFile(safetensors: path, displayName: path)
        }
        for b in run.branches {
            guard let t = tensors.tensors[b.id] else {
                throw InputError(file: path, field: "tensor \"\(b.id)\"", "missing (every branch needs one)")
            }
            let expected = [run.layers.count, b.tokens.count, run.hiddenSize]
            guard t.shape == expected else {
                throw InputError(file: path, field: "tensor \"\(b.id)\".shape",
                                 "is \(t.shape) but [layers, tokens, hidden_size] is \(expected)")
            }
        }
        return tensors
    }

    /// The states of slice `slice` (an index into `run.layers`) for every token in run order, as a
    /// tokens x hidden matrix. Fails on NaN or infinity, naming the tensor, layer and token.
    public func states(slice: Int) throws -> Matrix {
        var out = Matrix(rows: 0, cols: 0)
        try Self.read(run, in: main, slice: slice, into: &out)
        return out
    }

    /// `states(slice:)` written into `matrix`, whose memory (already paged in) is reused when it
    /// has the right shape and no other owner: a build reads layer after layer into the same
    /// memory instead of faulting in a new matrix each time.
    public func read(slice: Int, into matrix: inout Matrix) throws {
        try Self.read(run, in: main, slice: slice, into: &matrix)
    }

    /// The states of slice `slice` of a variant (e.g. `zero_pe`), as `states(slice:)`.
    /// The `zero_pe` variant's states of one layer (the zero-position counterfactual run), or nil
    /// when the run has no such variant.
    public func zeroPEStates(slice: Int) throws -> Matrix? {
        run.hasZeroPE ? try states(slice: slice, variant: ActivationRun.zeroPEVariant) : nil
    }

    public func states(slice: Int, variant: String) throws -> Matrix {
        guard let file = variants[variant] else {
            throw InputError(file: directory.appendingPathComponent("run.json").path, field: "variants", "no usable variant \"\(variant)\"")
        }
        var out = Matrix(rows: 0, cols: 0)
        try Self.read(run, in: file, slice: slice, into: &out)
        return out
    }

    static func read(_ run: ActivationRun, in file: TensorFile, slice: Int, into out: inout Matrix) throws {
        let d = run.hiddenSize
        var failure: InputError?
        func fill(_ storage: UnsafeMutableBufferPointer<Double>) {
            var row = 0
            for b in run.branches {
                let tensor = file.tensors[b.id]!
                let n = b.tokens.count
                let start = slice * n * d
                let rows = UnsafeMutableBufferPointer(rebasing: storage[(row * d)..<((row + n) * d)])
                if failure == nil {
                    do {
                        if let bad = try file.convert(tensor, elements: start..<(start + n * d), into: rows) {
                            failure = InputError(file: file.displayName, field: "tensor \"\(b.id)\"",
                                                 "\(rows[bad]) at layer \(run.layers[slice]), token \(bad / d), dimension \(bad % d)")
                        }
                    } catch {
                        failure = error as? InputError ?? InputError(file: file.displayName, field: "tensor \"\(b.id)\"", "\(error)")
                    }
                }
                if failure != nil { rows.initialize(repeating: 0) }
                row += n
            }
        }
        if out.rows == run.tokenCount && out.cols == d {
            out.storage.withUnsafeMutableBufferPointer { fill($0) }
        } else {
            out = Matrix(rows: run.tokenCount, cols: d, filling: fill)
        }
        if let failure { throw failure }
    }
}
