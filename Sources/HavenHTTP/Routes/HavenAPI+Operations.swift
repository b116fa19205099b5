import Foundation
import HTTPTypes
import Hummingbird

extension HavenAPI {
    struct Health: Encodable {
        var status: String
        var problems: [String]?
    }

    func addOperations(to router: Router<HavenRequestContext>) {
        // The process is up.
        router.get("/health") { _, _ in try APIJSON.response(Health(status: "ok")) }
        // The database answers, its migrations are current, the master key is loaded.
        router.get("/ready") { _, _ in
            let problems = await self.readiness()
            return try APIJSON.response(
                Health(status: problems.isEmpty ? "ready" : "not ready", problems: problems.isEmpty ? nil : problems),
                status: problems.isEmpty ? .ok : .serviceUnavailable
            )
        }
        router.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(
                status: .ok,
                headers: headers,
                // docs/openapi.yaml, compiled in by the EmbedOpenAPIDocument build plugin.
                body: .init(byteBuffer: ByteBuffer(string: openAPIDocumentYAML))
            )
        }
    }
}
