/// A branch in a plot's legend.
struct LegendEntry: Sendable {
    var index: Int
    var label: String
    var id: String
    var color: String
    var shape: String
    var href: String?

    init(_ b: Int, shown: ShownText, href: String? = nil) {
        let style = BranchStyle.forBranch(b)
        self.init(index: b, label: shown.labels[b], id: shown.ids[b], color: style.color, shape: style.shape.rawValue, href: href)
    }

    init(index: Int, label: String, id: String, color: String, shape: String, href: String?) {
        self.index = index; self.label = label; self.id = id; self.color = color; self.shape = shape; self.href = href
    }
}

extension LegendEntry: TemplateFields {
    static let fields: [String: PartialKeyPath<Self> & Sendable] = ["index": \.index, "label": \.label, "id": \.id, "color": \.color, "shape": \.shape, "href": \.href]
}
