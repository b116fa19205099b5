import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// A chart's care status from its page ("Care status"): `GET /couples/{id}/status?set=paused` shows
    /// what the change does and the form that makes it; `POST /couples/{id}/status` (CSRF-checked by
    /// `WebMiddleware` like every form) sets it through `ChartService.setStatus` and goes back to the
    /// chart. The same for `/clients/{id}`. Only the status word travels in the address.
    func addCareStatusPages(to web: RouterGroup<HavenRequestContext>) {
        web.get("/couples/{id}/status") { request, context in
            try await self.careStatusConfirmation(request, context, chart: .couple(try Self.pageID("id", context)))
        }
        web.get("/clients/{id}/status") { request, context in
            try await self.careStatusConfirmation(request, context, chart: .client(try Self.pageID("id", context)))
        }
        web.post("/couples/{id}/status") { request, context in
            try await self.setCareStatus(request, context, chart: .couple(try Self.pageID("id", context)))
        }
        web.post("/clients/{id}/status") { request, context in
            try await self.setCareStatus(request, context, chart: .client(try Self.pageID("id", context)))
        }
    }

    private func careStatusConfirmation(
        _ request: Request,
        _ context: HavenRequestContext,
        chart: ChartReference
    ) async throws -> Response {
        let user = try SignedIn(request, context)
        let asked = request.uri.queryParameters.get("set").map { String($0) } ?? ""
        let target = try Self.parse(CareStatus.self, asked)
        return try await careStatusPage(user, chart: chart, target: target)
    }

    /// The confirmation page, read as the chart's own read (audited `couple.read` or `client.read`);
    /// `error` and `status` when a submit from it was refused.
    private func careStatusPage(
        _ user: SignedIn,
        chart: ChartReference,
        target: CareStatus,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let charts = ChartService(pool: pool, keys: keys)
        let names: String
        let current: CareStatus
        switch chart {
        case .couple(let id):
            let couple = try await charts.couple(id, actor: user.actor)
            (names, current) = ("\(couple.partnerAName) & \(couple.partnerBName)", couple.status)
        case .client(let id):
            let client = try await charts.client(id, actor: user.actor)
            (names, current) = (client.preferredName ?? client.legalName, try CareStatus.parse(client.status))
        }
        let view = CareStatusConfirmView(
            chrome: user.chrome("Care status: \(names)", section: "/caseload"),
            chart: chart,
            names: names,
            current: current,
            target: target,
            error: error
        )
        return WebPage.html(WebTemplates.render(view, template: "care-status"), status: status)
    }

    private func setCareStatus(
        _ request: Request,
        _ context: HavenRequestContext,
        chart: ChartReference
    ) async throws -> Response {
        let user = try SignedIn(request, context)
        var request = request
        let form = try await WebForm(request: &request)
        let target = try Self.parse(CareStatus.self, form["status"] ?? "")
        do {
            _ = try await ChartService(pool: pool, keys: keys).setStatus(target, of: chart, actor: user.actor)
        } catch let error as ServiceError where error.kind == .conflict {
            return try await careStatusPage(
                user,
                chart: chart,
                target: target,
                error: error.message,
                status: .conflict
            )
        }
        return WebPage.redirect(to: Self.chartPath(chart) + "#care-status")
    }
}
