import Foundation
import HTTPTypes
import HavenService
import Hummingbird

extension HavenAPI {
    struct PsychotherapyNoteBody: Decodable {
        var body: String
    }

    struct PsychotherapyNoteView: Encodable {
        var id: String
        var body: String
    }

    /// Psychotherapy notes: written on a chart of the caller's caseload, read by their author alone
    /// (anyone else gets 404, audited as denied); out of exports unless asked for.
    func addPsychotherapyNotes(to v1: RouterGroup<HavenRequestContext>) {
        let notes = PsychotherapyNoteService(pool: pool, keys: keys)
        @Sendable func write(
            _ request: Request,
            _ context: HavenRequestContext,
            _ chart: ChartReference
        ) async throws
            -> Response
        {
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(PsychotherapyNoteBody.self, from: request, context: context)
            let id = try await notes.write(body.body, chart: chart, actor: actor)
            var headers = HTTPFields()
            headers[.location] = "/v1/psychotherapy-notes/\(id.uuidString.lowercased())"
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created, headers: headers)
        }
        v1.post("/couples/{coupleId}/psychotherapy-notes") { request, context in
            try await write(request, context, .couple(try Self.id("coupleId", context)))
        }
        v1.post("/clients/{clientId}/psychotherapy-notes") { request, context in
            try await write(request, context, .client(try Self.id("clientId", context)))
        }
        v1.get("/psychotherapy-notes/{psychotherapyNoteId}") { _, context in
            let id = try Self.id("psychotherapyNoteId", context)
            let body = try await notes.read(id, actor: try context.requireActor())
            return try APIJSON.response(PsychotherapyNoteView(id: id.uuidString.lowercased(), body: body))
        }
    }
}
