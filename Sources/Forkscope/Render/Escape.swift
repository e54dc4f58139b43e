/// Escaping of untrusted text (token text, labels, ids) for the places pages put it.
///
/// One function serves HTML text, attribute values and SVG (inline SVG in HTML and standalone
/// XML alike): `&`, `<`, `>`, `"` and `'` become references, so no token can close an element,
/// an attribute, a comment or a CDATA section (`]]>` loses its `>`).
public enum Escape {
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
