/// A JSON object with typed accessors whose errors name the field's full path.
struct JSONObject {
    let fields: [String: JSONValue]
    let file: String
    let path: String?

    init(_ value: JSONValue, file: String, path: String?) throws {
        guard case .object(let fields) = value else {
            throw InputError(file: file, field: path, "expected an object")
        }
        self.fields = fields
        self.file = file
        self.path = path
    }

    var keys: Dictionary<String, JSONValue>.Keys { fields.keys }

    private func fieldPath(_ key: String) -> String { path.map { "\($0).\(key)" } ?? key }

    private func required(_ key: String) throws -> JSONValue {
        guard let v = fields[key], !v.isNull else {
            throw InputError(file: file, field: fieldPath(key), "missing")
        }
        return v
    }

    private func optional(_ key: String) -> JSONValue? {
        guard let v = fields[key], !v.isNull else { return nil }
        return v
    }

    func string(_ key: String) throws -> String { try Self.string(try required(key), file: file, path: fieldPath(key)) }
    func int(_ key: String) throws -> Int { try Self.int(try required(key), file: file, path: fieldPath(key)) }
    func object(_ key: String) throws -> JSONObject { try JSONObject(try required(key), file: file, path: fieldPath(key)) }
    func array(_ key: String) throws -> [JSONValue] { try Self.array(try required(key), file: file, path: fieldPath(key)) }

    func optionalString(_ key: String) throws -> String? {
        try optional(key).map { try Self.string($0, file: file, path: fieldPath(key)) }
    }
    func optionalInt(_ key: String) throws -> Int? {
        try optional(key).map { try Self.int($0, file: file, path: fieldPath(key)) }
    }
    func optionalObject(_ key: String) throws -> JSONObject? {
        try optional(key).map { try JSONObject($0, file: file, path: fieldPath(key)) }
    }
    func optionalArray(_ key: String) throws -> [JSONValue]? {
        try optional(key).map { try Self.array($0, file: file, path: fieldPath(key)) }
    }

    static func string(_ v: JSONValue, file: String, path: String) throws -> String {
        guard case .string(let s) = v else { throw InputError(file: file, field: path, "expected a string") }
        return s
    }

    static func array(_ v: JSONValue, file: String, path: String) throws -> [JSONValue] {
        guard case .array(let a) = v else { throw InputError(file: file, field: path, "expected an array") }
        return a
    }

    static func int(_ v: JSONValue, file: String, path: String) throws -> Int {
        guard case .number(let n) = v, let i = Int(exactly: n.doubleValue) else {
            throw InputError(file: file, field: path, "expected an integer")
        }
        return i
    }

    static func double(_ v: JSONValue, file: String, path: String) throws -> Double {
        guard case .number(let n) = v else { throw InputError(file: file, field: path, "expected a number") }
        return n.doubleValue
    }
}
