import Foundation
import HTTPTypes
import HavenService
import Hummingbird

extension HavenAPI {
    /// A client's records request: the `haven-client-export-v1` document, byte for byte what `haven
    /// export client` writes (`ClientExport.encoder`), audited by the service as one entry.
    func addExport(to v1: RouterGroup<HavenRequestContext>) {
        let exports = ExportService(pool: pool, keys: keys)
        v1.get("/clients/{clientId}/export") { request, context in
            let actor = try context.requireActor()
            let export = try await exports.exportClient(
                try Self.id("clientId", context),
                includePsychotherapyNotes: try Self.flag(request, "psychotherapyNotes"),
                actor: actor
            )
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: try ClientExport.encoder.encode(export)))
            )
        }
    }
}
