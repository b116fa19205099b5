import Foundation
import HTTPTypes
import HavenCore
import HavenReports
import HavenService
import Hummingbird

extension HavenAPI {

    /// A couple chart as the API sends it (and the CLI's `--json` prints it).
    public struct CoupleView: Codable, Sendable {
        public var id: String
        public var partnerA: Person
        public var partnerB: Person
        public var counselorId: String
        public var startDate: String
        public var status: String
        public var presentingConcerns: String?
        /// A partner: id and preferred (else legal) name.
        public struct Person: Codable, Sendable {
            public var id: String
            public var name: String
        }
    }

    func addCouples(to v1: RouterGroup<HavenRequestContext>) {
        v1.get("/couples") { request, context in
            let actor = try context.requireActor()
            let all = try await ChartService(pool: self.pool, keys: self.keys).listCouples(actor: actor)
            // Pages follow the caseload's order (start date, id); the cursor is the last couple's id.
            return try APIJSON.response(
                try Page(all, request: request, key: { $0.id.uuidString.lowercased() }, line: { $0 })
            )
        }
        v1.get("/couples/{coupleId}") { _, context in
            let actor = try context.requireActor()
            // One service call, one audit entry: the chart with its partners' names.
            let couple = try await ChartService(pool: self.pool, keys: self.keys)
                .couple(try Self.id("coupleId", context), actor: actor)
            return try APIJSON.response(
                CoupleView(
                    id: couple.id.uuidString.lowercased(),
                    partnerA: .init(id: couple.partnerA.uuidString.lowercased(), name: couple.partnerAName),
                    partnerB: .init(id: couple.partnerB.uuidString.lowercased(), name: couple.partnerBName),
                    counselorId: couple.counselorID.uuidString.lowercased(),
                    startDate: couple.startDate.description,
                    status: couple.status.rawValue,
                    presentingConcerns: couple.presentingConcerns
                )
            )
        }
        v1.get("/couples/{coupleId}/notes") { request, context in
            let notes = try await NoteService(pool: self.pool, keys: self.keys)
                .list(chart: .couple(try Self.id("coupleId", context)), actor: try context.requireActor())
            return try APIJSON.response(
                try Page(notes, request: request, key: { $0.id.uuidString.lowercased() }, line: { $0 })
            )
        }
        v1.get("/couples/{coupleId}/report") { request, context in
            try await self.report(request, context, chart: .couple(try Self.id("coupleId", context)))
        }
        v1.get("/clients/{clientId}/report") { request, context in
            try await self.report(request, context, chart: .client(try Self.id("clientId", context)))
        }
    }

    /// A chart's progress report; the format follows `Accept` (JSON, HTML, Markdown, and PDF where the
    /// server has Chromium).
    func report(_ request: Request, _ context: HavenRequestContext, chart: ChartReference) async throws -> Response {
        let actor = try context.requireActor()
        let (format, contentType) = try Self.reportFormat(request, pdf: pdfPrinter != nil)
        let audienceText = request.uri.queryParameters.get("audience") ?? "clinical"
        guard let audience = ReportAudience(rawValue: audienceText) else {
            throw APIError(
                status: .badRequest,
                kind: "bad-parameter",
                detail: "audience is clinical or client",
                field: "audience"
            )
        }
        func date(_ name: String) throws -> CalendarDate? {
            guard let text = request.uri.queryParameters.get(name) else { return nil }
            guard let date = CalendarDate(iso8601: String(text)) else {
                throw APIError(
                    status: .badRequest,
                    kind: "bad-parameter",
                    detail: "\(name) is a date: YYYY-MM-DD",
                    field: name
                )
            }
            return date
        }
        let today = try await self.today(actor)
        let facts = try await ReportService(pool: pool, keys: keys).facts(
            for: chart,
            from: try date("from"),
            to: try date("to"),
            today: today,
            audience: audience,
            format: format,
            actor: actor
        )
        let report = ProgressReport.build(from: facts, generatedOn: today)
        let body: ByteBuffer =
            switch format {
            case .html: ByteBuffer(string: HTMLRenderer.render(report))
            case .md: ByteBuffer(string: MarkdownRenderer.render(report))
            case .json: ByteBuffer(string: try report.json())
            case .pdf: ByteBuffer(bytes: try await printPDF(HTMLRenderer.render(report)))
            }
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// The report format `Accept` asks for, among those this server offers. Asking for a PDF from a
    /// server without Chromium is a 406 that says so.
    static func reportFormat(_ request: Request, pdf: Bool) throws -> (ReportService.Format, String) {
        var offered = ["application/json", "text/html", "text/markdown"]
        if pdf { offered.append("application/pdf") }
        let accept = request.headers[.accept]
        if !pdf, ContentNegotiation.choose(offered, accept: accept) == nil,
            ContentNegotiation.choose(["application/pdf"], accept: accept) != nil
        {
            throw APIError(
                status: .notAcceptable,
                kind: "pdf-unavailable",
                detail: "a PDF needs Chromium on the server, and this server has none (its operator installs the "
                    + "chromium package or sets HAVEN_CHROMIUM); the HTML report prints to PDF from a browser",
                field: "Accept"
            )
        }
        return switch try AcceptMiddleware.require(offered, request) {
        case "text/html": (.html, "text/html; charset=utf-8")
        case "text/markdown": (.md, "text/markdown; charset=utf-8")
        case "application/pdf": (.pdf, "application/pdf")
        default: (.json, "application/json")
        }
    }

    /// `html` printed to PDF, at most `pdfPrintLimit` at a time (each is a Chromium process).
    func printPDF(_ html: String) async throws -> Data {
        guard let pdfPrinter else { throw APIError(status: .notAcceptable, kind: "pdf-unavailable", detail: "no PDF") }
        do {
            return try await pdfPrints.run { try await pdfPrinter.print(html: html) }
        } catch let failure as PDFPrinter.Failure {
            logger.error("PDF printing failed", metadata: ["reason": "\(failure.description)"])
            throw APIError(
                status: .serviceUnavailable,
                kind: "pdf-failed",
                detail: "the PDF could not be printed just now; retry, or download the HTML report and print it"
            )
        }
    }
}
