import Mustache

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
