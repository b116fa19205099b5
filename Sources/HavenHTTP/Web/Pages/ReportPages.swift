import Foundation
import HTTPTypes
import HavenCore
import HavenReports
import HavenService
import Hummingbird

extension HavenAPI {
    /// A chart's progress report in the app (`/couples/{id}/report?audience=clinical|client`, the same
    /// for `/clients/{id}`): previewed in the page with the report's stylesheet as `/static/report.css`,
    /// downloads (`report.html|md|json|pdf`) and the counselor's summary form, on the `ReportService`
    /// calls of `GET /v1/couples/{id}/report` and `POST /v1/couples/{id}/report-summaries`.
    func addReportPages(to web: RouterGroup<HavenRequestContext>) {
        // The id's parameter is `id`, as the other pages under /couples and /clients name it (the router
        // wants one name per segment).
        for (kind, chart) in [("couples", ChartReference.couple), ("clients", ChartReference.client)] {
            web.get("/\(kind)/{id}/report") { request, context in
                let user = try SignedIn(request, context)
                return try await self.reportPage(
                    user,
                    chart: chart(try Self.pageID("id", context)),
                    audience: try Self.reportAudience(request),
                    summary: .init(),
                    notice: request.uri.queryParameters.get("summarized") != nil ? "Summary saved." : nil
                )
            }
            for format in ReportService.Format.allCases {
                web.get("/\(kind)/{id}/report.\(format.rawValue)") { request, context in
                    let user = try SignedIn(request, context)
                    return try await self.reportDownload(
                        user,
                        chart: chart(try Self.pageID("id", context)),
                        audience: try Self.reportAudience(request),
                        format: format
                    )
                }
            }
            web.post("/\(kind)/{id}/report/summary") { request, context in
                let user = try SignedIn(request, context)
                let reference = chart(try Self.pageID("id", context))
                var request = request
                let form = try await WebForm(request: &request)
                var typed = ReportPageView.SummaryForm(
                    text: form["summary"] ?? "",
                    from: form["from"] ?? "",
                    to: form["to"] ?? "",
                    nextReview: form["nextReview"] ?? ""
                )
                do {
                    func date(_ text: String, _ field: String) throws -> CalendarDate {
                        guard let date = CalendarDate(iso8601: text) else {
                            throw ServiceError(.invalidInput, field: field, "is a date: YYYY-MM-DD")
                        }
                        return date
                    }
                    _ = try await ReportService(pool: pool, keys: keys).setSummary(
                        typed.text,
                        for: reference,
                        from: try date(typed.from, "from"),
                        to: try date(typed.to, "to"),
                        nextReview: typed.nextReview.isEmpty ? nil : try date(typed.nextReview, "nextReview"),
                        actor: user.actor
                    )
                    return WebPage.redirect(to: Self.reportPath(reference) + "?audience=clinical&summarized=1")
                } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                    typed.error = error.description
                    return try await self.reportPage(
                        user,
                        chart: reference,
                        audience: .clinical,
                        summary: typed,
                        status: .unprocessableContent
                    )
                }
            }
        }
    }

    /// The page: the report for `audience` rendered by `HTMLRenderer.content` inside the layout.
    private func reportPage(
        _ user: SignedIn,
        chart: ChartReference,
        audience: ReportAudience,
        summary: ReportPageView.SummaryForm,
        notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let today = try await self.today(user.actor)
        let facts = try await ReportService(pool: pool, keys: keys).facts(
            for: chart,
            today: today,
            audience: audience,
            format: .html,
            actor: user.actor
        )
        let report = ProgressReport.build(from: facts, generatedOn: today)
        let names = report.header.partners.map(\.name).joined(separator: " & ")
        let view = ReportPageView(
            chrome: user.chrome("Report: \(names)", section: "/caseload"),
            names: names,
            path: Self.reportPath(chart),
            chartPath: Self.reportPath(chart).replacingOccurrences(of: "/report", with: ""),
            audience: audience,
            report: report,
            reportHTML: HTMLRenderer.content(report),
            pdf: pdfPrinter != nil,
            summary: summary,
            notice: notice
        )
        return WebPage.html(WebTemplates.render(view, template: "report"), status: status)
    }

    /// A download: the same renderers and content types as `GET /v1/couples/{id}/report`, as an
    /// attachment (the HTML file self-contained, its stylesheet inline).
    private func reportDownload(
        _ user: SignedIn,
        chart: ChartReference,
        audience: ReportAudience,
        format: ReportService.Format
    ) async throws -> Response {
        if format == .pdf, pdfPrinter == nil {
            throw ServiceError(
                .conflict,
                "a PDF needs Chromium on the server, and this server has none; download the HTML report and print it from your browser"
            )
        }
        let today = try await self.today(user.actor)
        let facts = try await ReportService(pool: pool, keys: keys).facts(
            for: chart,
            today: today,
            audience: audience,
            format: format,
            actor: user.actor
        )
        let report = ProgressReport.build(from: facts, generatedOn: today)
        let (body, contentType): (ByteBuffer, String)
        switch format {
        case .html: (body, contentType) = (ByteBuffer(string: HTMLRenderer.render(report)), "text/html; charset=utf-8")
        case .md:
            (body, contentType) = (ByteBuffer(string: MarkdownRenderer.render(report)), "text/markdown; charset=utf-8")
        case .json: (body, contentType) = (ByteBuffer(string: try report.json()), "application/json")
        case .pdf:
            do {
                (body, contentType) = (
                    ByteBuffer(bytes: try await printPDF(HTMLRenderer.render(report))), "application/pdf"
                )
            } catch is APIError {
                throw ServiceError(
                    .conflict,
                    "the PDF could not be printed just now; retry, or download the HTML report and print it"
                )
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentDisposition] =
            "attachment; filename=\"progress-report-\(audience.rawValue).\(format.rawValue)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// `audience=clinical|client` (clinical when absent); another value is the 404 page.
    private static func reportAudience(_ request: Request) throws -> ReportAudience {
        guard let text = request.uri.queryParameters.get("audience") else { return .clinical }
        guard let audience = ReportAudience(rawValue: String(text)) else {
            throw ServiceError(.notFound, field: "audience", "no such report audience")
        }
        return audience
    }

    private static func reportPath(_ chart: ChartReference) -> String {
        switch chart {
        case .couple(let id): "/couples/\(id.uuidString.lowercased())/report"
        case .client(let id): "/clients/\(id.uuidString.lowercased())/report"
        }
    }
}
