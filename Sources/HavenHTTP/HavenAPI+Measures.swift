import Foundation
import HTTPTypes
import HavenService
import Hummingbird
import Postgres

extension HavenAPI {
    struct MeasureBody: Decodable {
        var code: String
        var administeredOn: String
        var items: [Int]?
        var score: Double?
        var sessionId: UUID?
    }

    struct Recorded: Encodable {
        var id: String
        var total: Double
    }

    struct TrendView: Encodable {
        struct Point: Encodable {
            var date: String
            var total: Double
        }
        var points: [Point]
        var cutoff: Double?
        var reliableChangeIndex: Double?
        var label: String?
    }

    func addMeasures(to v1: RouterGroup<HavenRequestContext>) {
        let measures = MeasureService(pool: pool)
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
        v1.get("/clients/{clientId}/measures/{code}") { _, context in
            let actor = try context.requireActor()
            guard let code = context.parameters.get("code") else {
                throw APIError(status: .badRequest, kind: "bad-parameter", detail: "code is required", field: "code")
            }
            let trend = try await measures.trend(
                measure: try await measures.definitionID(code: code, actor: actor),
                client: try Self.id("clientId", context),
                actor: actor
            )
            return try APIJSON.response(
                TrendView(
                    points: trend.points.map { .init(date: $0.date.description, total: $0.total) },
                    cutoff: trend.cutoff,
                    reliableChangeIndex: trend.reliableChangeIndex,
                    label: trend.label?.rawValue
                )
            )
        }
    }
}
