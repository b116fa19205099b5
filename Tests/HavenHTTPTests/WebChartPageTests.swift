import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("The web app's caseload and chart pages", .needsTestDatabase)
struct WebChartPageTests {
    typealias Browser = WebPageTests.Browser

    static func get(
        _ client: any TestClientProtocol,
        _ browser: Browser,
        _ uri: String
    ) async throws
        -> (HTTPResponse.Status, String)
    {
        try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader) { response in
            WebPageTests.expectSecurityHeaders(response)
            return (response.status, String(buffer: response.body))
        }
    }

    static func post(
        _ client: any TestClientProtocol,
        _ browser: Browser,
        _ uri: String,
        _ fields: [(String, String)]
    ) async throws -> (HTTPResponse.Status, String, String?) {
        try await client.execute(
            uri: uri,
            method: .post,
            headers: WebPageTests.formHeaders(browser),
            body: WebPageTests.form(fields)
        ) { response in
            (response.status, String(buffer: response.body), response.headers[.location])
        }
    }

    /// A couple of Dana's with a name that needs escaping, and a high-risk draft note on a completed
    /// session with a change event.
    static func riskyCouple(_ fixture: HTTPFixture) async throws -> (couple: UUID, session: UUID) {
        let (couple, a) = try await fixture.coupleWithNamesToEscape(concerns: "Fictional <b>concerns</b>.")
        let sessions = SessionService(pool: fixture.app, keys: fixture.keys)
        let session = try await sessions.schedule(
            .couple(couple),
            start: Date(timeIntervalSince1970: 1_790_100_000),
            durationMinutes: 50,
            format: .inPerson,
            actor: fixture.dana
        )
        try await sessions.setStatus(.completed, session: session, actor: fixture.dana)
        _ = try await NoteService(pool: fixture.app, keys: fixture.keys).writeDraft(
            .init(
                stage: 1,
                step: 2,
                changeEvents: [.cycleDeescalated],
                riskLevel: .high,
                riskDetail: "Fictional risk detail.",
                body: "Fictional NOTE-BODY-SENTINEL."
            ),
            session: session,
            actor: fixture.dana
        )
        let measures = MeasureService(pool: fixture.app)
        let csi4 = try await measures.definitionID(code: "CSI-4", actor: fixture.dana)
        for (day, items) in [(2, [1, 1, 2, 1]), (30, [4, 3, 4, 3])] {
            _ = try await measures.record(
                measure: csi4,
                client: a,
                administeredOn: CalendarDate(year: 2026, month: 9, day: 1)!.adding(days: day),
                items: items,
                actor: fixture.dana
            )
        }
        return (couple, session)
    }

    @Test func theCaseloadShowsNamesEscapedStageAndTheOpenRiskFlag() async throws {
        try await HTTPFixture.with { fixture, client in
            let (couple, _) = try await Self.riskyCouple(fixture)
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let (status, html) = try await Self.get(client, browser, "/caseload")
            #expect(status == .ok)
            #expect(html.contains("Ann &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Bo O&#39;Hara &amp; Co"))
            WebPageTests.expectNothingInline(html)
            #expect(html.contains(#"href="/couples/\#(couple.uuidString.lowercased())""#))
            #expect(html.contains("stage 1, step 2"))
            #expect(html.contains("<strong>open high-risk flag</strong>"))
            // Individual clients are listed too, each linking to their chart by id.
            #expect(html.contains("Individual clients") && html.contains(#"href="/clients/"#))
            // Sam's couple is not in Dana's caseload.
            #expect(!html.contains(fixture.samCouple.uuidString.lowercased()))
            #expect(!html.contains("style=") && !html.contains("<style") && !html.contains(" on"))
        }
    }

    @Test func searchIsAPostAndFindsByNameWithNoNameInTheURL() async throws {
        try await HTTPFixture.with { fixture, client in
            let (couple, _) = try await Self.riskyCouple(fixture)
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let (_, page) = try await Self.get(client, browser, "/caseload")
            #expect(page.contains(#"<form class="caseload-search" method="post" action="/caseload/search">"#))
            let (status, html, location) = try await Self.post(
                client,
                browser,
                "/caseload/search",
                [("csrf", browser.csrf), ("q", "o'hara")]
            )
            #expect(status == .ok && location == nil)
            #expect(html.contains(#"href="/couples/\#(couple.uuidString.lowercased())""#))
            #expect(!html.contains(fixture.danaCouple.uuidString.lowercased()), "Fictional A & B do not match")
            #expect(html.contains(#"value="o&#39;hara""#))
            // No link on the page carries a name.
            #expect(!html.contains("?q=") && !html.contains("href=\"/caseload/search"))
            let (_, none, _) = try await Self.post(
                client,
                browser,
                "/caseload/search",
                [("csrf", browser.csrf), ("q", "Nobody Fictional")]
            )
            #expect(none.contains("No couples by that name."))
        }
    }

    @Test func newChartFormsOpenChartsAndARefusedFormKeepsWhatWasTyped() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let charts = ChartService(pool: fixture.app, keys: fixture.keys)
            let before = try await charts.listClients(actor: fixture.dana).count
            // Refused: a bad intake date. Everything typed comes back.
            let (refused, html, _) = try await Self.post(
                client,
                browser,
                "/caseload/clients",
                [
                    ("csrf", browser.csrf), ("legalName", "Fictional Cleo <Q>"), ("preferredName", "Cleo"),
                    ("pronouns", "she/her"), ("intakeDate", "2026-13-40"),
                ]
            )
            #expect(refused == .unprocessableContent)
            #expect(html.contains("intakeDate: is a date"))
            #expect(html.contains(#"value="Fictional Cleo &lt;Q&gt;""#) && html.contains(#"value="she/her""#))
            #expect(try await charts.listClients(actor: fixture.dana).count == before)
            // Without the form token: 403 and nothing opened.
            let (forged, _, _) = try await Self.post(
                client,
                browser,
                "/caseload/clients",
                [("legalName", "Fictional Forged"), ("intakeDate", "2026-10-01")]
            )
            #expect(forged == .forbidden)
            #expect(try await charts.listClients(actor: fixture.dana).count == before)
            // Accepted: to the new chart.
            let (created, _, location) = try await Self.post(
                client,
                browser,
                "/caseload/clients",
                [("csrf", browser.csrf), ("legalName", "Fictional Cleo"), ("intakeDate", "2026-10-01")]
            )
            #expect(created == .seeOther)
            let clientPath = try #require(location)
            #expect(clientPath.hasPrefix("/clients/"))
            let (shown, chart) = try await Self.get(client, browser, clientPath)
            #expect(shown == .ok && chart.contains("<h1>Fictional Cleo</h1>"))
            let (_, dora, doraPath) = try await Self.post(
                client,
                browser,
                "/caseload/clients",
                [("csrf", browser.csrf), ("legalName", "Fictional Dora"), ("intakeDate", "2026-10-01")]
            )
            _ = dora
            let cleo = String(clientPath.dropFirst("/clients/".count))
            let doraID = String(try #require(doraPath).dropFirst("/clients/".count))
            // A couple refused (the same partner twice) keeps the choices and the concerns typed.
            let (sameTwice, kept, _) = try await Self.post(
                client,
                browser,
                "/caseload/couples",
                [
                    ("csrf", browser.csrf), ("partnerA", cleo), ("partnerB", cleo), ("startDate", "2026-10-02"),
                    ("concerns", "Fictional typed concerns"),
                ]
            )
            #expect(sameTwice == .unprocessableContent)
            #expect(kept.contains("partnerB: must be a different client"))
            #expect(kept.contains("Fictional typed concerns</textarea>"))
            #expect(kept.contains(#"<option value="\#(cleo)" selected>Fictional Cleo</option>"#))
            let (opened, _, couplePath) = try await Self.post(
                client,
                browser,
                "/caseload/couples",
                [("csrf", browser.csrf), ("partnerA", cleo), ("partnerB", doraID), ("startDate", "2026-10-02")]
            )
            #expect(opened == .seeOther)
            let (_, couplePage) = try await Self.get(client, browser, try #require(couplePath))
            #expect(couplePage.contains("<h1>Fictional Cleo &amp; Fictional Dora</h1>"))
        }
    }

    @Test func theChartShowsItsSectionsTheOpenRiskFlagFirstAndTheReportsCharts() async throws {
        try await HTTPFixture.with { fixture, client in
            let (couple, session) = try await Self.riskyCouple(fixture)
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let id = couple.uuidString.lowercased()
            let (status, html) = try await Self.get(client, browser, "/couples/\(id)")
            #expect(status == .ok)
            #expect(
                html.contains(
                    "<h1>Ann &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Bo O&#39;Hara &amp; Co</h1>"
                )
            )
            // The open flag comes before every other section.
            let flag = try #require(html.range(of: "Open high-risk flag"))
            let partners = try #require(html.range(of: #"id="partners""#))
            #expect(flag.lowerBound < partners.lowerBound)
            #expect(html.contains("OPEN HIGH-RISK FLAG"))
            #expect(html.contains(#"id="portal-safety""#) && html.contains("portal is in safety mode"))
            for anchor in [
                "#partners", "#concerns", "#timeline", "#cycle", "#injuries", "#are", "#sessions", "#notes",
                "#homework", "#measures", "#report",
            ] {
                #expect(html.contains(#"<a href="\#(anchor)">"#), "\(anchor)")
                #expect(html.contains(#"id="\#(anchor.dropFirst())""#), "\(anchor)")
            }
            #expect(html.contains("Fictional &lt;b&gt;concerns&lt;/b&gt;."))
            #expect(html.contains("Cycle de-escalated"))
            #expect(html.contains(#"href="/sessions/\#(session.uuidString.lowercased())/note""#))
            #expect(html.contains("draft (version 1)") && html.contains("Dana Reyes"))
            #expect(!html.contains("NOTE-BODY-SENTINEL"))
            // The report's server-made SVG charts: the step chart and the CSI-4 trend with its cut-off.
            #expect(html.contains(#"<svg"#) && html.contains("Stage and step by session"))
            #expect(html.contains("CSI-4 scores over time") && html.contains("cut-off"))
            for link in ["/couples/\(id)/homework/new", "/couples/\(id)/measures/new", "/couples/\(id)/report"] {
                #expect(html.contains(#"href="\#(link)""#), "\(link)")
            }
            WebPageTests.expectNothingInline(html)
            // A bad id is the not-found page.
            let (bad, _) = try await Self.get(client, browser, "/couples/not-a-uuid")
            #expect(bad == .notFound)
        }
    }

    @Test func anotherCounselorsChartIsTheSame404PageAndTheDenialIsAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            let sam = try await WebPageTests.signIn(client, "sam@harbor.example")
            let danas = fixture.danaCouple.uuidString.lowercased()
            let (status, html) = try await Self.get(client, sam, "/couples/\(danas)")
            let unknown = UUID().uuidString.lowercased()
            let (missing, missingHTML) = try await Self.get(client, sam, "/couples/\(unknown)")
            #expect(status == .notFound && missing == .notFound)
            // The same page but for the id asked for, which its break-glass link carries.
            #expect(html.replacingOccurrences(of: danas, with: unknown) == missingHTML)
            #expect(html.contains("href=\"/break-glass?couple=\(danas)\""))
            let (clientStatus, clientHTML) = try await Self.get(client, sam, "/clients/\(unknown)")
            #expect(clientStatus == .notFound && clientHTML.contains("href=\"/break-glass?client=\(unknown)\""))
            #expect(!html.contains("Fictional"))
            let denied = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: fixture.practiceID, staffID: fixture.sam.staffID, action: "couple.read"),
                    on: connection
                )
            }
            #expect(denied.contains { $0.entry.entityID == fixture.danaCouple && $0.entry.outcome == .denied })
        }
    }

    @Test func aChartWithManySessionsRendersInTheSameNumberOfStatements() async throws {
        try await HTTPFixture.with { fixture, client in
            let charts = ChartService(pool: fixture.app, keys: fixture.keys)
            _ = try await charts.record(.couple(fixture.danaCouple), actor: fixture.dana)  // warms the key cache
            let small = try await charts.record(.couple(fixture.danaCouple), actor: fixture.dana)
            let record = try await charts.record(.couple(fixture.danaCouple), actor: fixture.dana)
            let partners = record.facts.partners.map(\.id)
            try await fixture.owner.query(
                """
                INSERT INTO therapy_sessions (id, practice_id, couple_id, counselor_id, scheduled_start, duration_minutes,
                                              format, status, attendee_ids)
                SELECT gen_random_uuid(), \(fixture.practiceID), \(fixture.danaCouple), \(fixture.dana.staffID),
                       timestamptz '2026-09-02 08:00+00' + g * interval '4 hours', 50, 'in_person', 'completed',
                       \(partners)
                FROM generate_series(0, 199) AS g
                """
            )
            let large = try await charts.record(.couple(fixture.danaCouple), actor: fixture.dana)
            #expect(large.facts.sessions.count == small.facts.sessions.count + 200)
            #expect(large.queryCount == small.queryCount)
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let (status, html) = try await Self.get(
                client,
                browser,
                "/couples/\(fixture.danaCouple.uuidString.lowercased())"
            )
            #expect(status == .ok)
            #expect(html.components(separatedBy: "/note\">Note</a>").count - 1 == large.facts.sessions.count)
        }
    }

    @Test func theAPIReadsTheSameChartRecordAndRefusesAnotherCounselor() async throws {
        try await HTTPFixture.with { fixture, client in
            let (couple, _) = try await Self.riskyCouple(fixture)
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            struct Record: Decodable {
                struct Note: Decodable {
                    var authorName: String
                    var state: String?
                }
                struct Facts: Decodable { var openHighRiskFlag: Bool? }
                var facts: Facts
                var notes: [Note]
                var queryCount: Int
            }
            try await client.execute(uri: "/v1/couples/\(couple)/chart", method: .get, headers: dana) { response in
                #expect(response.status == .ok)
                let record = try json(Record.self, response)
                #expect(record.facts.openHighRiskFlag == true)
                #expect(record.notes.map(\.authorName) == ["Dana Reyes"])
                #expect(record.queryCount > 0)
                #expect(!String(buffer: response.body).contains("NOTE-BODY-SENTINEL"))
            }
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            try await client.execute(uri: "/v1/couples/\(couple)/chart", method: .get, headers: sam) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/clients/\(UUID())/chart", method: .get, headers: dana) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
