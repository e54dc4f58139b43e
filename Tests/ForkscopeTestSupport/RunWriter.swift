import Foundation

/// Writes activation runs (run.json + safetensors) from the tests themselves, so that every
/// field, dtype, shape and offset can be chosen: the manifest is a JSON dictionary the test may
/// edit, the tensors are raw bytes with header entries that may say anything.
public struct RunWriter {
    /// One safetensors header entry. `shape` and `offsets` are JSON values so tests can put
    /// anything there; nil `offsets` means "right after the previous tensor".
    public struct Tensor {
        public var name: String
        public var dtype: String
        public var shape: [Any]
        public var data: Data
        public var offsets: [Any]?

        public init(name: String, dtype: String, shape: [Any], data: Data, offsets: [Any]? = nil) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.data = data
            self.offsets = offsets
        }
    }

    /// run.json, as a dictionary.
    public var manifest: [String: Any]
    /// The tensors of the main safetensors file.
    public var tensors: [Tensor]
    /// The main safetensors file's name (run.json's `tensors` is not changed to match).
    public var tensorsFile: String
    /// The `__metadata__` of every safetensors file written; nil leaves it out.
    public var metadata: [String: String]?
    /// Extra safetensors files to write (e.g. variants), file name to tensors.
    public var extraFiles: [String: [Tensor]]

    public init(manifest: [String: Any], tensors: [Tensor], tensorsFile: String = "activations.safetensors",
                metadata: [String: String]? = ["format": "pt"], extraFiles: [String: [Tensor]] = [:]) {
        self.manifest = manifest
        self.tensors = tensors
        self.tensorsFile = tensorsFile
        self.metadata = metadata
        self.extraFiles = extraFiles
    }

    public var layers: Int { (manifest["layers"] as! [Any]).count }
    public var hidden: Int { manifest["hidden_size"] as! Int }

    /// Edits branch `i` of the manifest.
    public mutating func editBranch(_ i: Int, _ edit: (inout [String: Any]) -> Void) {
        var branches = manifest["branches"] as! [[String: Any]]
        edit(&branches[i])
        manifest["branches"] = branches
    }

    /// Replaces the tensor named `name`.
    public mutating func editTensor(_ name: String, _ edit: (inout Tensor) -> Void) {
        let i = tensors.firstIndex { $0.name == name }!
        edit(&tensors[i])
    }

    /// Writes run.json (pretty-printed, keys sorted), the main tensor file and the extra files
    /// into `dir`, created if missing.
    public func write(to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: dir.appendingPathComponent("run.json"))
        try Self.safetensors(tensors, metadata: metadata).write(to: dir.appendingPathComponent(tensorsFile))
        for (name, file) in extraFiles {
            try Self.safetensors(file, metadata: metadata).write(to: dir.appendingPathComponent(name))
        }
    }

    // MARK: safetensors

    /// A safetensors file: 8-byte little-endian header length, JSON header (keys sorted,
    /// space-padded to a multiple of 8), data.
    public static func safetensors(_ tensors: [Tensor], metadata: [String: String]? = ["format": "pt"],
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

    /// A safetensors file around an arbitrary header; `headerLength` overrides the stored length.
    public static func rawSafetensors(header: Data, data: Data = Data(), headerLength: UInt64? = nil) -> Data {
        var out = Data()
        withUnsafeBytes(of: (headerLength ?? UInt64(header.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(header)
        out.append(data)
        return out
    }

    // MARK: element encoding

    /// Little-endian bytes of `values` stored as `dtype` (F32, F16, BF16 or F64).
    /// BF16 values must be exactly representable (the low 16 bits of the float are zero).
    public static func encode(_ values: [Float], as dtype: String) -> Data {
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

    /// Bytes per element of `dtype`.
    public static func elementWidth(_ dtype: String) -> Int {
        switch dtype {
        case "F32": 4
        case "F64": 8
        default: 2
        }
    }
}
