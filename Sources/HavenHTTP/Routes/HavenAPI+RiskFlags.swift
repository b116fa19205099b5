import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// `POST /v1/couples/{coupleId}/risk-flag/close`: why the couple's open high-risk flag no longer
    /// holds (20 to 1000 characters, sealed for the couple).
    public struct ReasonBody: Codable, Sendable {
        public var reason: String

        public init(reason: String) {
            self.reason = reason
        }
    }

    /// What closing a high-risk flag answers: the closure's id and the note whose high risk it closes.
    public struct RiskFlagClosed: Codable, Sendable {
        public var id: String
        public var noteId: String
    }

    func addRiskFlags(to v1: RouterGroup<HavenRequestContext>) {
        let records = CoupleRecordService(pool: pool, keys: keys)
        v1.post("/couples/{coupleId}/risk-flag/close") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(ReasonBody.self, from: request, context: context)
            let closed = try await records.closeRiskFlag(
                couple: try Self.id("coupleId", context),
                reason: body.reason,
                actor: actor
            )
            return try APIJSON.response(
                RiskFlagClosed(id: closed.id.uuidString.lowercased(), noteId: closed.noteID.uuidString.lowercased()),
                status: .created
            )
        }
    }
}
