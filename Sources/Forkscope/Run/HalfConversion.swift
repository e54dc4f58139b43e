import CKernels

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
        case .f64:
            var finite = true
            for i in 0..<out.count {
                let v = Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                target[i] = v
                finite = finite && v.isFinite
            }
            special = finite ? 0 : 1
        }
        guard special != 0 else { return nil }
        return out.firstIndex { !$0.isFinite }
    }
}
