import Foundation
import HTTPTypes
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// `POST /v1/clients/{id}/measures`: one administration of a measure.
    public struct MeasureBody: Codable, Sendable {
        public var code: String
        public var administeredOn: String
        public var items: [Int]?
        public var score: Double?
        public var sessionId: UUID?

        public init(
            code: String,
            administeredOn: String,
            items: [Int]? = nil,
            score: Double? = nil,
            sessionId: UUID? = nil
        ) {
            self.code = code
            self.administeredOn = administeredOn
            self.items = items
            self.score = score
            self.sessionId = sessionId
        }
    }

    /// A recorded administration: its id and the total the service scored.
    public struct Recorded: Codable, Sendable {
        public var id: String
        public var total: Double
    }

    /// What voiding an administration answers.
    public struct Voided: Codable, Sendable {
        public var id: String
        public var voided: Bool
    }

    /// A client's trend on one measure as the API sends it (and `haven measure trend --json` prints it).
    public struct TrendView: Codable, Sendable {
        public struct Point: Codable, Sendable {
            /// The administration (what `POST /v1/measure-administrations/{id}/void` names).
            public var id: String
            public var date: String
            public var total: Double
            /// True on an administration voided as recorded in error (only with `includeVoided`).
            public var voided: Bool?
        }
        /// The measure's code.
        public var measure: String
        public var clientId: String
        /// The series; with `includeVoided=true`, voided administrations too, marked and counted in
        /// neither the baseline nor reliable change.
        public var points: [Point]
        public var cutoff: Double?
        public var reliableChangeIndex: Double?
        public var label: String?
    }

    func addMeasures(to v1: RouterGroup<HavenRequestContext>) {
        let measures = MeasureService(pool: pool, keys: keys)
        v1.post("/measure-administrations/{administrationId}/void") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(ReasonBody.self, from: request, context: context)
            let id = try Self.id("administrationId", context)
            try await measures.void(id, reason: body.reason, actor: actor)
            return try APIJSON.response(Voided(id: id.uuidString.lowercased(), voided: true))
        }
        v1.post("/clients/{clientId}/measures") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(MeasureBody.self, from: request, context: context)
            guard let date = CalendarDate(iso8601: body.administeredOn) else {
                throw ServiceError(.invalidInput, field: "administeredOn", "is a date: YYYY-MM-DD")
            }
            let result = try await measures.record(
                measure: try await measures.definitionID(code: body.code, actor: actor),
                client: try Self.id("clientId", context),
                administeredOn: date,
                items: body.items ?? [],
                score: body.score,
                session: body.sessionId,
                actor: actor
            )
            return try APIJSON.response(
                Recorded(id: result.id.uuidString.lowercased(), total: result.total),
                status: .created
            )
        }
        v1.get("/clients/{clientId}/measures/{code}") { request, context in
            let actor = try context.requireActor()
            // The router hands over the segment as sent: a code with a space arrives as `%20`.
            guard let code = context.parameters.get("code")?.removingPercentEncoding, !code.isEmpty else {
                throw APIError(status: .badRequest, kind: "bad-parameter", detail: "code is required", field: "code")
            }
            let clientID = try Self.id("clientId", context)
            let includeVoided = request.uri.queryParameters.get("includeVoided") == "true"
            let trend = try await measures.trend(
                measure: try await measures.definitionID(code: code, actor: actor),
                client: clientID,
                includeVoided: includeVoided,
                actor: actor
            )
            let live = trend.points.map { (point: $0, voided: false) }
            let voided = trend.voided.map { (point: $0, voided: true) }
            let points = (live + voided).sorted {
                ($0.point.date, $0.voided ? 1 : 0) < ($1.point.date, $1.voided ? 1 : 0)
            }
            return try APIJSON.response(
                TrendView(
                    measure: code,
                    clientId: clientID.uuidString.lowercased(),
                    points: points.map {
                        .init(
                            id: $0.point.id.uuidString.lowercased(),
                            date: $0.point.date.description,
                            total: $0.point.total,
                            voided: includeVoided ? $0.voided : nil
                        )
                    },
                    cutoff: trend.cutoff,
                    reliableChangeIndex: trend.reliableChangeIndex,
                    label: trend.label?.rawValue
                )
            )
        }
    }
}
