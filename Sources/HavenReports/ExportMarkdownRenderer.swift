import Foundation
import HavenService

/// Renders a client export as Markdown, section by section. Every value from the record is
/// escaped, so text a user wrote shows as written: it cannot open a heading, list, quote, code
/// block, link or HTML at the start of a line or anywhere else.
public enum ExportMarkdownRenderer {
    /// The export as one Markdown document.
    public static func render(_ export: ClientExport) -> String {
        let readable = ReadableExport(export)
        var out = [
            "# \(readable.title): \(escape(readable.subject))",
            "",
            "Everything this practice holds about \(escape(readable.subject)), as of \(readable.generatedAt) "
                + "(the same record as the haven-client-export-v1 JSON).",
            "",
            "## Left out of this export",
            "",
        ]
        out += readable.exclusions.map { "- \(escape($0))" }
        if !readable.unreadable.isEmpty {
            out += ["", "## Values that could not be opened", ""] + readable.unreadable.map { "- \(escape($0))" }
        }
        for section in readable.sections {
            out += ["", "## \(section.title)", ""]
            if section.entries.isEmpty { out.append("None.") }
            for entry in section.entries {
                out += ["### \(escape(entry.heading))", ""]
                out += entry.fields.map { "- \($0.label): \(escape($0.value))" }
                for text in entry.texts {
                    out += ["", "**\(escape(text.label)):**", ""] + block(text.value)
                }
                out.append("")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Free text as its own paragraph lines, each escaped and ended with a hard break.
    private static func block(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { line in
            let escaped = escape(String(line))
            return escaped.isEmpty ? "" : escaped + "  "
        }
    }

    static func escape(_ text: String) -> String { MarkdownEscape.line(text) }
}
