import Foundation

/// The header of a NumPy `.npy` file (format versions 1–3, as numpy.lib.format writes them): the
/// magic, the version, the header length, then a Python dict literal giving `descr`,
/// `fortran_order` and `shape`. Only what Forkscope reads is accepted: little-endian f2, f4 or f8
/// in C order.
struct NumpyHeader: Equatable {
    let dtype: TensorDType
    let shape: [Int]
    /// Where the array's data starts, counted from the magic.
    let dataOffset: Int

    /// The most header bytes read (magic, version, length and text). NumPy writes a few hundred.
    static let maximumLength = 12 + 65_536

    /// Parses the header at the start of `bytes` (which may be longer, or shorter when the file
    /// is). Errors name `file` and the field, each field prefixed with `fieldPrefix` when given
    /// (e.g. the member of an archive).
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String, fieldPrefix: String? = nil) throws -> NumpyHeader {
        func fail(_ field: String?, _ message: String) -> InputError {
            let named = [fieldPrefix, field].compactMap { $0 }.joined(separator: ".")
            return InputError(file: file, field: named.isEmpty ? nil : named, message)
        }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw fail(nil, "not a .npy array (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw fail("version", "\(major) is not 1, 2 or 3") }
        let start = major == 1 ? 10 : 12
        guard bytes.count >= start else { throw fail("header length", "the file ends inside it") }
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard start + headerLength <= min(bytes.count, maximumLength),
              let header = String(bytes: bytes[start..<(start + headerLength)], encoding: .utf8) else {
            throw fail("header", "truncated, longer than \(maximumLength) bytes, or not text")
        }
        func value(_ key: String) -> Substring? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return header[r.upperBound...].drop { $0 == " " }
        }
        guard let descr = value("descr"), let order = value("fortran_order"), let shapeText = value("shape") else {
            throw fail("header", "needs descr, fortran_order and shape")
        }
        guard order.hasPrefix("False") else { throw fail("fortran_order", "only C order is read") }
        let dtype: TensorDType
        if descr.hasPrefix("'<f8'") { dtype = .f64 } else if descr.hasPrefix("'<f4'") { dtype = .f32 } else if descr.hasPrefix("'<f2'") { dtype = .f16 } else {
            throw fail("descr", "\(descr.prefix { $0 != "," }) is not read (little-endian f2, f4 or f8)")
        }
        guard shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
            throw fail("shape", "not a tuple")
        }
        var shape = [Int]()
        let parts = shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",", omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() {
            let text = part.trimmingCharacters(in: .whitespaces)
            if text.isEmpty && i == parts.count - 1 && i > 0 { break }   // "(3,)"
            if text.isEmpty && parts.count == 1 { break }                // "()"
            guard let n = Int(text), n >= 0 else { throw fail("shape", "\(shapeText[...close]) is not a tuple of non-negative integers") }
            shape.append(n)
        }
        return NumpyHeader(dtype: dtype, shape: shape, dataOffset: start + headerLength)
    }
}
