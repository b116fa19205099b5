import Foundation
import HTTPTypes
import HavenReports
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import HavenHTTP

@Suite("Reports as PDF: printed by headless Chromium on the server, or a plain 406 without it")
struct ReportPDFTests {
    /// The text of a PDF, by poppler's pdftotext (installed by scripts/test).
    private func text(ofPDF pdf: Data) throws -> String {
        let directory = NSTemporaryDirectory() + "haven-pdf-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try pdf.write(to: URL(fileURLWithPath: directory + "/r.pdf"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = [directory + "/r.pdf", directory + "/r.txt"]
        try process.run()
        process.waitUntilExit()
        return try String(contentsOfFile: directory + "/r.txt", encoding: .utf8)
    }

    @Test(.needsTestDatabase) func aReportPrintsToAPDFThatReadsBack() async throws {
        #expect(PDFPrinter() != nil, "scripts/test installs chromium; without it this test cannot run")
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let pdf = try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)/report?audience=client",
                method: .get,
                headers: HTTPFixture.bearer(token, [.accept: "application/pdf"])
            ) { response -> Data in
                #expect(response.status == .ok && response.headers[.contentType] == "application/pdf")
                return Data(buffer: response.body)
            }
            #expect(pdf.starts(with: Array("%PDF-".utf8)))
            let text = try text(ofPDF: pdf)
            #expect(text.contains("Fictional A") && text.contains("Fictional B"), "\(text.prefix(300))")
            #expect(text.contains("Your progress in couple therapy"))
            let runs = try await fixture.owner.query("SELECT format FROM report_runs")
            #expect(try runs.map { try $0.decode(0, as: String.self) } == ["pdf"])
        }
    }

    @Test func printingLeavesNoPageOrProfileBehind() async throws {
        // A private TMPDIR of its own: other suites print concurrently into the shared one.
        let root = NSTemporaryDirectory() + "haven-pdf-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = root
        let printer = try #require(PDFPrinter(environment: environment), "scripts/test installs chromium")
        #expect(printer.workRoot == root)
        let pdf = try await printer.print(html: "<!doctype html><title>t</title><p>Fictional page</p>")
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        #expect(try text(ofPDF: pdf).contains("Fictional page"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }

    @Test func withoutChromiumAPDFIsAPlain406AndOtherFormatsStillServe() throws {
        func request(_ accept: String) -> Request {
            let fields: HTTPFields = [.accept: accept]
            let head = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/", headerFields: fields)
            return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        }
        let refused = #expect(throws: APIError.self) {
            try HavenAPI.reportFormat(request("application/pdf"), pdf: false)
        }
        #expect(refused?.status == .notAcceptable && refused?.kind == "pdf-unavailable")
        #expect(refused?.detail.contains("Chromium") == true)
        #expect(try HavenAPI.reportFormat(request("application/pdf, text/html;q=0.5"), pdf: false).0 == .html)
        #expect(try HavenAPI.reportFormat(request("application/pdf"), pdf: true).0 == .pdf)
        #expect(PDFPrinter(environment: ["HAVEN_CHROMIUM": ""]) == nil)
        #expect(PDFPrinter(environment: ["HAVEN_CHROMIUM": "/nonexistent/chromium"]) == nil)
        #expect(PDFPrinter(environment: ["PATH": "/nonexistent"]) == nil)
    }
}
