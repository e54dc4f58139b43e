import Foundation
import Hummingbird

/// What a request's target names in the site folder, decided before any file is opened: only a
/// regular file inside the site, after percent-decoding and after resolving symbolic links, is
/// ever served.
///
/// Refused: `..` segments (raw or percent-encoded, e.g. `%2e%2e`), encoded slashes and
/// backslashes (`%2f`, `%5c`: a segment must stay one segment), NUL, malformed escapes, targets
/// that are not origin-form (`http://…`, `*`), and anything whose real path lies outside the
/// site's real path (a symbolic link out of the site). A folder is served by its `index.html`.
public enum ServedPath: Equatable, Sendable {
    /// A file to send, by its absolute real path, and whether it is an HTML page.
    case file(String, html: Bool)
    /// A folder named without its trailing slash: redirect so that relative links resolve.
    case redirect(String)
    case notFound
    /// Not a path Forkscope serves (traversal, bad encoding): 400.
    case refused

    /// - Parameters:
    ///   - target: the request-target as sent (path and optional query), still percent-encoded.
    ///   - root: the site folder.
    public static func resolve(_ target: String, root: String) -> ServedPath {
        let rawPath = String(target.prefix { $0 != "?" && $0 != "#" })
        guard rawPath.hasPrefix("/"), !rawPath.hasPrefix("//") else { return .refused }
        var segments = [String]()
        for raw in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = raw.removingPercentEncoding,
                  !segment.contains("/"), !segment.contains("\\"), !segment.contains("\0"),
                  segment != "..", segment != "." else { return .refused }
            segments.append(segment)
        }
        guard let base = realPath(root) else { return .notFound }
        var path = segments.isEmpty ? base : base + "/" + segments.joined(separator: "/")
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return .notFound }
        if isDir.boolValue {
            guard rawPath.hasSuffix("/") || segments.isEmpty else { return .redirect(rawPath + "/") }
            path += "/index.html"
        }
        // Symbolic links are followed, then the real path must still lie in the site.
        guard let real = realPath(path), real.hasPrefix(base + "/") else { return .notFound }
        var info = stat()
        guard stat(real, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .notFound }
        return .file(real, html: real.hasSuffix(".html"))
    }

    /// realpath(3): absolute, with every symbolic link and `.`/`..` resolved; nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The Content-Type of a site file: Hummingbird's media type for its extension, text as UTF-8.
    static func contentType(_ path: String) -> String {
        guard let type = MediaType.getMediaType(forExtension: (path as NSString).pathExtension.lowercased()) else {
            return "application/octet-stream"
        }
        return type.type == .text ? "\(type); charset=utf-8" : "\(type)"
    }
}
