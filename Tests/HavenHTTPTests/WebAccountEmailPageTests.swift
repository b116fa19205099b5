import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HavenHTTP

/// A staff member's own "Email me about" page (`/account/email`): the counselor's digest of new answers
/// turned off and on with the form only (audited, their own row only), and a forged POST changes nothing.
@Suite("/account/email: a staff member's own email settings", .needsTestDatabase)
struct WebAccountEmailPageTests {
    @Test func aCounselorTurnsTheDigestOffAndOnWithAFormOnly() async throws {
        try await HTTPFixture.with { fixture, client in
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            try await WebPortalSettingsPageTests.openSwitches(
                client,
                &dana,
                "/account/email",
                heading: "Email me about",
                ticked: "answer-digest",
                forging: []
            )
            func optOuts() async throws -> [UUID?] {
                try await fixture.owner.query("SELECT staff_id FROM notification_opt_outs").map {
                    try $0.decode(0, as: UUID?.self)
                }
            }
            #expect(try await optOuts().isEmpty)
            // The box unticked: off for Dana only.
            let saved = try await WebPortalPageTests.send(client, &dana, "/account/email", [])
            #expect(saved.status == .seeOther && saved.location == "/account/email?done=saved")
            #expect(try await optOuts() == [fixture.dana.staffID])
            let after = try await WebPortalPageTests.open(client, &dana, "/account/email?done=saved")
            #expect(after.html.contains("Your email settings are saved."))
            #expect(after.html.contains(#"name="send-answer-digest" value="yes">"#))
            // Every staff page links it beside the name.
            #expect(after.html.contains(#"<a href="/account/email">Email settings</a>"#))
            _ = try await WebPortalPageTests.send(
                client,
                &dana,
                "/account/email",
                WebPortalSettingsPageTests.ticked(["answer-digest"])
            )
            #expect(try await optOuts().isEmpty)
            let audit = try await fixture.owner.query(
                "SELECT action, entity_id FROM audit_log WHERE action LIKE 'staff.notification.%' ORDER BY seq"
            ).map { try $0.decode((String, UUID).self) }
            #expect(audit.map(\.0) == ["staff.notification.off", "staff.notification.on"])
            #expect(audit.allSatisfy { $0.1 == fixture.dana.staffID })
        }
    }
}
