import Foundation
import Testing
@testable import Forkscope

@Suite("Escape.html")
struct EscapeHTMLTests {
    @Test("each of the five special characters becomes a reference", arguments: [
        ("<script>", "&lt;script&gt;"),
        ("&", "&amp;"),
        ("\"", "&quot;"),
        ("'", "&#39;"),
        ("]]>", "]]&gt;"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a&b", "a&amp;b"),
        ("\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"),
        ("--><!--", "--&gt;&lt;!--"),
    ])
    func specials(input: String, expected: String) {
        #expect(Escape.html(input) == expected)
    }

    @Test("an existing reference is escaped again, not passed through")
    func noDoubleUnescape() {
        #expect(Escape.html("&amp;") == "&amp;amp;")
        #expect(Escape.html("&lt;b&gt;") == "&amp;lt;b&amp;gt;")
    }

    @Test("other text, non-ASCII and controls included, is left as it is")
    func plainTextUnchanged() {
        for s in ["", "plain", " garden", "é✓日本", "\u{FFFD} broken", "tab\there", "\u{0}", "😀"] {
            #expect(Escape.html(s) == s)
        }
    }

    @Test("works per scalar: a combining mark cannot hide a special character")
    func combiningMarks() {
        // "<" + U+0338 is one Character (canonically "≮"); a Character-based escaper would miss it.
        #expect(Escape.html("<\u{338}script>") == "&lt;\u{338}script&gt;")
        #expect(Escape.html("\"\u{301}") == "&quot;\u{301}")
        #expect(Escape.html("&\u{301}") == "&amp;\u{301}")
    }

    @Test("output never contains a raw <, >, \" or ' and every & starts a reference")
    func outputIsInert() {
        let input = (0..<0x80).map { String(Unicode.Scalar($0)!) }.joined() + "<\u{338}>\u{301}\"\u{301}'\u{301}&\u{301}"
        let out = Escape.html(input)
        for bad in ["<", ">", "\"", "'"] { #expect(!out.contains(bad)) }
        // Every & starts one of the five references (checked per scalar: combining marks may follow).
        let scalars = Array(out.unicodeScalars)
        let refs = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].map { Array($0.unicodeScalars) }
        for i in scalars.indices where scalars[i] == "&" {
            #expect(refs.contains { Array(scalars[i..<min(scalars.count, i + $0.count)]) == $0 },
                    "a bare & at scalar \(i)")
        }
    }
}

@Suite("TokenText")
struct TokenTextTests {
    @Test("visible: every C0 control becomes visible: tab ⇥, newline ↵, the others control pictures", arguments: [
        ("\u{0}", "\u{2400}"),      // NUL -> ␀
        ("\u{7}", "\u{2407}"),      // BEL -> ␇
        ("\t", "\u{21E5}"),         // tab -> ⇥ (documented in Escaping.swift)
        ("\n", "\u{21B5}"),         // newline -> ↵ (documented in Escaping.swift)
        ("\r", "\u{240D}"),         // CR -> ␍
        ("\u{1B}", "\u{241B}"),     // ESC -> ␛
        ("\u{1F}", "\u{241F}"),     // US -> ␟
        ("\u{7F}", "\u{2421}"),     // DEL -> ␡
    ])
    func visibleControls(input: String, expected: String) {
        #expect(TokenText.visible(input) == expected)
    }

    @Test("visible: C1 controls and noncharacters become \\u{…}", arguments: [
        (UInt32(0x80), "\\u{0080}"),
        (0x85, "\\u{0085}"),    // NEL
        (0x9F, "\\u{009F}"),
        (0xFDD0, "\\u{FDD0}"),
        (0xFDEF, "\\u{FDEF}"),
        (0xFFFE, "\\u{FFFE}"),
        (0xFFFF, "\\u{FFFF}"),
    ])
    func visibleC1AndNoncharacters(value: UInt32, expected: String) {
        #expect(TokenText.visible(String(Unicode.Scalar(value)!)) == expected)
    }

    @Test("U+FFFD (a broken UTF-8 piece) and ordinary text are shown as they are")
    func replacementCharacterKept() {
        #expect(TokenText.visible("\u{FFFD} broken") == "\u{FFFD} broken")
        #expect(TokenText.inline("\u{FFFD}") == "\u{FFFD}")
        for s in [" garden", "<script>", "a&b", "é✓", "\u{A0}", "\u{2028}", "😀", "\u{2400}"] {
            #expect(TokenText.visible(s) == s)
            #expect(TokenText.inline(s) == s)
        }
    }

    @Test("inline keeps tab and newline as layout, shows the other controls")
    func inlineKeepsLayout() {
        #expect(TokenText.inline("\t") == "\t")
        #expect(TokenText.inline("\n") == "\n")
        #expect(TokenText.inline("tab\there\u{7}bell") == "tab\there\u{2407}bell")
        #expect(TokenText.inline("\u{0}nul") == "\u{2400}nul")
        #expect(TokenText.inline("\r") == "\u{240D}")
        #expect(TokenText.inline("\u{7F}") == "\u{2421}")
        #expect(TokenText.inline("\u{85}") == "\\u{0085}")
        #expect(TokenText.inline(String(Unicode.Scalar(0xFFFE as UInt32)!)) == "\\u{FFFE}")
    }

    @Test("mixed tokens from the fixture")
    func fixtureTokens() {
        #expect(TokenText.visible("tab\there\u{7}bell") == "tab\u{21E5}here\u{2407}bell")
        #expect(TokenText.visible("\u{0}nul") == "\u{2400}nul")
        #expect(TokenText.visible("a\r\nb") == "a\u{240D}\u{21B5}b")
    }

    /// XML 1.0 `Char`: what may appear in an SVG at all.
    static func isXMLChar(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    @Test("visible output of any BMP scalar is XML-legal and free of C0/C1 controls and BMP noncharacters")
    func visibleIsAlwaysSafe() {
        for v in UInt32(0)...0xFFFF {
            guard let s = Unicode.Scalar(v) else { continue }  // surrogates
            let out = TokenText.visible(String(s))
            for o in out.unicodeScalars {
                let bad = !Self.isXMLChar(o) || o.value < 0x20 || (0x7F...0x9F).contains(o.value)
                    || (0xFDD0...0xFDEF).contains(o.value) || o.value == 0xFFFE || o.value == 0xFFFF
                if bad {
                    Issue.record("visible(U+\(String(v, radix: 16))) contains U+\(String(o.value, radix: 16))")
                    return
                }
            }
        }
    }

    @Test("inline output of any BMP scalar is XML-legal; only tab and newline stay raw controls")
    func inlineIsAlwaysSafe() {
        for v in UInt32(0)...0xFFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            for o in TokenText.inline(String(s)).unicodeScalars {
                if !Self.isXMLChar(o) || (o.value < 0x20 && o != "\t" && o != "\n") || (0x7F...0x9F).contains(o.value) {
                    Issue.record("inline(U+\(String(v, radix: 16))) contains U+\(String(o.value, radix: 16))")
                    return
                }
            }
        }
    }

    /// Escaping.swift documents "C1 controls and noncharacters become `\u{…}`". Unicode has 66
    /// noncharacters: U+FDD0…U+FDEF and the last two code points of every plane (U+nFFFE, U+nFFFF).
    @Test("visible: the noncharacters outside the BMP become \\u{…} too, as documented", arguments: [
        UInt32(0x1FFFE), 0x1FFFF, 0x2FFFE, 0xEFFFF, 0xFFFFE, 0x10FFFE, 0x10FFFF,
    ])
    func supplementaryNoncharacters(value: UInt32) {
        let s = String(Unicode.Scalar(value)!)
        #expect(TokenText.visible(s) == "\\u{" + String(value, radix: 16, uppercase: true) + "}")
    }
}
