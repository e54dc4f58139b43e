import Foundation

/// A two-dimensional array in NumPy's `.npy` format (version 1–3, little-endian f2/f4/f8,
/// C order), read into Double, and written as f8. Enough for benchmark inputs and outputs.
public enum NumpyArray {
    public static func read(_ url: URL) throws -> (rows: Int, cols: Int, values: [Double]) {
        let file = url.path
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        let bytes = [UInt8](data.prefix(65_536 + 12))  // magic, version, length and header
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw InputError(file: file, "not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw InputError(file: file, field: "version", "\(major) is not 1, 2 or 3") }
        let start = major == 1 ? 10 : 12
        guard bytes.count >= start else { throw InputError(file: file, field: "header length", "the file ends inside it") }
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard start + headerLength <= bytes.count,
              let header = String(bytes: bytes[start..<(start + headerLength)], encoding: .utf8) else {
            throw InputError(file: file, field: "header", "truncated or not text")
        }
        func value(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = value("descr"), let order = value("fortran_order"), let shape = value("shape") else {
            throw InputError(file: file, field: "header", "needs descr, fortran_order and shape")
        }
        guard order.hasPrefix("False") else { throw InputError(file: file, field: "fortran_order", "only C order is read") }
        let width: Int
        if descr.hasPrefix("'<f8'") { width = 8 } else if descr.hasPrefix("'<f4'") { width = 4 } else if descr.hasPrefix("'<f2'") { width = 2 } else {
            throw InputError(file: file, field: "descr", "only little-endian f2, f4 and f8 are read")
        }
        let dims = shape.dropFirst().prefix { $0 != ")" }.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count == 2 else { throw InputError(file: file, field: "shape", "expected 2 dimensions, found \(dims.count)") }
        let (rows, cols) = (dims[0], dims[1])
        let body = start + headerLength
        // Checked before anything is allocated: no negative, overflowing or oversized shape.
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        let (bytesNeeded, overflow2) = count.multipliedReportingOverflow(by: width)
        guard rows >= 0, cols >= 0, !overflow, !overflow2, bytesNeeded == data.count - body else {
            throw InputError(file: file, field: "shape", "\(rows) x \(cols) x \(width) bytes does not match the \(data.count - body) bytes of data")
        }
        var values = [Double](repeating: 0, count: rows * cols)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + body
            for i in 0..<(rows * cols) {
                switch width {
                case 8: values[i] = Double(bitPattern: (base + 8 * i).loadUnaligned(as: UInt64.self).littleEndian)
                case 4: values[i] = Double(Float(bitPattern: (base + 4 * i).loadUnaligned(as: UInt32.self).littleEndian))
                default: values[i] = Double(Float16(bitPattern: (base + 2 * i).loadUnaligned(as: UInt16.self).littleEndian))
                }
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
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
