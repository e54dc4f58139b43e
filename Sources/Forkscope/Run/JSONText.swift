import Foundation

/// Repairs JSON text that Foundation's parser would reject although a capture tool may honestly
/// write it: a token that is half of a UTF-16 surrogate pair (a byte-level BPE piece of an emoji,
/// written by `json.dumps` as `"\ud83d"`). Each lone surrogate escape becomes `\ufffd`.
enum JSONText {
    static func replacingLoneSurrogates(_ data: Data) -> (data: Data, replaced: Int) {
        let bytes = [UInt8](data)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var replaced = 0
        var inString = false
        var i = 0
        func surrogate(at k: Int) -> UInt32? {
            // `\uXXXX` at k, returning XXXX when it is a surrogate code unit.
            guard k + 5 < bytes.count, bytes[k] == UInt8(ascii: "\\"), bytes[k + 1] == UInt8(ascii: "u"),
                  let v = UInt32(String(decoding: bytes[(k + 2)..<(k + 6)], as: UTF8.self), radix: 16),
                  (0xD800...0xDFFF).contains(v) else { return nil }
            return v
        }
        while i < bytes.count {
            let b = bytes[i]
            if !inString {
                if b == UInt8(ascii: "\"") { inString = true }
                out.append(b); i += 1
                continue
            }
            if b == UInt8(ascii: "\"") { inString = false; out.append(b); i += 1; continue }
            guard b == UInt8(ascii: "\\"), i + 1 < bytes.count else { out.append(b); i += 1; continue }
            if let unit = surrogate(at: i) {
                if unit < 0xDC00, let low = surrogate(at: i + 6), low >= 0xDC00 {
                    out.append(contentsOf: bytes[i..<(i + 12)]); i += 12   // a proper pair
                } else {
                    out.append(contentsOf: Array("\\ufffd".utf8)); i += 6; replaced += 1
                }
            } else {
                out.append(contentsOf: bytes[i...(i + 1)]); i += 2      // any other escape
            }
        }
        return (Data(out), replaced)
    }
}
