/// The one Markdown escaper of reports and exports: a person's text shows as written, on one line.
public enum MarkdownEscape {
    /// One line of user text, shown as written: Markdown's inline syntax and every character that
    /// starts a block at the beginning of a line is backslash-escaped, line breaks become spaces, and
    /// leading spaces (an indented code block) are dropped.
    ///
    /// Unicode scalar by scalar, not character by character: to Swift a `[` followed by a combining
    /// mark is one `Character` that is not `[`, yet a Markdown parser still opens a link at it.
    public static func line(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        let oneLine = text.unicodeScalars.lazy.filter { $0 != "\r" }.map { $0 == "\n" ? " " : $0 }
        for scalar in oneLine.drop(while: { $0 == " " || $0 == "\t" }) {
            switch scalar {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "#", "|", "!":
                out.append("\\")
                out.append(scalar)
            case "-", "+", "=", "~", ":":
                // A list item, a setext underline, a fence or a definition, only at the start.
                if out.isEmpty { out.append("\\") }
                out.append(scalar)
            default: out.append(scalar)
            }
        }
        var line = String(out)
        // "1. " or "1) " at the start would open an ordered list.
        if let match = line.firstMatch(of: /^[0-9]+([.)])/) {
            line.insert("\\", at: match.output.1.startIndex)
        }
        return line
    }
}
