import Foundation

/// How report.json and diff.json are written: keys sorted, two-space indents, slashes as they
/// are, a final newline; the same value always gives the same bytes.
enum ContractJSON {
    static func data<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value) + Data("\n".utf8)
    }
}
