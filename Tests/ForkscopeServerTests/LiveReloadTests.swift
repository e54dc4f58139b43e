import Foundation
import Testing
@testable import ForkscopeServer

/// What the server adds to a page, and only to a page it serves.
struct LiveReloadTests {
    static let page = """
        <!DOCTYPE html><html><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'">
        <title>t</title></head><body><p>x</p></body></html>
        """

    @Test func servedPagesGetTheScriptAndConnectSrc() {
        let served = String(decoding: LiveReload.inject(into: Data(Self.page.utf8), version: 7), as: UTF8.self)
        #expect(served.contains("<script src=\"/__forkscope/live.js\" data-forkscope-version=\"7\" defer></script>\n</head>"))
        #expect(served.contains("content=\"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'\""))
        // Nothing else changes.
        let back = served.replacingOccurrences(of: "<script src=\"/__forkscope/live.js\" data-forkscope-version=\"7\" defer></script>\n", with: "")
            .replacingOccurrences(of: "; connect-src 'self'", with: "")
        #expect(back == Self.page)
    }

    @Test func thePageWithoutAHeadStillGetsTheScriptAndAPolicyIsNotWidenedTwice() {
        let once = String(decoding: LiveReload.inject(into: Data("<p>x</p>".utf8), version: 1), as: UTF8.self)
        #expect(once.hasSuffix("defer></script>"))
        let twice = LiveReload.allowingConnections(LiveReload.allowingConnections(Self.page))
        #expect(twice.components(separatedBy: "connect-src").count == 2)
    }

    /// The script is plain, eval-free and only talks to its own origin's event stream.
    @Test func theScriptStaysOnItsOrigin() {
        #expect(LiveReload.script.contains("new EventSource(\"/__forkscope/events\")"))
        for banned in ["eval(", "new Function", "innerHTML", "http:", "https:", "//cdn"] {
            #expect(!LiveReload.script.contains(banned), "\(banned)")
        }
        #expect(LiveReload.event(12) == "data: 12\n\n")
    }

    @Test func theErrorPageEscapesTheError() {
        let html = String(decoding: ErrorPage.html(error: "x/layer.mustache: <script>alert(1)</script>", path: "/a\"b.html", version: 2), as: UTF8.self)
        #expect(html.contains("x/layer.mustache: &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("href=\"/a&quot;b.html?last-good\""))
        #expect(html.contains("/__forkscope/live.js"))
    }
}
