/// A value that report.json and diff.json write as `null` when absent, where synthesised coding
/// would leave the key out (their keys are a contract: always there). It reads back from `null`
/// or from a missing key, so keys a later version adds with it do not break older readers' input.
@propertyWrapper
public struct Nullable<Value: Codable & Sendable>: Codable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// A missing key reads as an absent value.
    public func decode<V>(_ type: Nullable<V>.Type, forKey key: Key) throws -> Nullable<V> {
        try decodeIfPresent(type, forKey: key) ?? Nullable(wrappedValue: nil)
    }
}

extension Optional where Wrapped == Double {
    /// The value if it is finite: JSON has no NaN or infinity, so those are written as null.
    var finite: Double? { flatMap { $0.isFinite ? $0 : nil } }
}
