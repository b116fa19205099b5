import Foundation
import HTTPTypes
import HavenReports
import Hummingbird

/// The stylesheet and script the pages load from `/static/` (embedded at build time from
/// `Web/Static`, `webStaticFiles`): same origin, so the CSP's `'self'` allows them and nothing else.
enum WebStaticFiles {
    /// File name → (content type, bytes).
    static let files: [String: (contentType: String, text: String)] = Dictionary(
        uniqueKeysWithValues: webStaticFiles.compactMap { file in
            let type: String? =
                switch (file.name as NSString).pathExtension {
                case "css": "text/css; charset=utf-8"
                case "js": "text/javascript; charset=utf-8"
                case "svg": "image/svg+xml"
                default: nil
                }
            return type.map { (file.name, ($0, file.text)) }
        }
    ).merging(["report.css": ("text/css; charset=utf-8", reportStylesheet)]) { embedded, _ in embedded }

    /// `/static/report.css`: the report's own stylesheet (`HTMLRenderer.stylesheet`, inline in the
    /// downloadable file), for the `.report` element a page shows a report in, since the CSP allows no
    /// inline `<style>` in the app.
    static let reportStylesheet = HTMLRenderer.stylesheet

    /// The file's response, or nil for a name that is not one of them.
    static func response(for name: String) -> Response? {
        guard let file = files[name] else { return nil }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        // No hash in the name yet: a short cache, revalidated, so an upgrade shows at once.
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: file.text)))
    }
}
