import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// `POST /v1/break-glass-grants`: open a grant on one chart outside the caller's caseload.
    public struct GrantBody: Codable, Sendable {
        public var chartKind: String
        public var chartId: UUID
        public var reason: String
        public var durationMinutes: Int?

        public init(
            chartKind: String,
            chartId: UUID,
            reason: String,
            durationMinutes: Int? = nil
        ) {
            self.chartKind = chartKind
            self.chartId = chartId
            self.reason = reason
            self.durationMinutes = durationMinutes
        }
    }

    /// A break-glass grant as the API sends it (and `haven break-glass list --json` prints it); the
    /// reason stays sealed.
    public struct GrantView: Codable, Sendable {
        public var id: String
        public var chartKind: String
        public var chartId: String
        public var grantedAt: Date
        public var expiresAt: Date
        public var revokedAt: Date?
        public var live: Bool

        init(_ grant: BreakGlassService.Grant, now: Date) {
            id = grant.id.uuidString.lowercased()
            chartKind = grant.chart.kind
            chartId = grant.chart.id.uuidString.lowercased()
            grantedAt = grant.grantedAt
            expiresAt = grant.expiresAt
            revokedAt = grant.revokedAt
            live = grant.isLive(at: now)
        }
    }

    /// Break-glass grants of the caller's own: open one (reason in the body, sealed), close one, list
    /// them. Reading under a grant is a request with `Haven-Break-Glass: on` (`AuthMiddleware`).
    func addBreakGlass(to v1: RouterGroup<HavenRequestContext>) {
        let service = BreakGlassService(pool: pool, keys: keys)
        v1.post("/break-glass-grants") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(GrantBody.self, from: request, context: context)
            let chart: ChartReference
            switch body.chartKind {
            case "couple": chart = .couple(body.chartId)
            case "client": chart = .client(body.chartId)
            default: throw ServiceError(.invalidInput, field: "chartKind", "is couple or client")
            }
            // Minutes to a duration without overflow; the service refuses anything out of its range.
            let minutes = body.durationMinutes ?? 60
            let (seconds, overflow) = minutes.multipliedReportingOverflow(by: 60)
            let duration: Duration = .seconds(overflow ? (minutes > 0 ? Int.max : Int.min) : seconds)
            let grant = try await Self.naming(["duration": "durationMinutes", "chart": "chartId"]) {
                try await service.open(chart, reason: body.reason, duration: duration, actor: actor)
            }
            return try APIJSON.response(GrantView(grant, now: Date()), status: .created)
        }
        v1.get("/break-glass-grants") { request, context in
            let grants = try await service.grants(actor: try context.requireActor())
            let now = Date()
            return try APIJSON.response(
                try Page(grants, request: request, key: { $0.id.uuidString.lowercased() }) {
                    GrantView($0, now: now)
                }
            )
        }
        v1.delete("/break-glass-grants/{grantId}") { _, context in
            let actor = try context.requireActor()
            try await service.close(try Self.id("grantId", context), actor: actor)
            return Response(status: .noContent)
        }
    }
}
