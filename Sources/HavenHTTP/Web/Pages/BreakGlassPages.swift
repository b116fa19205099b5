import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// Break-glass access in the browser (`BreakGlassService`, the calls behind
    /// `/v1/break-glass-grants`): the reason form for one chart (`GET /break-glass?couple={id}` or
    /// `?client={id}`), opening the grant (`POST /break-glass`, then on to the chart), and ending it
    /// early (`POST /break-glass/{id}/close`). While a grant is open the browser's session acts under
    /// it and every page shows the banner (`WebMiddleware`, `PageChrome`).
    func addBreakGlassPages(to web: RouterGroup<HavenRequestContext>) {
        let service = BreakGlassService(pool: pool, keys: keys)
        web.get("/break-glass") { request, context in
            let user = try SignedIn(request, context)
            let query = request.uri.queryParameters
            let couple = query["couple"].flatMap { UUID(uuidString: String($0)) }
            let client = query["client"].flatMap { UUID(uuidString: String($0)) }
            guard let chart = couple.map(ChartReference.couple) ?? client.map(ChartReference.client) else {
                throw ServiceError(.notFound, "no such chart")
            }
            return Self.breakGlassPage(BreakGlassView(user: user, chart: chart))
        }
        web.post("/break-glass") { request, context in
            var request = request
            let user = try SignedIn(request, context)
            let form = try await WebForm(request: &request)
            guard let id = form["chartId"].flatMap(UUID.init(uuidString:)),
                let chart = Self.chart(kind: form["chartKind"], id: id)
            else { throw ServiceError(.notFound, "no such chart") }
            var view = BreakGlassView(user: user, chart: chart)
            view.reason = form["reason"] ?? ""
            let minutes = Int(form["minutes"] ?? "") ?? 60
            view.select(minutes)
            do {
                _ = try await service.open(
                    chart,
                    reason: view.reason,
                    duration: .seconds(min(max(minutes, 0), 24 * 60) * 60),
                    actor: user.actor
                )
            } catch let error as ServiceError where error.kind == .invalidInput {
                view.error =
                    error.field == "duration" ? "Choose how long: at most 8 hours." : "The reason \(error.message)."
                return Self.breakGlassPage(view, status: .unprocessableContent)
            }
            return WebPage.redirect(to: view.chartHref)
        }
        web.post("/break-glass/{grantId}/close") { request, context in
            let user = try SignedIn(request, context)
            guard let id = context.parameters.get("grantId").flatMap(UUID.init(uuidString:)) else {
                throw ServiceError(.notFound, "no such grant")
            }
            try await service.close(id, actor: user.actor)
            return WebPage.redirect(to: "/today")
        }
    }

    /// What the break-glass template shows.
    struct BreakGlassView {
        var chrome: PageChrome
        var chartKind: String
        var chartId: String
        var chartLabel: String
        var chartHref: String
        var reason = ""
        var error: String?
        var durations: [Choice]
        var minimumReason = BreakGlassService.minimumReasonLength

        struct Choice {
            var minutes: String
            var label: String
            var selected: Bool
        }

        init(user: SignedIn, chart: ChartReference) {
            chrome = user.chrome("Break-glass access", section: "/caseload")
            chartKind = chart.kind
            chartId = chart.id.uuidString.lowercased()
            chartLabel = chart.kind == "couple" ? "a couple's chart" : "a client's chart"
            chartHref = chart.kind == "couple" ? "/couples/\(chartId)" : "/clients/\(chartId)"
            durations = [
                (15, "15 minutes"), (30, "30 minutes"), (60, "1 hour"), (120, "2 hours"), (240, "4 hours"),
                (480, "8 hours"),
            ].map { Choice(minutes: String($0.0), label: $0.1, selected: $0.0 == 60) }
        }

        mutating func select(_ minutes: Int) {
            for index in durations.indices { durations[index].selected = durations[index].minutes == String(minutes) }
        }
    }

    static func breakGlassPage(_ view: BreakGlassView, status: HTTPResponse.Status = .ok) -> Response {
        WebPage.html(WebTemplates.render(view, template: "break-glass"), status: status)
    }

    /// The chart a break-glass form names: `couple` or `client` and its id.
    static func chart(kind: String?, id: UUID) -> ChartReference? {
        switch kind ?? "" {
        case "couple": .couple(id)
        case "client": .client(id)
        default: nil
        }
    }

}
