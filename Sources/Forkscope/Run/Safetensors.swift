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
        self.tensors = tensors
    }

    /// A JSON array of whole numbers (no fractions, no booleans), or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let items = value as? [Any] else { return nil }
        return try? items.map { try JSONObject.int($0, file: "", path: "") }
    }

    /// Elements `range` of `tensor` (counted in elements, row-major), converted to `Float`.
    /// Converts elements `range` of a tensor into `out` (as many Doubles), straight from the
    /// memory map. Returns the offset in `range` of the first NaN or infinity, if any.
    public func convert(_ tensor: Tensor, elements range: Range<Int>, into out: UnsafeMutableBufferPointer<Double>) -> Int? {
        let width = tensor.dtype.byteWidth
        let start = tensor.byteRange.lowerBound + range.lowerBound * width
        precondition(start + range.count * width <= tensor.byteRange.upperBound && out.count == range.count)
        let slice = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + range.count * width)])
        defer { file.release(start..<(start + range.count * width)) }
        return HalfConversion.convert(slice, dtype: tensor.dtype, into: out)
    }
}

/// Conversion of stored elements to `Double`, in plain loops of integer and float operations with
/// no calls and no branches, which the compiler vectorises (SSE2 and up): a layer converts at
/// memory speed, checking finiteness on the way.
enum HalfConversion {
    /// - Returns: the index of the first element that is NaN or infinite, if any.
    static func convert(_ raw: UnsafeRawBufferPointer, dtype: TensorDType, into out: UnsafeMutableBufferPointer<Double>) -> Int? {
        let count = out.count
        guard count > 0 else { return nil }
        let target = out.baseAddress!
        var special: UInt32 = 0
        switch dtype {
        case .f32:
            for k in 0..<count {
                let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))
                special |= (bits & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0
                target[k] = Double(Float(bitPattern: bits))
            }
        case .bf16:
            // bfloat16 is the top half of an IEEE float32.
            for k in 0..<count {
                let bits = UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self))) << 16
                special |= (bits & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0
                target[k] = Double(Float(bitPattern: bits))
            }
        case .f16:
            // Three simple loops over cache-sized chunks, each of which the compiler vectorises:
            // flag specials, convert to float32 bits, widen to Double.
            let chunk = 2048
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: chunk) { bits in
                var base = 0
                while base < count {
                    let length = min(chunk, count - base)
                    let halves = UnsafeRawBufferPointer(rebasing: raw[(2 * base)..<(2 * (base + length))])
                    for k in 0..<length {
                        let h = UInt32(UInt16(littleEndian: halves.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)))
                        special |= ((h & 0x7C00) &+ 0x0400) & 0x8000   // 0x8000 exactly when the exponent is all ones
                        bits[k] = halfToSingle(h, special: (h & 0x7C00) == 0x7C00)
                    }
                    let floats = UnsafeRawPointer(bits.baseAddress!).assumingMemoryBound(to: Float.self)
                    for k in 0..<length { target[base + k] = Double(floats[k]) }
                    base += length
                }
            }
        }
        guard special != 0 else { return nil }
        return out.firstIndex { !$0.isFinite }
    }

    /// IEEE binary16 to binary32 bits: exponent and mantissa moved into place and the value
    /// rescaled by 2¹¹² (the bias difference), which also turns subnormal halves into normal
    /// floats; infinity and NaN (exponent all ones) keep an exponent of all ones.
    @inline(__always)
    static func halfToSingle(_ h: UInt32, special: Bool) -> UInt32 {
        let sign = (h & 0x8000) << 16
        let magnitude = (h & 0x7FFF) << 13
        let scaled = (Float(bitPattern: magnitude) * 0x1p112).bitPattern
        return sign | (special ? magnitude | 0x7F80_0000 : scaled)
    }
}
