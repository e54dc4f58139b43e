import Foundation

/// A file of the site before it is rendered: its path, the commentary it shows and how to render
/// it. Everything else a file shows is shared by the whole site (the run, the analyses, the
/// report, the theme), so the commentary is all an incremental rebuild needs to tell, on top of
/// the site's own key, whether the file changed (`RenderKeys`).
public struct PlannedFile: Sendable {
    public let path: String
    /// The Markdown this file shows (index.md, layers/<L>.md, branches/<id>.md); nil for none.
    public let commentary: String?
    private let make: @Sendable () throws -> Data

    init(path: String, commentary: String? = nil, text: @escaping @Sendable () -> String) {
        self.init(path: path, commentary: commentary, data: { Data(text().utf8) })
    }

    init(path: String, commentary: String? = nil, data: @escaping @Sendable () throws -> Data) {
        self.path = path
        self.commentary = commentary
        self.make = data
    }

    public func rendered() throws -> SiteFile { SiteFile(path: path, contents: try make()) }
}
