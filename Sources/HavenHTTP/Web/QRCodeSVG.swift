import CQRencode
import Foundation
import HavenReports

/// A QR code drawn as SVG on the server, for the code-app enrolment page (docs/web.md). The matrix
/// comes from Debian's libqrencode (a maintained encoder, rather than a hand-written one: the
/// Reed–Solomon blocks, masks and version tables are easy to get subtly wrong); the SVG is built
/// here from numbers only (one `<path>` of unit squares), so it carries no script, style, text or
/// external reference and the page can embed it inline under the CSP.
enum QRCodeSVG {
    /// The modules of the QR code for `text` (error correction level M, 8-bit mode), row by row,
    /// true for dark; nil if libqrencode refuses (text too long).
    static func matrix(for text: String) -> [[Bool]]? {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        guard width > 0, let data = code.pointee.data else { return nil }
        return (0..<width).map { row in
            // The lowest bit of each byte is the module's colour (qrencode.h).
            (0..<width).map { column in data[row * width + column] & 1 == 1 }
        }
    }

    /// The SVG for `text`: the matrix with a four-module quiet zone, scaled by the `viewBox`, titled
    /// for screen readers by `label` (the caller's fixed wording, escaped anyway).
    static func svg(for text: String, label: String) -> String? {
        guard let matrix = matrix(for: text) else { return nil }
        let quiet = 4
        let size = matrix.count + 2 * quiet
        var path = ""
        for (row, modules) in matrix.enumerated() {
            for (column, dark) in modules.enumerated() where dark {
                path += "M\(column + quiet) \(row + quiet)h1v1h-1z"
            }
        }
        let title = HTMLEscape.text(label)
        return """
            <svg class="qr" viewBox="0 0 \(size) \(size)" \
            width="\(size * 6)" height="\(size * 6)" role="img" aria-labelledby="qr-title" \
            shape-rendering="crispEdges"><title id="qr-title">\(title)</title>\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }
}
