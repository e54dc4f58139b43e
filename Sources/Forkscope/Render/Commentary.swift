/// Markdown commentary for a site's pages, as authored in a content folder:
/// `index.md`, `layers/<L>.md`, `branches/<id>.md`.
public struct Commentary: Sendable {
    public var index: String?
    public var layers: [Int: String]
    public var branches: [String: String]

    public init(index: String? = nil, layers: [Int: String] = [:], branches: [String: String] = [:]) {
        self.index = index
        self.layers = layers
        self.branches = branches
    }
}
