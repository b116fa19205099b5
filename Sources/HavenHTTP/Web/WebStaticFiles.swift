import Foundation
import HTTPTypes
import HavenReports
import Hummingbird
import Sealing

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

    /// Each file's version: the first 16 hex digits of the SHA-256 of its bytes. The pages name a file
    /// as `/static/<name>?v=<version>` (`versioned(_:)`), so a browser may keep it for a year and still
    /// fetches a new build's file at once, since its address changed with its bytes.
    static let versions: [String: String] = files.mapValues { String(Hex.encode(SHA256.hash($0.text)).prefix(16)) }

    /// `text` with every quoted `"/static/<name>"` of a file this server has rewritten to its
    /// versioned address. Done once, to the templates as they are registered: no page pays for it.
    static func versioned(_ text: String) -> String {
        versions.reduce(text) { text, file in
            text.replacingOccurrences(of: "\"/static/\(file.key)\"", with: "\"/static/\(file.key)?v=\(file.value)\"")
        }
    }

    /// The file's response, or nil for a name that is not one of them. Asked for with its current
    /// version (`?v=`), it may be cached for a year (`immutable`: not even revalidated on reload); by
    /// its bare name or an old version it is revalidated each time (`no-cache`), so a page of an
    /// earlier build still gets today's file rather than a stale one.
    static func response(for name: String, version: String?) -> Response? {
        guard let file = files[name] else { return nil }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.cacheControl] =
            version != nil && version == versions[name] ? "public, max-age=31536000, immutable" : "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: file.text)))
    }
}
