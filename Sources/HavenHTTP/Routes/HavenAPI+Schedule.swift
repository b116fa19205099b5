import Foundation
import HTTPTypes
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// `POST /v1/therapy-sessions`: a session for one chart (exactly one of the two ids).
    public struct ScheduleBody: Codable, Sendable {
        public var coupleId: UUID?
        public var clientId: UUID?
        public var start: Date
        public var durationMinutes: Int
        public var format: String
        public var riskOverrideReason: String?

        public init(
            coupleId: UUID? = nil,
            clientId: UUID? = nil,
            start: Date,
            durationMinutes: Int,
            format: String,
            riskOverrideReason: String? = nil
        ) {
            self.coupleId = coupleId
            self.clientId = clientId
            self.start = start
            self.durationMinutes = durationMinutes
            self.format = format
            self.riskOverrideReason = riskOverrideReason
        }
    }

    /// `POST /v1/therapy-sessions/{id}/status`.
    public struct StatusBody: Codable, Sendable {
        public var status: String

        public init(
            status: String
        ) {
            self.status = status
        }
    }

    /// What a create answers (201): the new record's id.
    public struct Created: Codable, Sendable {
        public var id: String
    }

    func addSchedule(to v1: RouterGroup<HavenRequestContext>) {
        let sessions = SessionService(pool: pool, keys: keys)
        v1.post("/therapy-sessions") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(ScheduleBody.self, from: request, context: context)
            let chart: ChartReference
            switch (body.coupleId, body.clientId) {
            case (let couple?, nil): chart = .couple(couple)
            case (nil, let client?): chart = .client(client)
            default: throw ServiceError(.invalidInput, field: "coupleId", "give exactly one of coupleId and clientId")
            }
            let id = try await sessions.schedule(
                chart,
                start: body.start,
                durationMinutes: body.durationMinutes,
                format: try Self.parse(SessionFormat.self, body.format),
                riskOverrideReason: body.riskOverrideReason,
                actor: actor
            )
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
        }
        // The schedule across every chart in reach (the day's view): sessions starting in [from, to).
        v1.get("/therapy-sessions") { request, context in
            let actor = try context.requireActor()
            let list = try await sessions.list(
                chart: nil,
                from: try Self.instant(request, "from"),
                to: try Self.instant(request, "to"),
                actor: actor
            )
            return try APIJSON.response(
                try Page(list, request: request, key: { $0.id.uuidString.lowercased() }, line: { $0 })
            )
        }
        v1.post("/therapy-sessions/{sessionId}/status") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(StatusBody.self, from: request, context: context)
            try await sessions.setStatus(
                try Self.parse(SessionStatus.self, body.status),
                session: try Self.id("sessionId", context),
                actor: actor
            )
            return Response(status: .noContent)
        }
        v1.get("/couples/{coupleId}/sessions") { request, context in
            let list = try await sessions.list(
                chart: .couple(try Self.id("coupleId", context)),
                actor: try context.requireActor()
            )
            return try APIJSON.response(
                try Page(list, request: request, key: { $0.id.uuidString.lowercased() }, line: { $0 })
            )
        }
    }

    /// A clinical enum from request text, refused with the field and the allowed values.
    static func parse<Value: ClinicalEnum>(_ type: Value.Type, _ text: String) throws -> Value {
        do {
            return try Value.parse(text)
        } catch let error as DomainError {
            throw ServiceError(.invalidInput, field: error.field, error.message)
        }
    }
}
