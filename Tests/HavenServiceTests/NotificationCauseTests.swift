import Foundation
import HavenCore
import HavenMail
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Logging
import Postgres
import Testing

/// The causes of reminders (migration 0047): an assignment and a booked, moved or cancelled session
/// change the outbox in their own transaction, for partners with live access to the chart only; the
/// sender decides at send time whether the cause still holds.
@Suite("Reminders queued by their causes (migration 0047)", .needsTestDatabase, .needsTestSMTP)
struct NotificationCauseTests {
    struct Clinic {
        var setup: ClinicSetup
        var couple: UUID
        var alex: UUID
        var jo: UUID
        var email: String
        var session: UUID
        var prompt: UUID
        var homework: HomeworkService
        var sender: NotificationSender
    }

    /// Counselor A's couple with Alex on the portal (invited and accepted) and Jo not invited, a
    /// completed session to assign homework in, and a sender to the test SMTP server.
    func clinic(_ body: (Clinic) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, alex, jo) = try await setup.completedSession()
            let email = try await setup.onPortal(alex, couple: couple)
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let prompt = try await homework.library(actor: setup.counselorA)[0].id
            let sender = try setup.testSender()
            try await body(
                Clinic(
                    setup: setup,
                    couple: couple,
                    alex: alex,
                    jo: jo,
                    email: email,
                    session: session,
                    prompt: prompt,
                    homework: homework,
                    sender: sender
                )
            )
        }
    }

    struct Abandoned: Error {}

    static var today: CalendarDate { CalendarDate(daysSince1970: Int(Date().timeIntervalSince1970 / 86_400)) }

    /// The outbox's rows: kind, state, account's client, due and about times in Chicago (the
    /// fixture practice's zone), and the last error.
    struct Row: Equatable {
        var kind: String
        var state: String
        var client: UUID
        var due: String
        var about: String
        var error: String?
    }

    func rows(_ c: Clinic) async throws -> [Row] {
        try await c.setup.fixture.owner.query(
            """
            SELECT o.kind, o.state, a.client_id,
                   to_char(o.due_at AT TIME ZONE 'America/Chicago', 'YYYY-MM-DD HH24:MI'),
                   to_char(o.about_time AT TIME ZONE 'America/Chicago', 'YYYY-MM-DD HH24:MI'), o.last_error
            FROM notification_outbox o JOIN partner_accounts a ON a.id = o.account_id
            ORDER BY o.created_at, o.due_at, o.kind
            """
        ).map { row in
            let (kind, state, client, due, about, error) = try row.decode(
                (String, String, UUID, String, String, String?).self
            )
            return Row(kind: kind, state: state, client: client, due: due, about: about, error: error)
        }
    }

    /// Seconds between the pending appointment reminder's due time and the appointment.
    func leadTime(_ c: Clinic) async throws -> Int {
        try await c.setup.fixture.owner.query(
            "SELECT extract(epoch FROM about_time - due_at)::int FROM notification_outbox WHERE state = 'pending'"
        )[0].decode(0, as: Int.self)
    }

    @Test func anAssignmentQueuesNewDueAndOverdueForPartnersWithAccessOnly() async throws {
        try await clinic { c in
            let due = Self.today.adding(days: 7)
            _ = try await c.homework.assign(
                prompt: c.prompt,
                couple: c.couple,
                session: c.session,
                dueOn: due,
                today: Self.today,
                actor: c.setup.counselorA
            )
            let queued = try await rows(c)
            // Alex only: Jo has no portal account.
            #expect(queued.allSatisfy { $0.client == c.alex })
            #expect(queued.map(\.kind) == ["homework-new", "homework-due", "homework-overdue"])
            #expect(queued.allSatisfy { $0.state == "pending" && $0.about == "\(due) 00:00" })
            #expect(queued[1].due == "\(due.adding(days: -1)) 09:00")
            #expect(queued[2].due == "\(due.adding(days: 1)) 09:00")
            // Only "new" is due now; it says the date and nothing of the prompt.
            #expect(try await c.sender.run().sent == 1)
            let messages = try NotificationSenderTests.received(for: c.email)
            #expect(messages.count == 1)
            let text = try #require(messages.first)
            #expect(text.contains("Subject: You have a new item from Harbor Counseling"))
            let day = NotificationTemplate.shownDay(
                Date(timeIntervalSince1970: Double(due.daysSince1970) * 86_400 + 43_200),
                in: .gmt
            )
            #expect(text.contains("due on \(day)."))
            let title = try await c.homework.library(actor: c.setup.counselorA)[0].title
            for word in ["Alex", "Morgan", "Jordan", title] {
                #expect(!text.contains(word), "\(word)")
            }
        }
    }

    @Test func anAnsweredItemGetsNoDueOrOverdueMessage() async throws {
        try await clinic { c in
            let assignment = try await c.homework.assign(
                prompt: c.prompt,
                couple: c.couple,
                partner: c.alex,
                session: c.session,
                dueOn: Self.today.adding(days: 3),
                today: Self.today,
                actor: c.setup.counselorA
            ).id
            #expect(try await c.sender.run().sent == 1)
            try await c.homework.recordResponse(
                assignment: assignment,
                partner: c.alex,
                completion: .completed,
                actor: c.setup.counselorA
            )
            // The due and overdue times come; the sender finds the item answered.
            _ = try await c.setup.fixture.owner.query(
                "UPDATE notification_outbox SET due_at = now() WHERE state = 'pending'"
            )
            #expect(try await c.sender.run().skipped == 2)
            let ends = try await rows(c).filter { $0.kind != "homework-new" }
            #expect(ends.map(\.state) == ["skipped", "skipped"])
            #expect(ends.map(\.error) == ["answered", "answered"])
            #expect(try NotificationSenderTests.received(for: c.email).count == 1)
        }
    }

    @Test func aRolledBackAssignmentLeavesNoMessage() async throws {
        try await clinic { c in
            await #expect(throws: Abandoned.self) {
                try await c.setup.fixture.app.transaction(as: c.setup.counselorA) { connection in
                    try await connection.execute(
                        """
                        INSERT INTO homework_assignments (id, practice_id, prompt_id, couple_id, session_id, counselor_id,
                                                          assigned_on, due_on)
                        VALUES (gen_random_uuid(), \(c.setup.counselorA.practiceID), \(c.prompt), \(c.couple), \(c.session),
                                \(c.setup.counselorA.staffID), \(Self.today), \(Self.today.adding(days: 5)))
                        """
                    )
                    throw Abandoned()
                }
            }
            let left = try await rows(c)
            #expect(left.isEmpty)
        }
    }

    @Test func aRevokedPartnerGetsNothingQueuedAndNothingSent() async throws {
        try await clinic { c in
            _ = try await c.homework.assign(
                prompt: c.prompt,
                couple: c.couple,
                session: c.session,
                dueOn: Self.today.adding(days: 4),
                today: Self.today,
                actor: c.setup.counselorA
            )
            try await PortalService(pool: c.setup.fixture.app, hasher: StaffFixture.hasher)
                .revoke(c.alex, from: .couple(c.couple), actor: c.setup.counselorA)
            // Queued before the revoke: skipped at send time.
            #expect(try await c.sender.run().skipped == 1)
            // After it: nothing queued.
            _ = try await c.homework.assign(
                prompt: c.prompt,
                couple: c.couple,
                session: c.session,
                dueOn: Self.today.adding(days: 4),
                today: Self.today,
                actor: c.setup.counselorA
            )
            _ = try await c.setup.sessions.book(
                .couple(c.couple),
                start: Date().addingTimeInterval(3 * 86_400),
                durationMinutes: 50,
                format: .video,
                actor: c.setup.counselorA
            )
            #expect(try await rows(c).count == 3)
            #expect(try NotificationSenderTests.received(for: c.email).isEmpty)
        }
    }

    @Test func aBookedSessionIsRemindedMovedSupersedesCancelledSendsNothing() async throws {
        try await clinic { c in
            let hour = 3_600.0
            let start = (Date().timeIntervalSince1970 / hour).rounded(.up) * hour + 3 * 86_400
            let booked = try await c.setup.sessions.book(
                .couple(c.couple),
                start: Date(timeIntervalSince1970: start),
                durationMinutes: 50,
                format: .inPerson,
                actor: c.setup.counselorA
            ).id
            var queued = try await rows(c)
            #expect(queued.map(\.kind) == ["appointment-reminder"])
            #expect(queued.map(\.client) == [c.alex])
            #expect(try await leadTime(c) == 86_400)
            // Moved a day later: the old reminder is superseded, a new one waits.
            _ = try await c.setup.sessions.reschedule(
                session: booked,
                start: Date(timeIntervalSince1970: start + 86_400),
                durationMinutes: 50,
                actor: c.setup.counselorA
            )
            queued = try await rows(c)
            #expect(queued.map(\.state) == ["skipped", "pending"])
            #expect(queued[0].error?.hasPrefix("superseded") == true)
            // Cancelled: nothing left to send.
            try await c.setup.sessions.setStatus(.cancelled, session: booked, actor: c.setup.counselorA)
            #expect(try await rows(c).map(\.state) == ["skipped", "skipped"])
            // The practice's lead time: 2 hours; a session 90 minutes ahead is reminded now.
            _ = try await c.setup.fixture.owner.query(
                "UPDATE practices SET appointment_reminder_hours = 2 WHERE id = \(c.setup.fixture.practiceID)"
            )
            _ = try await c.setup.sessions.book(
                .couple(c.couple),
                start: Date(timeIntervalSince1970: start + 5 * 86_400),
                durationMinutes: 50,
                format: .inPerson,
                actor: c.setup.counselorA
            )
            #expect(try await leadTime(c) == 7_200)
            let soon = Date().addingTimeInterval(90 * 60)
            _ = try await c.setup.sessions.book(
                .couple(c.couple),
                start: soon,
                durationMinutes: 30,
                format: .video,
                allowOverlap: true,
                actor: c.setup.counselorA
            )
            #expect(try await c.sender.run().sent == 1)
            let text = try #require(try NotificationSenderTests.received(for: c.email).first)
            let shown = NotificationTemplate.shown(soon, in: TimeZone(identifier: "America/Chicago")!)
            #expect(text.contains("Your appointment is on \(shown)."))
        }
    }
}
