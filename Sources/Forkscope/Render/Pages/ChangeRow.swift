/// A row of a diff's measures table.
struct ChangeRow: Sendable {
    var view: String
    var measure: String
    var a: String
    var b: String
    var delta: String
    var mark: String
    var direction: String
    /// The pair of layers, on the index (which lists every layer's changes).
    var layer: String?
    /// Its layer page, when runs were compared.
    var href: String?
}
