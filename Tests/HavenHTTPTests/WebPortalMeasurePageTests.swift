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

/// Measures on the portal through the pages: the counselor schedules a CSI form from the chart, the
/// partner answers it at `/portal/measures/{id}`, and the chart shows the score as from the portal; with
/// forged requests (no CSRF token, the other partner's item, another counselor's couple, a second
/// submit, answers out of range).
@Suite("/portal/measures: a scheduled CSI answered on the portal", .needsTestDatabase)
struct WebPortalMeasurePageTests {
    typealias Pages = WebPortalPageTests

    static func path(_ id: UUID) -> String { "/portal/measures/\(id.uuidString.lowercased())" }

    static func items(_ values: [String]) -> [(String, String)] {
        values.enumerated().map { ("item\($0.offset + 1)", $0.element) }
    }

    @Test func aPartnerAnswersTheirScheduledCSIOnceAndTheChartShowsItFromThePortal() async throws {
        try await HTTPFixture.with { fixture, client in
            var c = try await WebPortalAnswerPageTests.couple(fixture, client)
            let (a, b) = try await fixture.owner.query(
                "SELECT partner_a_id, partner_b_id FROM couples WHERE id = \(fixture.danaCouple)"
            )[0].decode((UUID, UUID).self)
            let schedules = c.chartPath + "/measures/schedules"
            let chart = try await Pages.open(client, &c.dana, c.chartPath)
            #expect(
                chart.html.contains("Ask on the portal") && chart.html.contains("Nothing answered on the portal yet.")
            )

            // Scheduling needs the form token; another counselor's caseload does not reach the couple.
            let forAlex = [
                ("form", "CSI-4"), ("partner", a.uuidString.lowercased()), ("cadence", "once"), ("showTrend", "on"),
            ]
            #expect(try await Pages.send(client, &c.dana, schedules, forAlex, csrf: false).status == .forbidden)
            var sam = try await WebPageTests.signIn(client, "sam@harbor.example")
            _ = try await Pages.open(client, &sam, "/caseload")
            let foreign = try await Pages.send(client, &sam, schedules, forAlex)
            #expect(foreign.status == .notFound)
            #expect(try await Pages.send(client, &c.dana, schedules, forAlex).location == c.chartPath + "#measures")
            let both = [("form", "CSI-16"), ("partner", "both"), ("cadence", "once")]
            #expect(try await Pages.send(client, &c.dana, schedules, both).location == c.chartPath + "#measures")
            let ids = try await fixture.owner.query("SELECT id FROM measure_schedules ORDER BY created_at, id").map {
                try $0.decode(0, as: UUID.self)
            }
            #expect(ids.count == 2)
            let csi4 = try #require(
                try await fixture.owner.query("SELECT id FROM measure_schedules WHERE partner_id = \(a)")
                    .singleRow()?.decode(0, as: UUID.self)
            )
            let page = Self.path(csi4)

            // Alex's home lists the CSI-4; Jo's does not (it is Alex's), and Jo reaches nothing of it.
            #expect(try await Pages.open(client, &c.alex, "/portal").html.contains(#"href="\#(page)""#))
            let joHome = try await Pages.open(client, &c.jo, "/portal")
            #expect(!joHome.html.contains(page) && joHome.html.contains("CSI-16 questionnaire"))
            #expect(try await Pages.open(client, &c.jo, page).status == .notFound)
            let joForged = try await Pages.send(client, &c.jo, page, Self.items(["4", "3", "3", "3"]))
            #expect(joForged.status == .notFound)

            // The form: item by item with each item's range, the counselor's form's data.
            let form = try await Pages.open(client, &c.alex, page)
            #expect(form.status == .ok && form.html.contains("Item 1 (answer 0 to 6)"))
            #expect(form.html.contains("Item 4 (answer 0 to 5)") && !form.html.contains("item5"))
            WebPageTests.expectNothingInline(form.html)
            // Without the token, or with answers out of range or not numbers, nothing is sent.
            let valid = Self.items(["4", "3", "3", "3"])
            #expect(try await Pages.send(client, &c.alex, page, valid, csrf: false).status == .forbidden)
            let high = try await Pages.send(client, &c.alex, page, Self.items(["7", "3", "3", "3"]))
            #expect(high.status == .unprocessableContent && high.html.contains("item 1 is scored 0–6"))
            #expect(
                high.html.contains(
                    #"name="item1" type="number" inputmode="numeric" min="0" max="6" step="1" required value="7""#
                )
            )
            let word = try await Pages.send(client, &c.alex, page, Self.items(["4", "three", "3", "3"]))
            #expect(word.status == .unprocessableContent && word.html.contains("answer item 2"))
            let stored = "SELECT count(*) FROM measure_administrations WHERE schedule_id IS NOT NULL"
            #expect(try await fixture.owner.query(PostgresQuery(sql: stored))[0].decode(0, as: Int.self) == 0)

            // Sent once: scored on the server, final; a second send is refused in the partner's words.
            let sent = try await Pages.send(client, &c.alex, page, valid)
            #expect(sent.location == "/portal/measures?done=submitted")
            let after = try await Pages.open(client, &c.alex, "/portal/measures?done=submitted")
            #expect(after.html.contains("your answers are sent to your counselor") && after.html.contains("13 of 21"))
            let again = try await Pages.send(client, &c.alex, page, Self.items(["6", "5", "5", "5"]))
            #expect(again.status == .conflict && again.html.contains("already sent this questionnaire"))
            #expect(try await fixture.owner.query(PostgresQuery(sql: stored))[0].decode(0, as: Int.self) == 1)
            #expect(!(try await Pages.open(client, &c.jo, "/portal/measures").html.contains("13 of 21")))

            // The counselor's chart shows it as from the portal, with the schedules.
            let shown = try await Pages.open(client, &c.dana, c.chartPath)
            #expect(shown.html.contains("CSI-4 (from the portal)") && shown.html.contains("13 of 21"))
            #expect(shown.html.contains("CSI-16 for each partner, once"))
            // One page view, one transaction: the chart's read and what its portal part showed are audited
            // together (`couple.read` and `measure.trend` about the couple, with the partners).
            let views = try await fixture.owner.query(
                """
                SELECT action, xmin::text, client_ids FROM audit_log
                WHERE entity_id = \(fixture.danaCouple) AND action IN ('couple.read', 'measure.trend')
                ORDER BY seq DESC LIMIT 2
                """
            ).map { try $0.decode((String, String, [UUID]).self) }
            #expect(Set(views.map(\.0)) == ["couple.read", "measure.trend"])
            #expect(views.count == 2 && views[0].1 == views[1].1, "one page view, one transaction")
            #expect(views.allSatisfy { Set($0.2) == [a, b] })
            let audited = try await fixture.owner.query(
                """
                SELECT count(*) FROM audit_log WHERE action = 'portal.measure.submit' AND outcome = 'success'
                  AND partner_client_id = \(a) AND staff_id IS NULL
                """
            )[0].decode(0, as: Int.self)
            #expect(audited == 1)
            // Stopping: nothing more is due.
            let csi16 = try #require(ids.first { $0 != csi4 })
            let end = schedules + "/\(csi16.uuidString.lowercased())/end"
            #expect(try await Pages.send(client, &c.dana, end, []).location == c.chartPath + "#measures")
            #expect(!(try await Pages.open(client, &c.jo, "/portal").html.contains("CSI-16 questionnaire")))
        }
    }

    @Test func aRefusedScheduleKeepsWhatWasTypedAndAScheduleEndsOnlyUnderItsOwnCouple() async throws {
        try await HTTPFixture.with { fixture, client in
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let chartPath = HavenAPI.chartPath(.couple(fixture.danaCouple))
            let schedules = chartPath + "/measures/schedules"
            _ = try await Pages.open(client, &dana, chartPath)
            let samPartner = try await fixture.owner.query(
                "SELECT partner_a_id FROM couples WHERE id = \(fixture.samCouple)"
            )[0].decode(0, as: UUID.self)

            // A partner not of the couple: the chart again (422), the choices as typed, the refusal beside
            // the field.
            let stranger = try await Pages.send(
                client,
                &dana,
                schedules,
                [("form", "CSI-16"), ("partner", HavenAPI.text(samPartner)), ("cadence", "once"), ("showTrend", "on")]
            )
            #expect(stranger.status == .unprocessableContent)
            #expect(stranger.html.contains("Not scheduled: choose one of the couple&#39;s partners"))
            #expect(stranger.html.contains(#"<select id="schedule-partner" name="partner" aria-invalid="true""#))
            #expect(stranger.html.contains(#"<option value="CSI-16" selected>"#))
            #expect(stranger.html.contains(#"<option value="once" selected>"#))
            #expect(stranger.html.contains(#"id="schedule-trend" name="showTrend" value="on" checked"#))
            #expect(!stranger.html.contains(#"<option value="both" selected>"#))
            WebPageTests.expectNothingInline(stranger.html)
            // A questionnaire that is none: the refusal beside the questionnaire.
            let unknown = try await Pages.send(
                client,
                &dana,
                schedules,
                [("form", "CSI-99"), ("partner", "both"), ("cadence", "every_session")]
            )
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.html.contains(#"<select id="schedule-form" name="form" aria-invalid="true""#))
            #expect(unknown.html.contains("Not scheduled: choose one of the questionnaires"))
            #expect(unknown.html.contains(#"<option value="both" selected>"#))
            let stored = "SELECT count(*) FROM measure_schedules"
            #expect(try await fixture.owner.query(PostgresQuery(sql: stored))[0].decode(0, as: Int.self) == 0)

            // Sam's schedule, named under Dana's couple by Sam (a forged path): the path's couple counts, so
            // nothing ends (404), and the refusal is audited about the couple named.
            let samSchedule = try await MeasureService(pool: fixture.app).schedule(
                .csi4,
                couple: fixture.samCouple,
                partner: nil,
                cadence: .once,
                showTrend: false,
                actor: fixture.sam
            )
            var sam = try await WebPageTests.signIn(client, "sam@harbor.example")
            _ = try await Pages.open(client, &sam, "/caseload")
            let forged = try await Pages.send(client, &sam, schedules + "/\(HavenAPI.text(samSchedule))/end", [])
            #expect(forged.status == .notFound)
            let live = "SELECT count(*) FROM measure_schedules WHERE ended_at IS NULL"
            #expect(try await fixture.owner.query(PostgresQuery(sql: live))[0].decode(0, as: Int.self) == 1)
            let denied = try await fixture.owner.query(
                """
                SELECT count(*) FROM audit_log WHERE action = 'measure.schedule.end' AND outcome = 'denied'
                  AND entity_id = \(fixture.danaCouple) AND staff_id = \(fixture.sam.staffID)
                """
            )[0].decode(0, as: Int.self)
            #expect(denied == 1)
            // Under its own couple it ends.
            let samPath = HavenAPI.chartPath(.couple(fixture.samCouple))
            let ended = try await Pages.send(
                client,
                &sam,
                samPath + "/measures/schedules/\(HavenAPI.text(samSchedule))/end",
                []
            )
            #expect(ended.location == samPath + "#measures")
            #expect(try await fixture.owner.query(PostgresQuery(sql: live))[0].decode(0, as: Int.self) == 0)
        }
    }
}
