import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// `POST /v1/{couples,clients}/{id}/report-summaries`: the counselor's summary of a period.
    public struct SummaryBody: Codable, Sendable {
        public var summary: String
        public var from: String
        public var to: String
        public var nextReview: String?

        public init(
            summary: String,
            from: String,
            to: String,
            nextReview: String? = nil
        ) {
            self.summary = summary
            self.from = from
            self.to = to
            self.nextReview = nextReview
        }
    }

    /// The counselor's summary of a period of a chart, shown in clinical reports (sealed).
    func addReportSummaries(to v1: RouterGroup<HavenRequestContext>) {
        v1.post("/couples/{coupleId}/report-summaries") { request, context in
            try await self.setSummary(request, context, chart: .couple(try Self.id("coupleId", context)))
        }
        v1.post("/clients/{clientId}/report-summaries") { request, context in
            try await self.setSummary(request, context, chart: .client(try Self.id("clientId", context)))
        }
    }

    private func setSummary(
        _ request: Request,
        _ context: HavenRequestContext,
        chart: ChartReference
    ) async throws -> Response {
        let actor = try context.requireActor()
        let body = try await APIJSON.decode(SummaryBody.self, from: request, context: context)
        let id = try await ReportService(pool: pool, keys: keys).setSummary(
            body.summary,
            for: chart,
            from: try Self.date(body.from, field: "from"),
            to: try Self.date(body.to, field: "to"),
            nextReview: try body.nextReview.map { try Self.date($0, field: "nextReview") },
            actor: actor
        )
        return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
    }
}
