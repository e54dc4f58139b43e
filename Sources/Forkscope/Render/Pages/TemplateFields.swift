import Mustache

/// A page model's part that Mustache reads through a table of its fields instead of by reflection:
/// the parts repeated thousands of times per site (a branch page's token rows and text, every
/// page's layer links and legend). `Mirror` costs microseconds per lookup, which doubled the render
/// stage of the shared topics run; a key path costs a dictionary lookup. `TemplateFieldsTests`
/// checks that each table names every stored property.
protocol TemplateFields: MustacheParent {
    static var fields: [String: PartialKeyPath<Self> & Sendable] { get }
}

extension TemplateFields {
    func child(named name: String) -> Any? {
        guard let path = Self.fields[name] else { return nil }
        let value = self[keyPath: path]
        // A nil field reads as absent, as with reflection.
        if let optional = value as? any OptionalField { return optional.wrappedField }
        return value
    }
}

protocol OptionalField { var wrappedField: Any? { get } }

extension Optional: OptionalField {
    var wrappedField: Any? { map { $0 } }
}
