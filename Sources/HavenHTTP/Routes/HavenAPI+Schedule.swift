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
        /// `SessionType`'s values; conjoint for a couple and individual for a client when omitted.
        public var sessionType: String?
        /// A CPT or HCPCS code (`ServiceCode`).
        public var serviceCode: String?
        public var riskOverrideReason: String?
        /// Books over another session of the same counselor on purpose (audited).
        public var allowOverlap: Bool?
        /// The session's counselor: the caller when omitted, or for a scheduler the chart's counselor.
        public var counselorId: UUID?

        public init(
            coupleId: UUID? = nil,
            clientId: UUID? = nil,
            start: Date,
            durationMinutes: Int,
            format: String,
            sessionType: String? = nil,
            serviceCode: String? = nil,
            riskOverrideReason: String? = nil,
            allowOverlap: Bool? = nil,
            counselorId: UUID? = nil
        ) {
            self.coupleId = coupleId
            self.clientId = clientId
            self.start = start
            self.durationMinutes = durationMinutes
            self.format = format
            self.sessionType = sessionType
            self.serviceCode = serviceCode
            self.riskOverrideReason = riskOverrideReason
            self.allowOverlap = allowOverlap
            self.counselorId = counselorId
        }
    }

    /// What `POST /v1/therapy-sessions` answers (201): the new session's id and what the booking
    /// warns about (overlapping sessions of the same clients; times and ids only).
    public struct ScheduledSession: Codable, Sendable {
        public var id: String
        public var warnings: [String]

        public init(id: String, warnings: [String]) {
            self.id = id
            self.warnings = warnings
        }
    }

    /// `POST /v1/therapy-sessions/{id}/status-correction`: a wrongly recorded status, corrected.
    public struct StatusCorrectionBody: Codable, Sendable {
        public var status: String
        /// Why (20 to 1000 characters, `CorrectionReason`); sealed for the chart.
        public var reason: String

        public init(status: String, reason: String) {
            self.status = status
            self.reason = reason
        }
    }

    /// `POST /v1/therapy-sessions/{id}/reschedule`: a scheduled session moved to another time or length.
    public struct RescheduleBody: Codable, Sendable {
        public var start: Date
        public var durationMinutes: Int
        /// Moves it over another session of the same counselor on purpose (audited).
        public var allowOverlap: Bool?

        public init(start: Date, durationMinutes: Int, allowOverlap: Bool? = nil) {
            self.start = start
            self.durationMinutes = durationMinutes
            self.allowOverlap = allowOverlap
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
            let booking = try await sessions.book(
                chart,
                start: body.start,
                durationMinutes: body.durationMinutes,
                format: try Self.parse(SessionFormat.self, body.format),
                type: try body.sessionType.map { try Self.parse(SessionType.self, $0) },
                serviceCode: try body.serviceCode.map(Self.serviceCode),
                riskOverrideReason: body.riskOverrideReason,
                allowOverlap: body.allowOverlap ?? false,
                counselorID: body.counselorId,
                actor: actor
            )
            return try APIJSON.response(
                ScheduledSession(id: booking.id.uuidString.lowercased(), warnings: booking.warnings),
                status: .created
            )
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
        v1.get("/therapy-sessions/{sessionId}") { _, context in
            let session = try await sessions.show(
                session: try Self.id("sessionId", context),
                actor: try context.requireActor()
            )
            return try APIJSON.response(session)
        }
        v1.post("/therapy-sessions/{sessionId}/status") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(StatusBody.self, from: request, context: context)
            try await sessions.setStatus(
                try Self.settableStatus(body.status),
                session: try Self.id("sessionId", context),
                actor: actor
            )
            return Response(status: .noContent)
        }
        v1.post("/therapy-sessions/{sessionId}/reschedule") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(RescheduleBody.self, from: request, context: context)
            let booking = try await sessions.reschedule(
                session: try Self.id("sessionId", context),
                start: body.start,
                durationMinutes: body.durationMinutes,
                allowOverlap: body.allowOverlap ?? false,
                actor: actor
            )
            return try APIJSON.response(
                ScheduledSession(id: booking.id.uuidString.lowercased(), warnings: booking.warnings)
            )
        }
        v1.post("/therapy-sessions/{sessionId}/status-correction") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(StatusCorrectionBody.self, from: request, context: context)
            try await sessions.correctStatus(
                try Self.parse(SessionStatus.self, body.status),
                session: try Self.id("sessionId", context),
                reason: body.reason,
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

    /// A status a scheduled session can move to, refused (naming `status`) with only those listed:
    /// a session is scheduled by booking it, and a wrong status is undone by a correction.
    static func settableStatus(_ text: String) throws -> SessionStatus {
        guard let status = SessionStatus(rawValue: text), SessionStatus.settable.contains(status) else {
            let allowed = SessionStatus.settable.map(\.rawValue).joined(separator: ", ")
            throw ServiceError(.invalidInput, field: "status", "is not one of: \(allowed)")
        }
        return status
    }

    /// A CPT or HCPCS code from request text, refused naming `serviceCode`.
    static func serviceCode(_ text: String) throws -> ServiceCode {
        do throws(DomainError) {
            return try ServiceCode(text)
        } catch {
            throw ServiceError(error)
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
