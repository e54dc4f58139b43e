import Foundation
import Testing
@testable import Forkscope

@Suite("Markdown (libcmark)")
struct MarkdownTests {
    @Test("headings, emphasis, links, lists and code render as HTML")
    func basics() {
        #expect(Markdown.html("# Title") == "<h1>Title</h1>\n")
        #expect(Markdown.html("## Sub") == "<h2>Sub</h2>\n")
        let p = Markdown.html("Some *em* and **strong** and `code`.")
        #expect(p == "<p>Some <em>em</em> and <strong>strong</strong> and <code>code</code>.</p>\n")
        #expect(Markdown.html("[site](https://example.org/a?b=1&c=2)")
                == "<p><a href=\"https://example.org/a?b=1&amp;c=2\">site</a></p>\n")
        #expect(Markdown.html("[up](../layers/0.html)") == "<p><a href=\"../layers/0.html\">up</a></p>\n")
        let list = Markdown.html("- one\n- two\n")
        #expect(list.contains("<ul>") && list.contains("<li>one</li>") && list.contains("<li>two</li>"))
    }

    @Test("text is escaped and non-ASCII survives")
    func textEscapedUnicodeKept() {
        #expect(Markdown.html("a < b & c > d") == "<p>a &lt; b &amp; c &gt; d</p>\n")
        #expect(Markdown.html("é ✓ 日本 😀") == "<p>é ✓ 日本 😀</p>\n")
        #expect(Markdown.html("") == "")
    }

    @Test("the whole input is read, NUL bytes included (no C-string truncation)")
    func embeddedNUL() {
        let html = Markdown.html("before\u{0}after")
        #expect(html.contains("before") && html.contains("after"), "\(html.debugDescription)")
        #expect(!html.unicodeScalars.contains("\u{0}"))
    }

    @Test("raw HTML blocks and inline HTML are omitted", arguments: [
        "<script>x</script>",
        "<img src=x onerror=alert(1)>",
        "text <img src=x onerror=alert(1)> more",
        "foo <b onclick=\"x()\">bar</b>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div>\n<script>alert(1)</script>\n</div>",
        "<style>body{display:none}</style>",
    ])
    func rawHTMLOmitted(markdown: String) {
        let html = Markdown.html(markdown).lowercased()
        for bad in ["<script", "<img", "onerror", "onclick", "<iframe", "<b ", "<div", "<style"] {
            #expect(!html.contains(bad), "\(markdown.debugDescription) -> \(html.debugDescription)")
        }
    }

    @Test("dangerous link and image URLs get no href/src", arguments: [
        "[a](javascript:alert(1))",
        "[a](JaVaScRiPt:alert(1))",
        "[a](vbscript:msgbox(1))",
        "[a](data:text/html;base64,PHNjcmlwdD4=)",
        "![i](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[a][ref]\n\n[ref]: javascript:alert(1)",
    ])
    func dangerousURLs(markdown: String) {
        let html = Markdown.html(markdown)
        let urls = SiteTestKit.attributeValues("href", in: html) + SiteTestKit.attributeValues("src", in: html)
        for url in urls {
            let u = SiteTestKit.unescape(url).lowercased().filter { !$0.isWhitespace }
            #expect(!u.hasPrefix("javascript:") && !u.hasPrefix("vbscript:") && !u.hasPrefix("data:text/html"),
                    "\(markdown.debugDescription) -> \(html)")
        }
        #expect(!html.lowercased().contains("href=\"javascript:") && !html.lowercased().contains("src=\"javascript:"))
    }

    @Test("a link with a javascript: target keeps its text")
    func dangerousLinkKeepsText() {
        let html = Markdown.html("[click me](javascript:alert(1))")
        #expect(html.contains("click me"))
        #expect(html.contains("href=\"\""))
    }
}
