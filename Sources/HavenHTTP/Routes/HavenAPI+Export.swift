import Foundation
import HTTPTypes
import HavenReports
import HavenService
import Hummingbird

extension HavenAPI {
    /// A client's records request: the `haven-client-export-v1` document, byte for byte what `haven
    /// export client` writes (`ClientExport.encoder`), or the same document as Markdown or HTML by
    /// `Accept`; audited by the service as one entry. And the review before release.
    func addExport(to v1: RouterGroup<HavenRequestContext>) {
        let exports = ExportService(pool: pool, keys: keys)
        v1.get("/clients/{clientId}/export") { request, context in
            let actor = try context.requireActor()
            // Negotiated before anything is read or audited.
            let type = try AcceptMiddleware.require(["application/json", "text/markdown", "text/html"], request)
            let export = try await exports.exportClient(
                try Self.id("clientId", context),
                includePsychotherapyNotes: try Self.flag(request, "psychotherapyNotes"),
                actor: actor
            )
            var headers = HTTPFields()
            let body: ByteBuffer
            switch type {
            case "text/markdown":
                headers[.contentType] = "text/markdown; charset=utf-8"
                body = ByteBuffer(string: ExportMarkdownRenderer.render(export))
            case "text/html":
                headers[.contentType] = "text/html; charset=utf-8"
                body = ByteBuffer(string: ExportHTMLRenderer.render(export))
            default:
                headers[.contentType] = "application/json"
                body = ByteBuffer(bytes: try ClientExport.encoder.encode(export))
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
        v1.get("/clients/{clientId}/export/review") { request, context in
            let actor = try context.requireActor()
            let review = try await exports.reviewExport(
                try Self.id("clientId", context),
                includePsychotherapyNotes: try Self.flag(request, "psychotherapyNotes"),
                actor: actor
            )
            return try APIJSON.response(review)
        }
    }
}
