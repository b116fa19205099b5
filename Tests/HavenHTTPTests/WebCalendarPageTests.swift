import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Sealing
import Testing

@testable import HavenHTTP

@Suite("The calendar pages: a counselor's week, scheduling, moving and recording sessions", .needsTestDatabase)
struct WebCalendarPageTests {
    typealias Browser = WebPageTests.Browser

    /// 2030-01-14 (a Monday) at 10:00 in the fixture practice's zone (America/Chicago, UTC-6 in January).
    static let mondayTen = Date(timeIntervalSince1970: 1_894_636_800)

    static func get(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ browser: Browser
    ) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader) {
            ($0.status, String(buffer: $0.body))
        }
    }

    static func post(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ browser: Browser,
        _ fields: [(String, String)]
    ) async throws -> TestResponse {
        try await client.execute(
            uri: uri,
            method: .post,
            headers: WebPageTests.formHeaders(browser),
            body: WebPageTests.form(fields)
        ) { $0 }
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    @Test func formDatesAndTimesAreReadInThePracticesZone() throws {
        let time = PracticeTime(timeZoneName: "America/Chicago")
        let monday = try #require(CalendarDate(iso8601: "2030-01-14"))
        #expect(time.instant(monday, time: "10:00") == Self.mondayTen)
        #expect(time.time(Self.mondayTen) == "10:00")
        #expect(time.day(of: Self.mondayTen.addingTimeInterval(14 * 3_600)) == monday.adding(days: 1))
        for bad in ["10", "10:0", "24:00", "10:60", "１０:００", "+1:00", "10:00:00", ""] {
            #expect(time.instant(monday, time: bad) == nil, "\(bad)")
        }
        #expect(PracticeTime.monday(of: monday) == monday)
        #expect(PracticeTime.monday(of: monday.adding(days: 6)) == monday)
        #expect(PracticeTime.monday(of: monday.adding(days: 7)) == monday.adding(days: 7))
        #expect(PracticeTime.monday(of: try #require(CalendarDate(iso8601: "1969-12-31"))).description == "1969-12-29")
        // The day clocks go forward (2030-03-10 in Chicago) is 23 hours long.
        let spring = try #require(CalendarDate(iso8601: "2030-03-10"))
        #expect(time.start(of: spring.adding(days: 1)).timeIntervalSince(time.start(of: spring)) == 23 * 3_600)
    }

    @Test func theWeekShowsTheCounselorsSessionsWithNamesEscaped() async throws {
        #expect(ISO8601DateFormatter().string(from: Self.mondayTen) == "2030-01-14T16:00:00Z")
        try await HTTPFixture.with { fixture, client in
            let couple = try await fixture.coupleWithNamesToEscape().couple
            let sessions = SessionService(pool: fixture.app, keys: fixture.keys)
            _ = try await sessions.schedule(
                .couple(couple),
                start: Self.mondayTen,
                durationMinutes: 50,
                format: .video,
                type: .assessment,
                actor: fixture.dana
            )
            // Sam's session the same week is not on Dana's calendar.
            _ = try await sessions.schedule(
                .couple(fixture.samCouple),
                start: Self.mondayTen.addingTimeInterval(86_400),
                durationMinutes: 50,
                format: .video,
                actor: fixture.sam
            )
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let dana = Self.id(fixture.dana.staffID)
            try await client.execute(
                uri: "/calendar?week=2030-01-16&counselor=\(dana)",
                method: .get,
                headers: browser.cookieHeader
            ) { response in
                #expect(response.status == .ok)
                WebPageTests.expectSecurityHeaders(response)
                #expect(response.headers[.cacheControl] == "no-store")
                let html = String(buffer: response.body)
                #expect(
                    html.contains("Ann &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Bo O&#39;Hara &amp; Co")
                )
                // The one script is the layout's idle-logoff file, never inline.
                #expect(html.components(separatedBy: "<script").count == 2)
                #expect(html.contains(#"<script src="/static/haven.js?v="#))
                #expect(!html.contains("style="))
                #expect(html.contains(#"href="/couples/\#(Self.id(couple))""#))
                #expect(html.contains("10:00–10:50"))
                #expect(html.contains("assessment, 50 min, video"))
                #expect(html.contains("Monday, January 14"))
                #expect(html.contains("Sunday, January 20"))
                #expect(html.components(separatedBy: #"<li class="cal-session">"#).count == 2)
                #expect(html.contains(#"href="/calendar?week=2030-01-07&amp;counselor=\#(dana)""#))
                #expect(html.contains(#"href="/calendar?week=2030-01-21&amp;counselor=\#(dana)""#))
                #expect(html.contains(#"<a href="/calendar" aria-current="page">Calendar</a>"#))
            }
            // A bad week is said on the page, which shows this week.
            let (status, html) = try await Self.get(client, "/calendar?week=2030-13-40", browser)
            #expect(status == .ok)
            #expect(html.contains("not a date like"))
        }
    }

    @Test func theScheduleFormBooksAndADoubleBookingIsRefusedWithWhatWasTyped() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let dana = Self.id(fixture.dana.staffID)
            let couple = "couple:\(Self.id(fixture.danaCouple))"
            let (_, page) = try await Self.get(client, "/calendar?week=2030-01-14&counselor=\(dana)", browser)
            #expect(page.contains(#"<option value="\#(couple)">Fictional A &amp; Fictional B</option>"#))
            func book(_ time: String, code: String, extra: [(String, String)] = []) async throws -> TestResponse {
                try await Self.post(
                    client,
                    "/sessions",
                    browser,
                    [
                        ("csrf", browser.csrf), ("week", "2030-01-14"), ("counselor", dana), ("chart", couple),
                        ("date", "2030-01-15"), ("time", time), ("duration", "50"), ("type", "assessment"),
                        ("format", "video"), ("serviceCode", code),
                    ] + extra
                )
            }
            var response = try await book("10:00", code: "90847")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/calendar?week=2030-01-14&counselor=\(dana)")
            let sessions = SessionService(pool: fixture.app, keys: fixture.keys)
            var listed = try await sessions.list(chart: .couple(fixture.danaCouple), actor: fixture.dana)
            let booked = try #require(listed.first { $0.start == Self.mondayTen.addingTimeInterval(86_400) })
            #expect(booked.sessionType == "assessment" && booked.serviceCode == "90847" && booked.format == "video")

            // The same counselor at 10:20: refused in the service's words, everything typed kept.
            response = try await book("10:20", code: "90837")
            #expect(response.status == .conflict)
            var html = String(buffer: response.body)
            #expect(html.contains("you already have a session from 2030-01-15T16:00:00Z for 50 minutes"))
            #expect(html.contains(#"id="book-time" name="time" type="time" required value="10:20""#))
            #expect(html.contains(#"id="book-date" name="date" type="date" required value="2030-01-15""#))
            #expect(html.contains(#"name="serviceCode" value="90837""#))
            #expect(html.contains(#"<option value="\#(couple)" selected>"#))
            #expect(html.contains(#"<option value="assessment" selected>"#))
            #expect(html.contains(#"id="book-overlap" name="allowOverlap""#))
            listed = try await sessions.list(chart: .couple(fixture.danaCouple), actor: fixture.dana)
            #expect(listed.count == 2)

            // On purpose: booked, with the warning shown.
            response = try await book("10:20", code: "90837", extra: [("allowOverlap", "1")])
            #expect(response.status == .ok)
            html = String(buffer: response.body)
            #expect(html.contains("Done, with a warning"))
            #expect(html.contains("booked as a deliberate overlap"))
            listed = try await sessions.list(chart: .couple(fixture.danaCouple), actor: fixture.dana)
            #expect(listed.count == 3)

            // A malformed time is refused before the service, the rest kept.
            response = try await book("ten", code: "90847")
            #expect(response.status == .unprocessableContent)
            #expect(String(buffer: response.body).contains("give a date (YYYY-MM-DD) and a time"))
        }
    }

    @Test func completingBeforeTheStartIsRefusedAndAMoveKeepsTheRules() async throws {
        try await HTTPFixture.with { fixture, client in
            let sessions = SessionService(pool: fixture.app, keys: fixture.keys)
            let start = Date().addingTimeInterval(3 * 86_400)
            let id = try await sessions.schedule(
                .couple(fixture.danaCouple),
                start: start,
                durationMinutes: 50,
                format: .video,
                actor: fixture.dana
            )
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let dana = Self.id(fixture.dana.staffID)
            let common = [("csrf", browser.csrf), ("week", "2030-01-14"), ("counselor", dana)]
            var response = try await Self.post(
                client,
                "/sessions/\(Self.id(id))/status",
                browser,
                common + [("status", "completed")]
            )
            #expect(response.status == .conflict)
            #expect(String(buffer: response.body).contains("the session has not started yet"))
            #expect(try await sessions.show(session: id, actor: fixture.dana).status == "scheduled")

            // Moved to 2030-01-14 10:00, then back over it by another session: refused, typed kept.
            response = try await Self.post(
                client,
                "/sessions/\(Self.id(id))/reschedule",
                browser,
                common + [("date", "2030-01-14"), ("time", "10:00"), ("duration", "60")]
            )
            #expect(response.status == .seeOther)
            var moved = try await sessions.show(session: id, actor: fixture.dana)
            #expect(moved.start == Self.mondayTen && moved.durationMinutes == 60)
            let other = try await sessions.schedule(
                .couple(fixture.danaCouple),
                start: Self.mondayTen.addingTimeInterval(7_200),
                durationMinutes: 50,
                format: .video,
                actor: fixture.dana
            )
            response = try await Self.post(
                client,
                "/sessions/\(Self.id(other))/reschedule",
                browser,
                common + [("date", "2030-01-14"), ("time", "10:30"), ("duration", "45")]
            )
            #expect(response.status == .conflict)
            let html = String(buffer: response.body)
            #expect(html.contains("you already have a session from 2030-01-14T16:00:00Z for 60 minutes"))
            #expect(html.contains(#"id="move-time-\#(Self.id(other))" name="time" type="time" required value="10:30""#))
            #expect(html.contains(#"id="move-duration-\#(Self.id(other))" name="duration" type="number""#))
            #expect(html.contains(#"id="move-overlap-\#(Self.id(other))""#))
            moved = try await sessions.show(session: other, actor: fixture.dana)
            #expect(moved.start == Self.mondayTen.addingTimeInterval(7_200))

            // Cancelling works and lands back on the week.
            response = try await Self.post(
                client,
                "/sessions/\(Self.id(other))/status",
                browser,
                common + [("status", "cancelled")]
            )
            #expect(response.status == .seeOther)
            #expect(try await sessions.show(session: other, actor: fixture.dana).status == "cancelled")
        }
    }

    @Test func aSessionThatStartedIsMarkedANoShowThroughTheWeek() async throws {
        try await HTTPFixture.with { fixture, client in
            let sessions = SessionService(pool: fixture.app, keys: fixture.keys)
            let id = try await sessions.schedule(
                .couple(fixture.danaCouple),
                start: Date().addingTimeInterval(-2 * 3_600),
                durationMinutes: 50,
                format: .video,
                allowOverlap: true,
                actor: fixture.dana
            )
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let fields = [("csrf", browser.csrf), ("counselor", Self.id(fixture.dana.staffID)), ("status", "no_show")]
            let response = try await Self.post(client, "/sessions/\(Self.id(id))/status", browser, fields)
            #expect(response.status == .seeOther)
            #expect(try await sessions.show(session: id, actor: fixture.dana).status == "no_show")
        }
    }

    @Test func theFrontDeskSeesTheWeekWithoutAnyChartLink() async throws {
        try await HTTPFixture.with { fixture, client in
            let staff = StaffService(
                pool: fixture.owner,
                hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
            )
            _ = try await staff.createStaff(
                .init(
                    email: "desk@harbor.example",
                    displayName: "Fictional Desk",
                    roles: [.scheduler],
                    password: HTTPFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            var browser = try await WebPageTests.signIn(client, "desk@harbor.example")
            #expect(browser.landing == "/calendar", "the front desk lands on the calendar")
            let sam = Self.id(fixture.sam.staffID)
            try await client.execute(
                uri: "/calendar?week=2026-09-21&counselor=\(sam)",
                method: .get,
                headers: browser.cookieHeader
            ) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("Fictional A &amp; Fictional B"))
                #expect(html.contains(#"<option value="\#(sam)" selected>Sam Ortiz</option>"#))
                #expect(!html.contains(#"href="/couples/"#))
                #expect(!html.contains(#"href="/clients/"#))
                #expect(!html.contains(#"value="completed""#))
                #expect(!html.contains(#"href="/today""#))
                browser.take(response)
            }
            let (status, html) = try await Self.get(client, "/couples/\(Self.id(fixture.samCouple))", browser)
            #expect(status != .ok)
            #expect(!html.contains("Fictional A"))

            // The front desk books for Sam's couple (with Sam) from the week's charts.
            let response = try await Self.post(
                client,
                "/sessions",
                browser,
                [
                    ("csrf", browser.csrf), ("week", "2030-01-14"), ("counselor", sam),
                    ("chart", "couple:\(Self.id(fixture.samCouple))"), ("date", "2030-01-15"), ("time", "09:00"),
                    ("duration", "50"), ("type", ""), ("format", "in_person"), ("serviceCode", ""),
                ]
            )
            #expect(response.status == .seeOther)
            let listed = try await SessionService(pool: fixture.app).list(
                chart: .couple(fixture.samCouple),
                actor: fixture.sam
            )
            #expect(
                listed.contains {
                    $0.start == Self.mondayTen.addingTimeInterval(82_800) && $0.sessionType == "conjoint"
                }
            )
        }
    }

    @Test func aFormWithoutTheTokenChangesNothingAndAnotherCounselorsSessionIsNotFound() async throws {
        try await HTTPFixture.with { fixture, client in
            let sessions = SessionService(pool: fixture.app, keys: fixture.keys)
            let samSession = try await sessions.schedule(
                .couple(fixture.samCouple),
                start: Self.mondayTen,
                durationMinutes: 50,
                format: .video,
                actor: fixture.sam
            )
            let danaSession = try await sessions.schedule(
                .couple(fixture.danaCouple),
                start: Self.mondayTen,
                durationMinutes: 50,
                format: .video,
                actor: fixture.dana
            )
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            // No token: 403, nothing booked or cancelled.
            var response = try await Self.post(
                client,
                "/sessions",
                browser,
                [
                    ("chart", "couple:\(Self.id(fixture.danaCouple))"), ("date", "2030-01-16"), ("time", "10:00"),
                    ("duration", "50"), ("format", "video"),
                ]
            )
            #expect(response.status == .forbidden)
            response = try await Self.post(
                client,
                "/sessions/\(Self.id(danaSession))/status",
                browser,
                [("status", "cancelled")]
            )
            #expect(response.status == .forbidden)
            #expect(try await sessions.list(chart: .couple(fixture.danaCouple), actor: fixture.dana).count == 2)
            #expect(try await sessions.show(session: danaSession, actor: fixture.dana).status == "scheduled")

            // Sam's session, with Dana's token: the 404 page, and it stays as it was.
            for (path, fields) in [
                ("status", [("status", "cancelled")]),
                ("reschedule", [("date", "2030-01-17"), ("time", "10:00"), ("duration", "50")]),
                ("status-correction", [("status", "no_show"), ("reason", "Fictional reason, long enough to pass.")]),
            ] {
                response = try await Self.post(
                    client,
                    "/sessions/\(Self.id(samSession))/\(path)",
                    browser,
                    [("csrf", browser.csrf)] + fields
                )
                #expect(response.status == .notFound, "\(path)")
                #expect(String(buffer: response.body).contains("not in your caseload"), "\(path)")
            }
            let sams = try await sessions.show(session: samSession, actor: fixture.sam)
            #expect(sams.status == "scheduled" && sams.start == Self.mondayTen)
            response = try await Self.post(client, "/sessions/not-an-id/status", browser, [("csrf", browser.csrf)])
            #expect(response.status == .notFound)
        }
    }
}
