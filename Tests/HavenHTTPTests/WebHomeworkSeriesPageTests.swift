import Foundation
import HavenCore
import HavenService
import HavenTestSupport
import Testing

@testable import HavenHTTP

/// `POST /couples/{id}/homework/series` (migration 0056): the counselor assigns the emotional-safety
/// practice from a couple's homework page; the page shows each step's state; forged and foreign posts
/// change nothing.
@Suite("The homework page assigns a series and shows each step's state", .needsTestDatabase)
struct WebHomeworkSeriesPageTests {
    static func series(_ fixture: HTTPFixture) async throws -> HomeworkService.Series {
        try #require(
            try await HomeworkService(pool: fixture.app, keys: fixture.keys).seriesLibrary(actor: fixture.dana).first
        )
    }

    static func steps(_ fixture: HTTPFixture) async throws -> Int {
        try await fixture.owner.query(
            "SELECT count(*) FROM homework_assignments WHERE series_assignment_id IS NOT NULL"
        )[0].decode(0, as: Int.self)
    }

    @Test func assigningTheSeriesCreatesItsStepsAndThePageShowsWhichAreOpen() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = "/couples/\(WebHomeworkPageTests.id(fixture.danaCouple))/homework/new"
            let form = try await WebPageTests.get(client, browser, page)
            #expect(form.html.contains("Emotional-safety practice (6 steps, 5 joint)"))
            let series = try await Self.series(fixture)
            // Chosen at first: the built-in practice, by its id (whatever the library's order).
            #expect(form.html.contains(#"<option value="\#(WebHomeworkPageTests.id(series.id))" selected>"#))
            let fields = [
                ("series", WebHomeworkPageTests.id(series.id)), ("partner", "both"),
                ("session", WebHomeworkPageTests.id(fixture.danaSession)), ("intervalDays", "7"),
            ]
            let bad = try await WebPageTests.post(
                client,
                browser,
                "/couples/\(WebHomeworkPageTests.id(fixture.danaCouple))/homework/series",
                [fields[0], fields[1], fields[2], ("intervalDays", "90")]
            )
            #expect(bad.status == .unprocessableContent)
            #expect(bad.html.contains("Not assigned: ") && bad.html.contains(#"value="90""#))
            let done = try await WebPageTests.post(
                client,
                browser,
                "/couples/\(WebHomeworkPageTests.id(fixture.danaCouple))/homework/series",
                fields
            )
            #expect(done.status == .seeOther)
            #expect(done.location == page + "?series=1")
            let shown = try await WebPageTests.get(client, browser, done.location ?? "/")
            #expect(shown.html.contains("Series assigned."))
            #expect(shown.html.contains("Step 1 of 6 · Emotional-safety practice · opened "))
            #expect(shown.html.contains("Step 2 of 6 · Emotional-safety practice · opens "))
            #expect(shown.html.components(separatedBy: ">upcoming<").count - 1 == 5)
            #expect(try await Self.steps(fixture) == 6)
            let audited = try await fixture.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'homework.series.assign' AND outcome = 'success'"
            )[0].decode(0, as: Int.self)
            #expect(audited == 1)
        }
    }

    @Test func aForgedOrForeignSeriesPostChangesNothing() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let series = try await Self.series(fixture)
            let fields = [
                ("series", WebHomeworkPageTests.id(series.id)),
                ("session", WebHomeworkPageTests.id(fixture.danaSession)), ("intervalDays", "7"),
            ]
            let forged = try await WebPageTests.post(
                client,
                browser,
                "/couples/\(WebHomeworkPageTests.id(fixture.danaCouple))/homework/series",
                fields,
                csrf: false
            )
            #expect(forged.status == .forbidden)
            let foreign = try await WebPageTests.post(
                client,
                browser,
                "/couples/\(WebHomeworkPageTests.id(fixture.samCouple))/homework/series",
                fields
            )
            #expect(foreign.status == .notFound)
            #expect(try await Self.steps(fixture) == 0)
        }
    }

    /// The portal's side, with forged requests: the home shows the series as one item with its first
    /// step and a count (no later step's prompt); a later step's page and a save posted to it, with the
    /// form token, are the same 404 as any id that is not the partner's, and store nothing.
    @Test func aPartnerReachesOnlyTheReleasedStepOfASeries() async throws {
        try await HTTPFixture.with { fixture, client in
            var c = try await WebPortalAnswerPageTests.couple(fixture, client)
            let session = try await fixture.owner.query(
                "SELECT id FROM therapy_sessions WHERE couple_id = \(fixture.danaCouple) LIMIT 1"
            )[0].decode(0, as: UUID.self)
            let assigned = try await HomeworkService(pool: fixture.app, keys: fixture.keys).assignSeries(
                try await Self.series(fixture).id,
                couple: fixture.danaCouple,
                session: session,
                today: CalendarDate(year: 2026, month: 9, day: 22)!,
                actor: fixture.dana
            )
            let home = try await WebPortalPageTests.open(client, &c.alex, "/portal")
            #expect(home.html.contains(#"<article class="assignment series">"#))
            #expect(home.html.contains("Step 1: Weekly check-in") && home.html.contains("0 of 6 steps done"))
            #expect(home.html.contains("5 more steps open later, one at a time."))
            #expect(!home.html.contains("The softer feeling") && !home.html.contains("Making a repair"))
            let first = try await WebPortalPageTests.open(
                client,
                &c.alex,
                WebPortalAnswerPageTests.path(assigned.steps[0])
            )
            #expect(first.status == .ok && first.html.contains("Step 1 of 6 · Emotional-safety practice"))
            #expect(first.html.contains("<li>When did you feel close to your partner this week?</li>"))
            let later = WebPortalAnswerPageTests.path(assigned.steps[1])
            let page = try await WebPortalPageTests.open(client, &c.alex, later)
            #expect(page.status == .notFound && !page.html.contains("It makes sense"))
            let posted = try await WebPortalPageTests.send(
                client,
                &c.alex,
                later,
                [("draft", UUID().uuidString), ("version", "0"), ("text", "too early"), ("action", "save")]
            )
            #expect(posted.status == .notFound)
            let drafts = try await fixture.owner.query("SELECT count(*) FROM portal_answer_drafts")[0]
                .decode(0, as: Int.self)
            #expect(drafts == 0)
        }
    }
}
