import Mustache

/// What every page's header and footer show (`header.mustache`, `footer.mustache`).
struct PageFrame: Sendable {
    /// The way from the page back to the site's root ("", "../", "../../").
    var root: String
    var pageTitle: String
    var runTitle: String
    var modelName: String
    var modelVersion: String?
    var generator = "forkscope \(Forkscope.version)"
    /// The site's data file, linked from the footer: report.json or diff.json.
    var dataFile: String
    /// The branch highlight stylesheet, on pages with a branch legend.
    var highlightCSS: String?
}

/// A page as its template sees it: the fields of its typed model (`body`), then the frame's.
/// Templates are Mustache: a field that is nil reads as absent, as an absent key would.
struct Page<Body: Sendable>: MustacheParent, Sendable {
    let frame: PageFrame
    let body: Body

    func child(named name: String) -> Any? {
        Self.field(name, of: body) ?? Self.field(name, of: frame)
    }

    /// A stored property of `object` by name, unwrapped when it is an Optional (nil when it is nil).
    private static func field(_ name: String, of object: Any) -> Any? {
        guard let value = Mirror(reflecting: object).children.first(where: { $0.label == name })?.value else { return nil }
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }
}
