import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// The practice chooses how many hours before an appointment its reminder goes out (migration 0058):
/// an admin sets it, audited; the reminders still waiting move to the new time; sessions booked later
/// use it.
extension NotificationCauseTests {
    @Test func anAdminSetsTheAppointmentLeadAndWaitingRemindersMoveToIt() async throws {
        try await clinic { c in
            let practice = PracticeService(pool: c.setup.fixture.app)
            let admin = StaffAdminService(pool: c.setup.fixture.app)
            #expect(try await practice.appointmentReminderHours(actor: c.setup.admin) == 24)
            // Thirty hours ahead with the default 24: due in six hours, nothing to send now.
            _ = try await bookSoon(c, hours: 30)
            #expect(try await c.sender.run().sent == 0)
            // A counselor may not change it, nor may an admin leave the range; nothing changes.
            let forbidden = await #expect(throws: ServiceError.self) {
                try await admin.setAppointmentReminderHours(48, actor: c.setup.counselorA)
            }
            #expect(forbidden?.kind == .forbidden)
            for hours in [0, 169, -24] {
                let refused = await #expect(throws: ServiceError.self) {
                    try await admin.setAppointmentReminderHours(hours, actor: c.setup.admin)
                }
                #expect(refused?.field == "appointmentReminderHours", "\(hours)")
                #expect(refused?.message == PracticeService.appointmentReminderHoursRule)
            }
            #expect(try await practice.appointmentReminderHours(actor: c.setup.admin) == 24)
            #expect(try await c.sender.run().sent == 0)
            // Forty-eight hours: the waiting reminder's time has passed, so it goes at the next round.
            try await admin.setAppointmentReminderHours(48, actor: c.setup.admin)
            #expect(try await practice.appointmentReminderHours(actor: c.setup.admin) == 48)
            #expect(try await c.sender.run().sent == 1)
            // A session booked 40 hours ahead now is reminded at once too.
            _ = try await bookSoon(c, hours: 40)
            #expect(try await c.sender.run().sent == 1)
            let outcomes = try await c.setup.fixture.owner.query(
                "SELECT outcome, count(*) FROM audit_log WHERE action = 'practice.reminder_hours.set' GROUP BY outcome ORDER BY outcome"
            ).map { try $0.decode((String, Int).self) }
            #expect(outcomes.map(\.0) == ["denied", "success"] && outcomes.map(\.1) == [4, 1])
            // The app role's password with a counselor's session: refused in the database, audited.
            let answer = try await c.setup.fixture.app.transaction(as: c.setup.counselorA) { connection in
                try await connection.query("SELECT haven_admin_practice_set_reminder_hours(1)")[0]
                    .decode(0, as: String.self)
            }
            #expect(answer == "forbidden")
            #expect(try await practice.appointmentReminderHours(actor: c.setup.admin) == 48)
        }
    }
}
