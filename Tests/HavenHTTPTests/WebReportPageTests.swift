import Foundation
import HTTPTypes
import HavenCore
import HavenReports
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("The report page: preview under the CSP, downloads, the summary form, the caseload wall", .needsTestDatabase)
struct WebReportPageTests {
    typealias Answer = WebPageTests.Answer

    static func id(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// What an HTML page must not carry under the CSP: inline script or style, style attributes,
    /// event-handler attributes.
    @Test func bothAudiencesPreviewWithTheReportStylesheetAsAFileAndNothingInline() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let base = "/couples/\(Self.id(fixture.danaCouple))/report"
            for (uri, audience) in [
                (base, "clinical"), (base + "?audience=clinical", "clinical"), (base + "?audience=client", "client"),
            ] {
                let page = try await WebPageTests.get(client, browser, uri)
                #expect(page.status == .ok, "\(uri)")
                WebPageTests.expectNothingInline(page.html)
                #expect(page.html.contains(#"<link rel="stylesheet" href="/static/report.css?v="#))
                #expect(page.html.contains(#"<article class="report" aria-label="Report preview">"#))
                #expect(page.html.contains("Fictional A &amp; Fictional B"))
                #expect(page.html.contains(#"href="\#(base).md?audience=\#(audience)""#))
                #expect(page.html.contains(#"href="\#(base)?audience=\#(audience)" aria-current="page""#))
                // The summary form belongs to the clinical report only.
                #expect(page.html.contains(#"action="\#(base)/summary""#) == (audience == "clinical"))
            }
            let bad = try await WebPageTests.get(client, browser, base + "?audience=%3Cx%3E")
            #expect(bad.status == .notFound)
            try await client.execute(uri: "/static/report.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
                let css = String(buffer: response.body)
                // One text: the same stylesheet the downloadable file carries inline.
                #expect(css == HTMLRenderer.stylesheet)
                #expect(css.contains("@media print"))
            }
        }
    }

    @Test func downloadsCarryTheirContentTypesAndTheHTMLFileStaysSelfContained() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let base = "/couples/\(Self.id(fixture.danaCouple))/report"
            for (suffix, type) in [
                ("html", "text/html; charset=utf-8"), ("md", "text/markdown; charset=utf-8"),
                ("json", "application/json"),
            ] {
                try await client.execute(
                    uri: "\(base).\(suffix)?audience=client",
                    method: .get,
                    headers: browser.cookieHeader
                ) { response in
                    #expect(response.status == .ok, "\(suffix)")
                    #expect(response.headers[.contentType] == type, "\(suffix)")
                    #expect(
                        response.headers[.contentDisposition]
                            == "attachment; filename=\"progress-report-client.\(suffix)\""
                    )
                    WebPageTests.expectSecurityHeaders(response)
                    let body = String(buffer: response.body)
                    #expect(body.contains("Fictional A"), "\(suffix)")
                    if suffix == "html" { #expect(body.contains("<style>\(HTMLRenderer.stylesheet)</style>")) }
                    if suffix == "json" { #expect(body.contains(#""audience""#)) }
                }
            }
            // Someone else's chart: the 404 page, for the preview and every download.
            for uri in [
                "/couples/\(Self.id(fixture.samCouple))/report", "/couples/\(Self.id(fixture.samCouple))/report.json",
                "/clients/\(Self.id(UUID()))/report",
            ] {
                let answer = try await WebPageTests.get(client, browser, uri)
                #expect(answer.status == .notFound, "\(uri)")
                #expect(answer.html.contains("not in your caseload"), "\(uri)")
                #expect(!answer.html.contains("Fictional"), "\(uri)")
            }
        }
    }

    @Test func anIndividualClientsReportShowsToo() async throws {
        try await HTTPFixture.with { fixture, client in
            let couple = try await ChartService(pool: fixture.app, keys: fixture.keys).couple(
                fixture.danaCouple,
                actor: fixture.dana
            )
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = try await WebPageTests.get(
                client,
                browser,
                "/clients/\(Self.id(couple.partnerA))/report"
            )
            #expect(page.status == .ok)
            WebPageTests.expectNothingInline(page.html)
            #expect(page.html.contains("Fictional A"))
        }
    }

    @Test func theSummaryFormSavesAndARefusalKeepsWhatWasTyped() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let base = "/couples/\(Self.id(fixture.danaCouple))/report"
            let refused = try await WebPageTests.post(
                client,
                browser,
                base + "/summary",
                [
                    ("summary", "Fictional summary <b>bold</b>."), ("from", "2026-09-01"), ("to", "2026-11-30"),
                    ("nextReview", "2026-11-01"),
                ]
            )
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("nextReview: must be on or after the end of the period"))
            #expect(refused.html.contains("Fictional summary &lt;b&gt;bold&lt;/b&gt;.</textarea>"))
            #expect(refused.html.contains(#"value="2026-11-30""#))
            #expect(refused.html.contains(#"value="2026-11-01""#))
            WebPageTests.expectNothingInline(refused.html)
            let forged = try await WebPageTests.post(
                client,
                browser,
                base + "/summary",
                [("summary", "Fictional forged."), ("from", "2026-09-01"), ("to", "2026-11-30")],
                csrf: false
            )
            #expect(forged.status == .forbidden)
            let saved = try await WebPageTests.post(
                client,
                browser,
                base + "/summary",
                [("summary", "Fictional: the cycle is named."), ("from", "2026-09-01"), ("to", "2026-12-31")]
            )
            #expect(saved.status == .seeOther)
            #expect(saved.location == base + "?audience=clinical&summarized=1")
            let page = try await WebPageTests.get(client, browser, saved.location ?? "/")
            #expect(page.html.contains("Summary saved."))
            #expect(page.html.contains("Fictional: the cycle is named."))
            #expect(!page.html.contains("Fictional forged."))
        }
    }
}
