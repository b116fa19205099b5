import Foundation
import HavenService

/// Renders a client export as one self-contained HTML page, section by section: no scripts, no
/// external requests, every value from the record HTML-escaped (`HTMLEscape`, as the report
/// escapes), so markup in a note comes out as text.
public enum ExportHTMLRenderer {
    /// The export as one HTML document.
    public static func render(_ export: ClientExport) -> String {
        let readable = ReadableExport(export)
        let subject = e(readable.subject)
        var out = [
            "<!DOCTYPE html>",
            "<html lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\" />",
            "<title>\(e(readable.title)): \(subject)</title>",
            "<style>\(HTMLRenderer.stylesheet)</style>",
            "</head>",
            "<body>",
            "<main class=\"report\">",
            "<header>",
            "<h1>\(e(readable.title)): \(subject)</h1>",
            "<p class=\"meta\">Everything this practice holds about \(subject), as of \(e(readable.generatedAt)) "
                + "(the same record as the haven-client-export-v1 JSON).</p>",
            "<h2>Left out of this export</h2>",
            "<ul>",
        ]
        out += readable.exclusions.map { "<li>\(e($0))</li>" }
        out.append("</ul>")
        if !readable.unreadable.isEmpty {
            out += ["<h2>Values that could not be opened</h2>", "<ul>"]
            out += readable.unreadable.map { "<li>\(e($0))</li>" }
            out.append("</ul>")
        }
        out.append("</header>")
        for section in readable.sections {
            out += ["<section>", "<h2>\(e(section.title))</h2>"]
            if section.entries.isEmpty { out.append("<p>None.</p>") }
            for entry in section.entries {
                out.append("<h3>\(e(entry.heading))</h3>")
                if !entry.fields.isEmpty {
                    out.append("<dl>")
                    out += entry.fields.map { "<dt>\(e($0.label))</dt><dd>\(e($0.value))</dd>" }
                    out.append("</dl>")
                }
                for text in entry.texts {
                    out.append("<h4>\(e(text.label))</h4>")
                    out.append("<p style=\"white-space:pre-wrap\">\(e(text.value))</p>")
                }
            }
            out.append("</section>")
        }
        out += ["</main>", "</body>", "</html>"]
        return out.joined(separator: "\n") + "\n"
    }

    private static func e(_ text: String) -> String { HTMLEscape.text(text) }
}
