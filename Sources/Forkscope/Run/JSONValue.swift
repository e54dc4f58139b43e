import Foundation

/// A JSON document as typed values, for the readers that walk it by hand so that every error names
/// its field (run.json, safetensors headers, site configurations). Parsed by Foundation's
/// `JSONSerialization` and converted here, once, so that nothing untyped flows further.
enum JSONValue {
    case null
    case bool(Bool)
    case number(NSNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text; throws `JSONSerialization`'s error for malformed text.
    static func parse(_ data: Data) throws -> JSONValue {
        JSONValue(try JSONSerialization.jsonObject(with: data))
    }

    /// The typed form of what `JSONSerialization` returns.
    private init(_ object: Any) {
        switch object {
        case let s as String: self = .string(s)
        // Booleans come as NSNumber too (and `is Bool` holds for the numbers 0 and 1 on Linux):
        // they are the numbers of C type `char`.
        case let n as NSNumber: self = String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n)
        case let a as [Any]: self = .array(a.map(JSONValue.init))
        case let o as NSDictionary:
            var fields = [String: JSONValue]()
            for (key, value) in o { fields["\(key)"] = JSONValue(value) }
            self = .object(fields)
        default: self = .null
        }
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
