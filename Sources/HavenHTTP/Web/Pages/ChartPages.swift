import Foundation
import HavenReports
import HavenService
import Hummingbird

extension HavenAPI {
    /// `GET /couples/{id}` and `GET /clients/{id}`: a chart on one page from `ChartService.record`,
    /// one transaction in a fixed number of statements whatever the chart's size (the same facts the
    /// progress report reads, and its charts). A chart out of reach is the same 404 page as a missing
    /// one, audited as denied by the service.
    func addChartPages(to web: RouterGroup<HavenRequestContext>) {
        web.get("/couples/{id}") { request, context in
            try await chartPage(request, context, chart: .couple(try Self.pageID("id", context)))
        }
        web.get("/clients/{id}") { request, context in
            try await chartPage(request, context, chart: .client(try Self.pageID("id", context)))
        }
    }

    /// The chart page; `schedule` is what the schedule-measure form shows (what was typed, with its
    /// refusal, when a submit was refused), `status` the page's.
    func chartPage(
        _ request: Request,
        _ context: HavenRequestContext,
        chart: ChartReference,
        schedule: PortalMeasuresSection.Typed = .init(),
        status: HTTPResponse.Status = .ok
    ) async throws
        -> Response
    {
        let user = try SignedIn(request, context)
        // The portal measures are read (and audited `measure.trend`) in the chart's one transaction.
        let record: ChartService.Record
        do {
            record = try await ChartService(pool: pool, keys: keys)
                .record(chart, portalMeasures: true, actor: user.actor)
        } catch let error as ServiceError where error.kind == .notFound {
            return WebErrorPage.chartNotFound(chart)
        }
        let report = ProgressReport.build(from: record.facts, generatedOn: record.today)
        let names = record.facts.partners.map(\.name).joined(separator: " & ")
        var view = ChartView(record: record, report: report, chrome: user.chrome(names, section: "/caseload"))
        view.portal = try await portalAccessRows(chart, record: record, actor: user.actor)
        if case .couple(let couple) = chart, let measures = record.portalMeasures {
            view.portalMeasures = PortalMeasuresSection(
                measures,
                couple: couple,
                partners: record.facts.partners.map { (id: $0.id, name: $0.name) },
                typed: schedule
            )
        }
        return WebPage.html(WebTemplates.render(view, template: "chart"), status: status)
    }
}
