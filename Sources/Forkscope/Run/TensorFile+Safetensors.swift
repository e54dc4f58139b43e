import Foundation

/// Reading a safetensors file (huggingface/safetensors format): an 8-byte little-endian header
/// length, a JSON header `{name: {dtype, shape, data_offsets}}`, then the raw little-endian data.
///
/// Every claim of the header is checked against the file before any tensor is read, so a header
/// that lies fails with the tensor named rather than reading past the end of the map.
extension TensorFile {
    public init(safetensors path: String, displayName: String) throws {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        func fail(_ field: String?, _ message: String) -> InputError {
            InputError(file: displayName, field: field, message)
        }
        guard bytes.count >= 8 else {
            throw fail("header length", "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        // Refused before it is copied or parsed: the reference implementation's limit.
        guard headerLength <= Self.maximumHeaderLength else {
            throw fail("header length", "\(headerLength) bytes is more than a header may have (\(Self.maximumHeaderLength))")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length", "header of \(headerLength) bytes runs past the end of the \(bytes.count)-byte file")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        let headerData = Data(bytes[8..<dataStart])
        let json: JSONValue
        do {
            json = try JSONValue.parse(headerData)
        } catch {
            throw fail("header", "not valid JSON")
        }
        guard case .object(let header) = json else { throw fail("header", "not a JSON object") }
        var tensors = [String: Tensor]()
        for (name, value) in header where name != "__metadata__" {
            let field = "tensor \"\(name)\""
            guard case .object(let entry) = value else { throw fail(field, "entry is not an object") }
            guard case .string(let dtypeName) = entry["dtype"] else { throw fail(field + ".dtype", "missing") }
            // F64 is read only from NumPy archives, whose arrays default to it; the run format's
            // safetensors hold F32, F16 or BF16.
            guard let dtype = TensorDType(rawValue: dtypeName), dtype != .f64 else {
                throw fail(field + ".dtype", "\(dtypeName) is not supported (F32, F16 or BF16)")
            }
            guard let shape = Self.integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(field + ".shape", "not a list of non-negative integers")
            }
            guard let offsets = Self.integers(entry["data_offsets"]), offsets.count == 2 else {
                throw fail(field + ".data_offsets", "not a pair of integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail(field + ".data_offsets", "[\(begin), \(end)] out of range of the \(dataSize)-byte data section")
            }
            let expected = Self.byteCount(shape: shape, dtype: dtype)
            guard expected == end - begin else {
                throw fail(field, "shape \(shape) in \(dtypeName) needs \(expected.map(String.init) ?? "too many") bytes but data_offsets span \(end - begin)")
            }
            tensors[name] = Tensor(name: name, dtype: dtype, shape: shape,
                                   byteRange: (dataStart + begin)..<(dataStart + end))
        }
        // The data section is the tensors back to back: no byte shared, none unaccounted for.
        var next = 0
        for t in tensors.values.sorted(by: { ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound) }) {
            let begin = t.byteRange.lowerBound - dataStart
            if begin < next { throw fail("tensor \"\(t.name)\".data_offsets", "overlaps another tensor's bytes (starts at \(begin), before \(next))") }
            if begin > next { throw fail("tensor \"\(t.name)\".data_offsets", "leaves bytes \(next)..<\(begin) of the data section to no tensor") }
            next = t.byteRange.upperBound - dataStart
        }
        guard next == dataSize else { throw fail("data_offsets", "the tensors end at byte \(next) of a \(dataSize)-byte data section") }
        self.init(file: file, displayName: displayName, tensors: tensors)
    }

    /// The longest header read: 100 MB, as huggingface/safetensors allows.
    static let maximumHeaderLength: UInt64 = 100_000_000

    /// A JSON array of whole numbers (no fractions, no booleans), or nil.
    private static func integers(_ value: JSONValue?) -> [Int]? {
        guard case .array(let items) = value else { return nil }
        return try? items.map { try JSONObject.int($0, file: "", path: "") }
    }

}
