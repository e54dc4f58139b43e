/// A view as tables and legends head it.
struct ViewHeader: Sendable {
    var title: String
    var name: String
    var summary: String
    var color: String
}
