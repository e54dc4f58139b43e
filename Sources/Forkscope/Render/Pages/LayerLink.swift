/// A link to the same page at another layer.
struct LayerLink: Sendable {
    var layer: Int
    var href: String
    var current: Bool
}

extension LayerLink: TemplateFields {
    static let fields: [String: PartialKeyPath<Self> & Sendable] = ["layer": \.layer, "href": \.href, "current": \.current]
}
