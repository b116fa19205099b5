import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HavenHTTP

/// The chart's "Care status": the status shown, a confirmation page that says what the change does,
/// a CSRF-checked POST that makes it and returns to the chart, and the partners signed out of the
/// portal by it.
@Suite("Care status on the chart page: confirm, set, and the portal closes", .needsTestDatabase)
struct WebCareStatusPageTests {
    typealias Pages = WebPortalPageTests

    /// `browser`, which accepted an invitation as `email`, signed in to the portal and on its home page.
    static func signedIn(
        _ client: any TestClientProtocol,
        _ browser: inout WebPageTests.Browser,
        _ email: String
    ) async throws {
        _ = try await Pages.open(client, &browser, "/portal/sign-in")
        let signedIn = try await Pages.send(
            client,
            &browser,
            "/portal/sign-in",
            [("email", email), ("passphrase", Pages.passphrase)]
        )
        #expect(signedIn.location == "/portal")
        #expect(try await Pages.open(client, &browser, "/portal").status == .ok)
    }

    static func stored(_ fixture: HTTPFixture, _ couple: UUID) async throws -> String {
        try await fixture.owner.query("SELECT status FROM couples WHERE id = \(couple)")[0].decode(0, as: String.self)
    }

    @Test func aCounselorDischargesTheCoupleFromTheChartAndBothPartnersAreSignedOut() async throws {
        try await HTTPFixture.with { fixture, client in
            var (dana, alex, _, path) = try await Pages.partnerAccepted(fixture, client)
            let b = try await fixture.owner.query("SELECT partner_b_id FROM couples WHERE id = \(fixture.danaCouple)")[
                0
            ]
            .decode(0, as: UUID.self)
            var jo = try await Pages.accepted(client, &dana, path, b, email: "jo@example.org")
            try await Self.signedIn(client, &alex, "alex@example.org")
            try await Self.signedIn(client, &jo, "jo@example.org")

            // The chart shows the status and one button per other status.
            let chart = try await Pages.open(client, &dana, path)
            #expect(chart.html.contains(#"<strong id="care-status-now">active</strong>"#))
            #expect(chart.html.contains(#"<form method="get" action="\#(path)/status" class="care-status-choices">"#))
            #expect(chart.html.contains(#"name="set" value="paused""#))
            #expect(chart.html.contains(#"name="set" value="discharged""#))
            #expect(!chart.html.contains(#"name="set" value="active""#))

            // The confirmation page says what a discharge does, and changes nothing itself.
            let confirm = try await Pages.open(client, &dana, "\(path)/status?set=discharged")
            #expect(confirm.status == .ok)
            #expect(confirm.html.contains("<h2>Discharge: what happens</h2>"))
            #expect(confirm.html.contains("Both partners are signed out of the portal at once"))
            #expect(confirm.html.contains("Reminders (appointments, homework, questionnaires) stop"))
            #expect(confirm.html.contains("Sessions already booked stay on the calendar"))
            #expect(confirm.html.contains(#"<form method="post" action="\#(path)/status" class="care-status-set">"#))
            #expect(confirm.html.contains(#"<input type="hidden" name="status" value="discharged">"#))
            WebPageTests.expectNothingInline(confirm.html)
            #expect(try await Self.stored(fixture, fixture.danaCouple) == "active")
            let unknown = try await Pages.open(client, &dana, "\(path)/status?set=archived")
            #expect(unknown.status == .unprocessableContent && !unknown.html.contains("archived"))
            let already = try await Pages.open(client, &dana, "\(path)/status?set=active")
            #expect(
                already.html.contains("already active") && !already.html.contains(#"method="post" action="\#(path)"#)
            )

            // Without the form token: refused before the page runs; nothing changes, the partners stay.
            let forged = try await Pages.send(client, &dana, "\(path)/status", [("status", "discharged")], csrf: false)
            #expect(forged.status == .forbidden)
            #expect(try await Self.stored(fixture, fixture.danaCouple) == "active")
            #expect(try await Pages.open(client, &alex, "/portal").status == .ok)
            // Sam's couple: not found, unchanged. A value that is none: refused naming the field.
            let samPath = "/couples/\(fixture.samCouple.uuidString.lowercased())"
            let outside = try await Pages.send(client, &dana, "\(samPath)/status", [("status", "discharged")])
            #expect(outside.status == .notFound)
            #expect(try await Self.stored(fixture, fixture.samCouple) == "active")
            let bad = try await Pages.send(client, &dana, "\(path)/status", [("status", "archived")])
            #expect(bad.status == .unprocessableContent && bad.html.contains("status: is not one of"))

            // The form: back to the chart, which shows the new status.
            let done = try await Pages.send(client, &dana, "\(path)/status", [("status", "discharged")])
            #expect(done.status == .seeOther && done.location == "\(path)#care-status")
            #expect(try await Self.stored(fixture, fixture.danaCouple) == "discharged")
            let after = try await Pages.open(client, &dana, path)
            #expect(after.html.contains(#"<strong id="care-status-now">discharged</strong>"#))
            #expect(after.html.contains("The portal is closed for this chart"))
            #expect(after.html.contains(#"name="set" value="active""#))

            // Both partners' next portal request is signed out.
            for (name, browser) in [("alex", alex), ("jo", jo)] {
                var partner = browser
                let home = try await Pages.open(client, &partner, "/portal")
                #expect(home.status == .seeOther && home.location == "/portal/sign-in", "\(name)")
            }
            let audited = try await fixture.owner.query(
                """
                SELECT count(*) FROM audit_log
                WHERE action = 'couple.status.set' AND entity_id = \(fixture.danaCouple) AND outcome = 'success'
                """
            )[0].decode(0, as: Int.self)
            #expect(audited == 1)
        }
    }

    @Test func aRefusedReactivationShowsTheConfirmationAgainWithWhy() async throws {
        try await HTTPFixture.with { fixture, client in
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let path = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
            _ = try await Pages.open(client, &dana, path)
            #expect(try await Pages.send(client, &dana, "\(path)/status", [("status", "paused")]).status == .seeOther)
            let a = try await fixture.owner.query("SELECT partner_a_id FROM couples WHERE id = \(fixture.danaCouple)")[
                0
            ]
            .decode(0, as: UUID.self)
            let charts = ChartService(pool: fixture.app, keys: fixture.keys)
            let c = try await charts.createClient(
                .init(legalName: "Fictional C", intakeDate: .init(year: 2026, month: 9, day: 1)!),
                actor: fixture.dana
            )
            _ = try await charts.createCouple(
                partnerA: a,
                partnerB: c,
                startDate: .init(year: 2026, month: 10, day: 1)!,
                presentingConcerns: nil,
                actor: fixture.dana
            )
            let confirm = try await Pages.open(client, &dana, "\(path)/status?set=active")
            #expect(confirm.html.contains("refused while either partner is in another active couple"))
            let refused = try await Pages.send(client, &dana, "\(path)/status", [("status", "active")])
            #expect(refused.status == .conflict)
            #expect(refused.html.contains("Not changed: a partner is already in another active couple"))
            #expect(try await Self.stored(fixture, fixture.danaCouple) == "paused")

            // A client's chart has the same section and form.
            let clientPath = "/clients/\(a.uuidString.lowercased())"
            let clientChart = try await Pages.open(client, &dana, clientPath)
            #expect(clientChart.html.contains(#"<form method="get" action="\#(clientPath)/status""#))
            let clientConfirm = try await Pages.open(client, &dana, "\(clientPath)/status?set=paused")
            #expect(clientConfirm.html.contains("The client is signed out of the portal at once"))
            let set = try await Pages.send(client, &dana, "\(clientPath)/status", [("status", "paused")])
            #expect(set.status == .seeOther && set.location == "\(clientPath)#care-status")
            let stored = try await fixture.owner.query("SELECT status FROM clients WHERE id = \(a)")[0]
            #expect(try stored.decode(0, as: String.self) == "paused")
        }
    }
}
