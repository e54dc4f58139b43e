import Foundation

/// A file of a site: its path relative to the site root and its bytes.
public struct SiteFile: Sendable {
    public let path: String
    public let contents: Data
    public init(path: String, contents: Data) { self.path = path; self.contents = contents }
    public init(path: String, text: String) { self.init(path: path, contents: Data(text.utf8)) }
}
