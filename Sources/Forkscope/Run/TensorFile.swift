import Foundation

/// The tensors of one file of a run, by name, whatever container held them (a safetensors file,
/// or a NumPy `.npz` archive): each tensor a byte range of `file` in row-major little-endian
/// order, its header claims already checked against the file.
public struct TensorFile: Sendable {
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let dtype: TensorDType
        public let shape: [Int]
        /// Byte range within `file`.
        public let byteRange: Range<Int>
    }

    public let file: MappedFile
    /// How the file is named in messages.
    public let displayName: String
    public let tensors: [String: Tensor]

    init(file: MappedFile, displayName: String, tensors: [String: Tensor]) {
        self.file = file
        self.displayName = displayName
        self.tensors = tensors
    }

    /// The bytes `shape` takes in `dtype`, or nil when the count overflows.
    static func byteCount(shape: [Int], dtype: TensorDType) -> Int? {
        var count = dtype.byteWidth
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow, n >= 0 else { return nil }
            count = product
        }
        return count
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
