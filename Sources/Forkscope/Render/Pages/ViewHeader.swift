/// A view as tables and legends head it.
struct ViewHeader: Sendable {
    var title: String
    var name: String
    var summary: String
    var color: String
}

extension ViewHeader: TemplateFields {
    static let fields: [String: PartialKeyPath<Self> & Sendable] = ["title": \.title, "name": \.name, "summary": \.summary, "color": \.color]
}
