import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migration 0059's reminder fixes: a paused chart's partners get no reminder, and a series step whose
/// release moves has its waiting reminders re-timed or superseded.
extension NotificationCauseTests {
    @Test func aPausedChartsPartnersAreNotRemindedUntilItIsActiveAgain() async throws {
        try await clinic { c in
            _ = try await c.homework.assign(
                prompt: c.prompt,
                couple: c.couple,
                session: c.session,
                dueOn: Self.today.adding(days: 7),
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
            // The chart is paused after the reminders were queued; Alex's access is not revoked.
            try await c.setup.fixture.owner.query("UPDATE couples SET status = 'paused' WHERE id = \(c.couple)")
            _ = try await c.setup.fixture.owner.query("UPDATE notification_outbox SET due_at = now()")
            let paused = try await c.sender.run()
            #expect(paused.sent == 0 && paused.skipped == 4)
            #expect(try await errors(c) == Array(repeating: "no portal access", count: 4))
            #expect(try NotificationSenderTests.received(for: c.email).isEmpty)
            // Active again: a new item's reminder goes out (a pause keeps the access rows).
            try await c.setup.fixture.owner.query("UPDATE couples SET status = 'active' WHERE id = \(c.couple)")
            _ = try await c.homework.assign(
                prompt: c.prompt,
                couple: c.couple,
                session: c.session,
                dueOn: Self.today.adding(days: 7),
                today: Self.today,
                actor: c.setup.counselorA
            )
            #expect(try await c.sender.run().sent == 1)
            #expect(try NotificationSenderTests.received(for: c.email).count == 1)
        }
    }

    @Test func aStepsMovedReleaseMovesItsWaitingReminders() async throws {
        try await clinic { c in
            let series = try await c.setup.fixture.owner.query(
                "SELECT id FROM homework_series WHERE title = 'Emotional-safety practice'"
            )[0].decode(0, as: UUID.self)
            let assigned = try await c.homework.assignSeries(
                series,
                couple: c.couple,
                session: c.session,
                today: Self.today,
                actor: c.setup.counselorA
            )
            let first = assigned.steps[0]
            func reminders() async throws -> [String: (state: String, late: Bool, error: String?)] {
                let rows = try await c.setup.fixture.owner.query(
                    """
                    SELECT o.kind, o.state, o.due_at >= a.release_at, o.last_error
                    FROM notification_outbox o JOIN homework_assignments a ON a.id = o.assignment_id
                    WHERE o.assignment_id = \(first)
                    """
                ).map { try $0.decode((String, String, Bool, String?).self) }
                return Dictionary(uniqueKeysWithValues: rows.map { ($0.0, (state: $0.1, late: $0.2, error: $0.3)) })
            }
            // Step 1 is out now: its "new item" is due now, its "due" and "overdue" later.
            #expect(try await reminders().keys.sorted() == ["homework-due", "homework-new", "homework-overdue"])
            // The counselor moves its release ten days on (raw SQL as haven_app): past its due date.
            try await c.setup.fixture.app.transaction(as: c.setup.counselorA) { connection in
                try await connection.execute(
                    "UPDATE homework_assignments SET release_at = now() + interval '10 days' WHERE id = \(first)"
                )
            }
            let moved = try await reminders()
            #expect(moved["homework-new"]?.state == "pending" && moved["homework-new"]?.late == true)
            for kind in ["homework-due", "homework-overdue"] {
                #expect(moved[kind]?.state == "skipped", "\(kind)")
                #expect(moved[kind]?.error?.hasPrefix("superseded") == true, "\(kind)")
            }
            // Nothing goes out now: the step is not out.
            let now = try await c.sender.run()
            #expect(now.sent == 0 && now.skipped == 0)
            #expect(try NotificationSenderTests.received(for: c.email).isEmpty)
            // Moved back to now, the "new item" is due at once again.
            try await c.setup.fixture.app.transaction(as: c.setup.counselorA) { connection in
                try await connection.execute(
                    "UPDATE homework_assignments SET release_at = now() WHERE id = \(first)"
                )
            }
            #expect(try await c.sender.run().sent == 1)
        }
    }
}
