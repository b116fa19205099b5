import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HavenHTTP

/// The practice's reminder switches (`/admin/reminders`): an admin turns a kind off for every partner
/// with a form (audited), a counselor gets a 403 page, a forged POST changes nothing.
@Suite("/admin/reminders: the practice's reminder switches", .needsTestDatabase)
struct WebAdminReminderPageTests {
    @Test func anAdminTurnsAKindOffForThePracticeWithAFormOnly() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await WebAdminPageTests.addStaff(fixture)
            var admin = try await WebPageTests.signIn(client, "office@harbor.example")
            let fields = WebPortalSettingsPageTests.ticked([
                "homework-due", "homework-overdue", "measure-due", "appointment-reminder", "answer-digest",
            ])
            try await WebPortalSettingsPageTests.openSwitches(
                client,
                &admin,
                "/admin/reminders",
                heading: "Send partners an email for",
                ticked: "homework-new",
                forging: fields
            )
            let saved = try await WebPortalPageTests.send(client, &admin, "/admin/reminders", fields)
            #expect(saved.status == .seeOther && saved.location == "/admin/reminders?done=saved")
            let rows = try await fixture.owner.query(
                "SELECT kind, account_id IS NULL FROM notification_opt_outs"
            ).map { try $0.decode((String, Bool).self) }
            #expect(rows.count == 1 && rows[0].0 == "homework-new" && rows[0].1)
            let after = try await WebPortalPageTests.open(client, &admin, "/admin/reminders?done=saved")
            #expect(after.html.contains(#"name="send-homework-new" value="yes">"#))
            // The counselors' digest has its own box, still on.
            #expect(after.html.contains("Send counselors an email for"))
            #expect(after.html.contains(#"name="send-answer-digest" value="yes" checked"#))
            // The practice's page speaks of the practice's people, not in a counselor's or partner's own words.
            #expect(after.html.contains("New homework answers from their clients"))
            #expect(after.html.contains("A new item from their counselor"))
            #expect(!after.html.contains("my clients") && !after.html.contains("my counselor"))
            let audit = try await fixture.owner.query(
                "SELECT outcome FROM audit_log WHERE action = 'practice.notification.off'"
            ).map { try $0.decode(0, as: String.self) }
            #expect(audit == ["success"])
            // A counselor is not an admin.
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let refused = try await WebPortalPageTests.open(client, &dana, "/admin/reminders")
            #expect(refused.status == .forbidden)
            let tried = try await WebPortalPageTests.send(client, &dana, "/admin/reminders", [])
            #expect(tried.status == .forbidden)
            #expect(
                try await fixture.owner.query("SELECT count(*) FROM notification_opt_outs")[0].decode(0, as: Int.self)
                    == 1
            )
        }
    }

    @Test func anAdminSetsTheAppointmentReminderHoursAndAWrongNumberComesBackAsTyped() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await WebAdminPageTests.addStaff(fixture)
            var admin = try await WebPageTests.signIn(client, "office@harbor.example")
            let page = try await WebPortalPageTests.open(client, &admin, "/admin/reminders")
            #expect(
                page.html.contains(#"name="appointment-hours" type="number" min="1" max="168" required value="24""#)
            )
            func hours() async throws -> Int {
                Int(
                    try await fixture.owner.query("SELECT appointment_reminder_hours FROM practices")[0].decode(
                        0,
                        as: Int32.self
                    )
                )
            }
            // Not a number, and out of range: 422, the form as typed, nothing changed.
            for typed in ["tomorrow", "0", "500"] {
                let refused = try await WebPortalPageTests.send(
                    client,
                    &admin,
                    "/admin/reminders",
                    [("appointment-hours", typed)]
                )
                #expect(refused.status == .unprocessableContent, "\(typed)")
                #expect(refused.html.contains(#"value="\#(typed)" aria-invalid="true""#), "\(typed)")
                #expect(refused.html.contains("must be a whole number of hours from 1 to 168"), "\(typed)")
            }
            #expect(try await hours() == 24)
            let saved = try await WebPortalPageTests.send(
                client,
                &admin,
                "/admin/reminders",
                [("appointment-hours", " 48 ")]
            )
            #expect(saved.status == .seeOther && saved.location == "/admin/reminders?done=saved")
            #expect(try await hours() == 48)
            let audit = try await fixture.owner.query(
                "SELECT outcome FROM audit_log WHERE action = 'practice.reminder_hours.set' ORDER BY occurred_at"
            ).map { try $0.decode(0, as: String.self) }
            #expect(audit == ["denied", "denied", "success"])
            // Forged (no form token) and from a counselor: refused, still 48.
            let forged = try await WebPortalPageTests.send(
                client,
                &admin,
                "/admin/reminders",
                [("appointment-hours", "2")],
                csrf: false
            )
            #expect(forged.status == .forbidden)
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let tried = try await WebPortalPageTests.send(
                client,
                &dana,
                "/admin/reminders",
                [("appointment-hours", "2")]
            )
            #expect(tried.status == .forbidden)
            #expect(try await hours() == 48)
        }
    }
}
