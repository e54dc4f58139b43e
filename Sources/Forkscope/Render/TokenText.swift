import Foundation

/// How a token's text is shown: control characters, which browsers drop or which are not allowed
/// in XML at all (U+0000 to U+001F but tab and newline), become visible: newline ↵, tab ⇥, the
/// others Unicode control pictures (U+2400 block); C1 controls, noncharacters and the bidirectional
/// formatting characters become `\u{…}`. The last would otherwise reorder what follows them on the
/// page ("Trojan Source", Boucher & Anderson 2021): a token may show its bytes, never rearrange its
/// neighbours. Tokens that are pieces of broken UTF-8 arrive as U+FFFD from the run's JSON and are
/// shown as such.
public enum TokenText {
    /// For tables and tooltips: every control character visible, newline and tab included.
    public static func visible(_ text: String) -> String {
        map(text, keepLayout: false)
    }

    /// For running text: newlines and tabs kept as layout, other controls visible.
    public static func inline(_ text: String) -> String {
        map(text, keepLayout: true)
    }

    /// C1 controls, the noncharacters (U+FDD0…U+FDEF, U+FFFE, U+FFFF, U+1FFFE, … U+10FFFF) and the
    /// bidirectional formatting characters (ALM, LRM, RLM, the embeddings and overrides, the
    /// isolates): shown as `\u{…}`, and escaped in the explorer's data block (`ExploreData`).
    static func isInvisible(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x80...0x9F).contains(v) || (0xFDD0...0xFDEF).contains(v) || v & 0xFFFE == 0xFFFE
            || v == 0x061C || v == 0x200E || v == 0x200F || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }

    private static func map(_ text: String, keepLayout: Bool) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            switch s.value {
            case 0x0A where keepLayout, 0x09 where keepLayout:
                out.append(s)
            case 0x0A:
                out.append("\u{21B5}")
            case 0x09:
                out.append("\u{21E5}")
            case 0x00...0x1F:
                out.append(Unicode.Scalar(0x2400 + s.value)!)
            case 0x7F:
                out.append("\u{2421}")
            case _ where isInvisible(s):
                out.append(contentsOf: String(format: "\\u{%04X}", s.value).unicodeScalars)
            default:
                out.append(s)
            }
        }
        return String(out)
    }
}
