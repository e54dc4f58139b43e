import CKernels
import Foundation

/// The element types a run may store its states in.
public enum TensorDType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    var byteWidth: Int { self == .f32 ? 4 : 2 }
}

/// A safetensors file (huggingface/safetensors format): an 8-byte little-endian header length,
/// a JSON header `{name: {dtype, shape, data_offsets}}`, then the raw little-endian data.
///
/// Every claim of the header is checked against the file before any tensor is read, so a header
/// that lies fails with the tensor named rather than reading past the end of the map.
public struct SafetensorsFile: Sendable {
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let dtype: TensorDType
        public let shape: [Int]
        /// Byte range within the file (already offset past the header).
        public let byteRange: Range<Int>
    }

    public let file: MappedFile
    /// How the file is named in messages.
    public let displayName: String
    public let tensors: [String: Tensor]

    public init(path: String, displayName: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        self.displayName = displayName
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
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw fail("header", "not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header", "not a JSON object") }
        var tensors = [String: Tensor]()
        for (name, value) in header where name != "__metadata__" {
            let field = "tensor \"\(name)\""
            guard let entry = value as? [String: Any] else { throw fail(field, "entry is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail(field + ".dtype", "missing") }
            guard let dtype = TensorDType(rawValue: dtypeName) else {
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
            let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.byteWidth)
            guard !overflow, expected == end - begin else {
                throw fail(field, "shape \(shape) in \(dtypeName) needs \(overflow ? "too many" : String(expected)) bytes but data_offsets span \(end - begin)")
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
        self.tensors = tensors
    }

    /// The longest header read: 100 MB, as huggingface/safetensors allows.
    static let maximumHeaderLength: UInt64 = 100_000_000

    /// A JSON array of whole numbers (no fractions, no booleans), or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let items = value as? [Any] else { return nil }
        return try? items.map { try JSONObject.int($0, file: "", path: "") }
    }

    /// Converts elements `range` of a tensor (counted in elements, row-major) into `out` (as many
    /// Doubles), read 256 KiB at a time through a buffer that stays in cache. Returns the offset in
    /// `range` of the first NaN or infinity, if any.
    public func convert(_ tensor: Tensor, elements range: Range<Int>, into out: UnsafeMutableBufferPointer<Double>) throws -> Int? {
        let width = tensor.dtype.byteWidth
        let start = tensor.byteRange.lowerBound + range.lowerBound * width
        precondition(start + range.count * width <= tensor.byteRange.upperBound && out.count == range.count)
        let chunk = (1 << 18) / width
        var firstBad: Int?
        try withUnsafeTemporaryAllocation(byteCount: chunk * width, alignment: 64) { buffer in
            var done = 0
            while done < range.count {
                let count = min(chunk, range.count - done)
                try file.read(into: buffer.baseAddress!, count: count * width, at: start + done * width)
                let target = UnsafeMutableBufferPointer(rebasing: out[done..<(done + count)])
                if let bad = HalfConversion.convert(UnsafeRawBufferPointer(rebasing: buffer[0..<(count * width)]), dtype: tensor.dtype, into: target),
                   firstBad == nil {
                    firstBad = done + bad
                }
                done += count
            }
        }
        return firstBad
    }
}

/// Conversion of stored elements to `Double` by the C kernels (`CKernels`: AVX2 and F16C where
/// the CPU has them, portable C otherwise), checking finiteness on the way.
enum HalfConversion {
    /// - Returns: the index of the first element that is NaN or infinite, if any.
    static func convert(_ raw: UnsafeRawBufferPointer, dtype: TensorDType, into out: UnsafeMutableBufferPointer<Double>) -> Int? {
        guard let source = raw.baseAddress, let target = out.baseAddress else { return nil }
        precondition(raw.count >= out.count * dtype.byteWidth)
        let special: Int32
        switch dtype {
        case .f32: special = fs_f32_to_f64(source, target, out.count)
        case .bf16: special = fs_bf16_to_f64(source, target, out.count)
        case .f16: special = fs_f16_to_f64(source, target, out.count)
        }
        guard special != 0 else { return nil }
        return out.firstIndex { !$0.isFinite }
    }
}
