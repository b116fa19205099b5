import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import HavenHTTP

/// A practice's own measure on the portal through the pages (migration 0081): the counselor schedules it
/// from the chart's schedule form, the partner answers it at `/portal/measures/{id}` as one number within
/// its range, and the chart shows it as from the portal; with forged requests (no CSRF token, the other
/// partner's item, a measure that is none, numbers out of range or not numbers, a second submit). Every
/// read of the partner's questionnaires is audited `portal.measure.read` (migration 0080).
@Suite("/portal/measures: a practice's own measure answered as one number", .needsTestDatabase)
struct WebPortalPracticeMeasurePageTests {
    typealias Pages = WebPortalPageTests

    @Test func aPartnerAnswersAPracticeMeasureOnceWithinItsRangeAndTheChartShowsIt() async throws {
        try await HTTPFixture.with { fixture, client in
            var c = try await WebPortalAnswerPageTests.couple(fixture, client)
            let a = try await fixture.owner.query(
                "SELECT partner_a_id FROM couples WHERE id = \(fixture.danaCouple)"
            )[0].decode(0, as: UUID.self)
            let measure = try await StaffService(pool: fixture.owner).defineMeasure(
                .init(code: "CLOSE", name: "Closeness scale", minimum: 0, maximum: 10, higherIsBetter: true),
                practiceID: fixture.practiceID,
                source: "test"
            )
            let value = "practice:\(HavenAPI.text(measure))"
            let schedules = c.chartPath + "/measures/schedules"

            // The chart's schedule form offers the practice's measure beside the CSI forms.
            let chart = try await Pages.open(client, &c.dana, c.chartPath)
            #expect(
                chart.html.contains(
                    #"<option value="\#(value)">Closeness scale (the practice&#39;s measure: one number from 0 to 10)"#
                )
            )
            // A practice measure that is none (or another practice's): refused beside the questionnaire.
            let unknown = try await Pages.send(
                client,
                &c.dana,
                schedules,
                [("form", "practice:\(HavenAPI.text(UUID()))"), ("partner", "both"), ("cadence", "once")]
            )
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.html.contains(#"<select id="schedule-form" name="form" aria-invalid="true""#))
            #expect(unknown.html.contains("Not scheduled: choose one of the questionnaires"))
            let forAlex = [("form", value), ("partner", HavenAPI.text(a)), ("cadence", "once"), ("showTrend", "on")]
            #expect(try await Pages.send(client, &c.dana, schedules, forAlex).location == c.chartPath + "#measures")
            let schedule = try await fixture.owner.query("SELECT id FROM measure_schedules")[0].decode(0, as: UUID.self)
            let page = WebPortalMeasurePageTests.path(schedule)

            // Alex's home and questionnaires list it by name and range; Jo reaches nothing of it.
            let home = try await Pages.open(client, &c.alex, "/portal")
            #expect(home.html.contains(#"href="\#(page)">Closeness scale (one number from 0 to 10)"#))
            #expect(!(try await Pages.open(client, &c.jo, "/portal")).html.contains(page))
            #expect(try await Pages.open(client, &c.jo, page).status == .notFound)
            #expect(try await Pages.send(client, &c.jo, page, [("score", "5")]).status == .notFound)

            // The form: one number, the measure's name and range.
            let form = try await Pages.open(client, &c.alex, page)
            #expect(form.status == .ok && form.html.contains(#"<h1 id="measure-heading">Closeness scale</h1>"#))
            #expect(form.html.contains("Your answer (from 0 to 10)"))
            #expect(
                form.html.contains(
                    #"name="score" type="number" inputmode="decimal" min="0" max="10" step="any" required value="""#
                )
            )
            #expect(!form.html.contains("item1"))
            WebPageTests.expectNothingInline(form.html)
            // Without the token, out of range, or not a number written in decimals: nothing is sent.
            #expect(try await Pages.send(client, &c.alex, page, [("score", "6")], csrf: false).status == .forbidden)
            for typed in ["11", "-0.5", "six", "1e1", "nan", "inf", "0x5", ""] {
                let refused = try await Pages.send(client, &c.alex, page, [("score", typed)])
                #expect(refused.status == .unprocessableContent, "\(typed)")
                #expect(refused.html.contains("the answer must be a number from 0 to 10"), "\(typed)")
            }
            let high = try await Pages.send(client, &c.alex, page, [("score", "11")])
            #expect(high.html.contains(#"step="any" required value="11""#))
            let stored = "SELECT count(*) FROM measure_administrations WHERE schedule_id IS NOT NULL"
            #expect(try await fixture.owner.query(PostgresQuery(sql: stored))[0].decode(0, as: Int.self) == 0)

            // Sent once: the number is the score, final; a second send is refused.
            let sent = try await Pages.send(client, &c.alex, page, [("score", "6.5")])
            #expect(sent.location == "/portal/measures?done=submitted")
            let after = try await Pages.open(client, &c.alex, "/portal/measures?done=submitted")
            #expect(after.html.contains("<td>Closeness scale</td>") && after.html.contains("6.5 (from 0 to 10)"))
            let again = try await Pages.send(client, &c.alex, page, [("score", "3")])
            #expect(again.status == .conflict && again.html.contains("already sent this questionnaire"))
            #expect(try await fixture.owner.query(PostgresQuery(sql: stored))[0].decode(0, as: Int.self) == 1)
            #expect(!(try await Pages.open(client, &c.jo, "/portal/measures").html.contains("6.5")))
            let row = try await fixture.owner.query(
                "SELECT client_id, definition_id, total, cardinality(items) FROM measure_administrations"
            )[0].decode((UUID, UUID, Double, Int).self)
            #expect(row == (a, measure, 6.5, 0))

            // The counselor's chart shows it as from the portal, with the schedule.
            let shown = try await Pages.open(client, &c.dana, c.chartPath)
            #expect(
                shown.html.contains("Closeness scale (from the portal)") && shown.html.contains("6.5 (from 0 to 10)")
            )
            #expect(shown.html.contains("Closeness scale for ") && shown.html.contains(", once; the partner sees"))

            // Every page that read Alex's questionnaires left an entry naming Alex, the chart and its clients.
            let reads = try await fixture.owner.query(
                """
                SELECT count(*), bool_and(entity_id = \(fixture.danaCouple) AND staff_id IS NULL
                                          AND cardinality(client_ids) = 2)
                FROM audit_log WHERE action = 'portal.measure.read' AND partner_client_id = \(a)
                """
            )[0].decode((Int, Bool?).self)
            #expect(reads.0 >= 12 && reads.1 == true)
        }
    }
}
