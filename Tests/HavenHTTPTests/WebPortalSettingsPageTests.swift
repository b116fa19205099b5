import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HavenHTTP

/// The partner's "Email me about" page (`/portal/settings`): a forged POST changes nothing, a saved
/// form turns off exactly the unticked kinds (audited), and a kind the practice turned off stays off.
@Suite("/portal/settings: a partner's email settings", .needsTestDatabase)
struct WebPortalSettingsPageTests {
    @Test func aPartnerTurnsRemindersOffAndOnWithAFormOnly() async throws {
        try await HTTPFixture.with { fixture, client in
            let accepted = try await WebPortalPageTests.partnerAccepted(fixture, client)
            let dana = accepted.dana
            var partner = accepted.partner
            let passphrase = WebPortalPageTests.passphrase
            _ = try await WebPortalPageTests.open(client, &partner, "/portal/sign-in")
            _ = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/sign-in",
                [("email", "alex@example.org"), ("passphrase", passphrase)]
            )
            let page = try await WebPortalPageTests.open(client, &partner, "/portal/settings")
            #expect(page.status == .ok && page.html.contains("Email me about"))
            #expect(page.html.contains(#"name="send-appointment-reminder" value="yes" checked"#))
            WebPageTests.expectNothingInline(page.html)
            // Every kind ticked but the appointment reminder; without the form token nothing changes.
            let fields = ["homework-new", "homework-due", "homework-overdue", "measure-due"].map {
                ("send-\($0)", "yes")
            }
            let forged = try await WebPortalPageTests.send(client, &partner, "/portal/settings", fields, csrf: false)
            #expect(forged.status == .forbidden)
            #expect(
                try await fixture.owner.query("SELECT count(*) FROM notification_opt_outs")[0].decode(0, as: Int.self)
                    == 0
            )
            let saved = try await WebPortalPageTests.send(client, &partner, "/portal/settings", fields)
            #expect(saved.status == .seeOther && saved.location == "/portal/settings?reason=saved")
            let kinds = try await fixture.owner.query("SELECT kind FROM notification_opt_outs").map {
                try $0.decode(0, as: String.self)
            }
            #expect(kinds == ["appointment-reminder"])
            let after = try await WebPortalPageTests.open(client, &partner, "/portal/settings?reason=saved")
            #expect(after.html.contains("Your email settings are saved."))
            #expect(after.html.contains(#"name="send-appointment-reminder" value="yes">"#))
            // Ticked again: on again; each change audited once with the partner as actor.
            _ = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/settings",
                fields + [("send-appointment-reminder", "yes")]
            )
            #expect(
                try await fixture.owner.query("SELECT count(*) FROM notification_opt_outs")[0].decode(0, as: Int.self)
                    == 0
            )
            let audit = try await fixture.owner.query(
                "SELECT action FROM audit_log WHERE action LIKE 'portal.notification.%' ORDER BY seq"
            ).map { try $0.decode(0, as: String.self) }
            #expect(audit == ["portal.notification.off", "portal.notification.on"])
            // A staff cookie does not open the page.
            #expect(try await WebPageTests.get(client, dana, "/portal/settings").location == "/portal/sign-in")
        }
    }
}
