import CCmark
import Foundation

/// CommonMark to HTML through libcmark (the reference implementation).
///
/// Default options: raw HTML and dangerous URLs (`javascript:` and the like) are omitted from
/// the output, since commentary may come from anyone who edits the content folder.
public enum Markdown {
    public static func html(_ markdown: String) -> String {
        var text = markdown
        return text.withUTF8 { bytes in
            guard let rendered = bytes.withMemoryRebound(to: CChar.self, { chars in
                cmark_markdown_to_html(chars.baseAddress, chars.count, CMARK_OPT_DEFAULT)
            }) else { return "" }
            defer { free(rendered) }
            return String(cString: rendered)
        }
    }
}
