import Foundation

/// Live reload for `forkscope serve`, added by the server to the pages it sends and never written
/// by `build`: a published site holds none of it.
///
/// A served HTML page gets one more script element, `<script src="/__forkscope/live.js" defer>`,
/// from the server's own origin, and its Content-Security-Policy gains `connect-src 'self'` (the
/// built page's policy has `default-src 'none'`, which would refuse the event stream). The
/// script listens to `/__forkscope/events` (server-sent events): each message is the number of
/// the site's latest version (build or failure); when it differs from the one the page was
/// served at, the page reloads.
public enum LiveReload {
    public static let scriptPath = "/__forkscope/live.js"
    public static let eventsPath = "/__forkscope/events"
    /// Sent on each page so the script knows which version it shows.
    static let versionAttribute = "data-forkscope-version"

    /// The script: no inline code, no eval; works in any page of the site (an absolute path).
    public static let script = """
        // forkscope serve: reload this page when the site is rebuilt (server-sent events).
        (function () {
          "use strict";
          var me = document.currentScript;
          var shown = me && me.getAttribute("\(versionAttribute)");
          var source = new EventSource("\(eventsPath)");
          source.onmessage = function (event) {
            if (shown !== null && event.data !== shown) {
              source.close();
              location.reload();
            }
          };
        })();

        """

    /// `html` as served: the live-reload script before `</head>` (else at the end) and
    /// `connect-src 'self'` in its Content-Security-Policy, if it has one.
    public static func inject(into html: Data, version: Int) -> Data {
        var page = String(decoding: html, as: UTF8.self)
        let tag = "<script src=\"\(scriptPath)\" \(versionAttribute)=\"\(version)\" defer></script>"
        if let head = page.range(of: "</head>", options: .caseInsensitive) {
            page.insert(contentsOf: tag + "\n", at: head.lowerBound)
        } else {
            page += tag
        }
        page = allowingConnections(page)
        return Data(page.utf8)
    }

    /// The page with `connect-src 'self'` added to the policy of its CSP `<meta>` element(s).
    static func allowingConnections(_ page: String) -> String {
        var out = "", rest = page[...]
        while let meta = rest.range(of: "http-equiv=\"Content-Security-Policy\"", options: .caseInsensitive),
              let content = rest.range(of: "content=\"", range: meta.upperBound..<rest.endIndex),
              let end = rest.range(of: "\"", range: content.upperBound..<rest.endIndex) {
            let policy = rest[content.upperBound..<end.lowerBound]
            out += rest[..<content.upperBound] + policy + (policy.contains("connect-src") ? "" : "; connect-src 'self'")
            rest = rest[end.lowerBound...]
        }
        return out + rest
    }

    /// One server-sent event carrying a site version.
    static func event(_ version: Int) -> String { "data: \(version)\n\n" }
}
