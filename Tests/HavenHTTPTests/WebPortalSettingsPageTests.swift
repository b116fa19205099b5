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
    /// The fields that tick `kinds`' boxes on a page of reminder switches (`send-<kind>=yes`).
    static func ticked(_ kinds: [String]) -> [(String, String)] {
        kinds.map { ("send-\($0)", "yes") }
    }

    /// Opens a page of reminder switches as `browser` (its heading, `kind`'s box ticked, nothing inline)
    /// and checks that `fields` posted to it without the form token are refused.
    static func openSwitches(
        _ client: any TestClientProtocol,
        _ browser: inout WebPageTests.Browser,
        _ path: String,
        heading: String,
        ticked kind: String,
        forging fields: [(String, String)],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let page = try await WebPortalPageTests.open(client, &browser, path)
        #expect(page.status == .ok && page.html.contains(heading), sourceLocation: sourceLocation)
        #expect(page.html.contains(#"name="send-\#(kind)" value="yes" checked"#), sourceLocation: sourceLocation)
        WebPageTests.expectNothingInline(page.html, sourceLocation: sourceLocation)
        let forged = try await WebPortalPageTests.send(client, &browser, path, fields, csrf: false)
        #expect(forged.status == .forbidden, sourceLocation: sourceLocation)
    }

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
            // Every kind ticked but the appointment reminder; without the form token nothing changes.
            let fields = Self.ticked(["homework-new", "homework-due", "homework-overdue", "measure-due"])
            try await Self.openSwitches(
                client,
                &partner,
                "/portal/settings",
                heading: "Email me about",
                ticked: "appointment-reminder",
                forging: fields
            )
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
