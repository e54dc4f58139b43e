import Foundation

/// What a site needs beyond its pages to be published on a static host: a `404.html` (hosts serve
/// it for any missing path, so its links start from the site's address, not from where it lies)
/// and, given the address the site will be served from (`--base-url`), a `sitemap.xml`. Every
/// other link stays relative, so a site works from any folder and from `file://`.
public struct Publishing: Sendable {
    /// Where the site will be served from, ending in "/"; nil when not given.
    public let baseURL: String?
    /// `<lastmod>` of the sitemap's entries: SOURCE_DATE_EPOCH when set (reproducible builds,
    /// reproducible-builds.org/specs/source-date-epoch); nil leaves dates out, so that identical
    /// input gives identical bytes.
    public let lastModified: Date?

    /// - Throws: `SettingError.baseURL`, or an `InputError` naming SOURCE_DATE_EPOCH, when either is malformed.
    public init(baseURL: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let baseURL {
            guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  url.host?.isEmpty == false, url.query == nil, url.fragment == nil,
                  !baseURL.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "<" || $0 == ">" }) else {
                throw SettingError.baseURL(baseURL)
            }
            self.baseURL = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        } else {
            self.baseURL = nil
        }
        if let epoch = environment["SOURCE_DATE_EPOCH"] {
            guard let seconds = Int64(epoch), seconds >= 0 else {
                throw InputError(file: "SOURCE_DATE_EPOCH", "\"\(epoch)\" is not a non-negative number of seconds since 1970")
            }
            lastModified = Date(timeIntervalSince1970: TimeInterval(seconds))
        } else {
            lastModified = nil
        }
    }

    /// `files` with `404.html` and, with a base URL, `sitemap.xml` (every page but the 404, in path
    /// order): of the site's files `allPaths`, where `files` are only those to be written.
    public func adding(to files: [SiteFile], theme: Theme, siteTitle: String, dataFile: String, allPaths: [String]? = nil) -> [SiteFile] {
        // The not-found page has nothing of its own: its template shows the frame.
        let page = Page(frame: PageFrame(root: baseURL ?? "/", pageTitle: "Page not found · \(siteTitle)", runTitle: siteTitle,
                                         modelName: "", dataFile: dataFile), body: ())
        var out = files + [SiteFile(path: "404.html", text: theme.render("not-found", page))]
        if let baseURL {
            let pages = (allPaths ?? files.map(\.path)).filter { $0.hasSuffix(".html") }.sorted()
            out.append(SiteFile(path: "sitemap.xml", text: Self.sitemap(pages.map { baseURL + Self.percentEncoded($0) }, lastModified: lastModified)))
        }
        return out
    }

    /// A sitemap (sitemaps.org protocol 0.9) of absolute page addresses.
    static func sitemap(_ locations: [String], lastModified: Date?) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
        let date = lastModified.map { d -> String in
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy-MM-dd"
            return f.string(from: d)
        }
        for loc in locations {
            out += "<url><loc>\(Escape.html(loc))</loc>\(date.map { "<lastmod>\($0)</lastmod>" } ?? "")</url>\n"
        }
        return out + "</urlset>\n"
    }

    /// A site path as a URL path: each segment percent-encoded (branch folders are plain names or
    /// `_N`, but a user's templates could name anything).
    static func percentEncoded(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#;")
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0) }.joined(separator: "/")
    }
}
