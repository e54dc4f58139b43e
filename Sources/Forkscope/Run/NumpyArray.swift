import Foundation

/// A two-dimensional array in NumPy's `.npy` format, read into Double, and written as f8. Enough
/// for `forkscope umap`'s inputs and outputs.
public enum NumpyArray {
    public static func read(_ url: URL) throws -> (rows: Int, cols: Int, values: [Double]) {
        let file = url.path
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        let header = try data.prefix(NumpyHeader.maximumLength).withUnsafeBytes {
            try NumpyHeader.parse($0, file: file)
        }
        guard header.shape.count == 2 else {
            throw InputError(file: file, field: "shape", "expected 2 dimensions, found \(header.shape.count)")
        }
        let (rows, cols) = (header.shape[0], header.shape[1])
        let body = header.dataOffset
        // Checked before anything is allocated: no overflowing or oversized shape.
        let bytesNeeded = TensorFile.byteCount(shape: header.shape, dtype: header.dtype)
        guard bytesNeeded == data.count - body else {
            throw InputError(file: file, field: "shape", "\(rows) x \(cols) x \(header.dtype.byteWidth) bytes does not match the \(data.count - body) bytes of data")
        }
        var values = [Double](repeating: 0, count: rows * cols)
        let bad = data.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer {
                HalfConversion.convert(UnsafeRawBufferPointer(rebasing: raw[body...]), dtype: header.dtype, into: $0)
            }
        }
        if let bad {
            throw InputError(file: file, field: "row \(bad / cols), column \(bad % cols)", "not a finite number")
        }
        return (rows, cols, values)
    }

    public static func write(rows: Int, cols: Int, values: [Double], to url: URL) throws {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: url)
    }
}
