import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// `PUT /v1/couples/{id}/status` and `PUT /v1/clients/{id}/status`: the chart's new care status.
    public struct CareStatusBody: Codable, Sendable {
        /// `active`, `paused` or `discharged`.
        public var status: String

        public init(status: String) {
            self.status = status
        }
    }

    /// What setting a chart's care status did (and `haven couple status --json` prints).
    public struct CareStatusView: Codable, Sendable {
        public var id: String
        /// The status now.
        public var status: String
        /// The status before the request.
        public var previousStatus: String
        /// False when the chart already had the status (nothing changed).
        public var changed: Bool

        init(_ change: ChartService.StatusChange) {
            id = change.chart.id.uuidString.lowercased()
            status = change.status.rawValue
            previousStatus = change.previous.rawValue
            changed = change.changed
        }
    }

    /// Pausing, discharging and reactivating a couple's or a client's chart (`ChartService.setStatus`).
    func addCareStatus(to v1: RouterGroup<HavenRequestContext>) {
        let charts = ChartService(pool: pool, keys: keys)
        @Sendable func setStatus(
            _ request: Request,
            _ context: HavenRequestContext,
            _ chart: ChartReference
        )
            async throws -> Response
        {
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(CareStatusBody.self, from: request, context: context)
            let change = try await charts.setStatus(Self.parse(CareStatus.self, body.status), of: chart, actor: actor)
            return try APIJSON.response(CareStatusView(change))
        }
        v1.put("/couples/{coupleId}/status") { request, context in
            try await setStatus(request, context, .couple(try Self.id("coupleId", context)))
        }
        v1.put("/clients/{clientId}/status") { request, context in
            try await setStatus(request, context, .client(try Self.id("clientId", context)))
        }
    }
}
