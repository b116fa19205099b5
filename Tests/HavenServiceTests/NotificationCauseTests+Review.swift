import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Review 10's findings 4 to 6 on the reminders (migration 0051): a session keeps its chart, safety
/// mode holds back joint homework reminders, and a session's reminders are capped.
extension NotificationCauseTests {
    /// A couple session `hours` ahead (inside the 24-hour lead time, so its reminder is due now).
    func bookSoon(_ c: Clinic, hours: Double, override: String? = nil) async throws -> UUID {
        try await c.setup.sessions.book(
            .couple(c.couple),
            start: Date().addingTimeInterval(hours * 3_600),
            durationMinutes: 30,
            format: .video,
            riskOverrideReason: override,
            allowOverlap: true,
            actor: c.setup.counselorA
        ).id
    }

    func errors(_ c: Clinic) async throws -> [String?] {
        try await rows(c).map(\.error)
    }

    // MARK: - Finding 4: a session's chart

    @Test func aSessionCannotMoveToAnotherChartAndAStaleChartIsNotReminded() async throws {
        try await clinic { c in
            let booked = try await bookSoon(c, hours: 30)
            let (other, otherA, _) = try await c.setup.couple(nil)
            // As haven_app, the counselor of both couples: refused, whichever column moves.
            for statement: PostgresQuery in [
                "UPDATE therapy_sessions SET couple_id = \(other) WHERE id = \(booked)",
                "UPDATE therapy_sessions SET couple_id = NULL, client_id = \(otherA) WHERE id = \(booked)",
            ] {
                let refused = await #expect(throws: PostgresError.self) {
                    try await c.setup.fixture.app.transaction(as: c.setup.counselorA) { connection in
                        try await connection.execute(statement)
                    }
                }
                #expect(refused?.sqlState == "23514", "\(statement.sql)")
            }
            #expect(try await rows(c).map(\.state) == ["pending"])
            // Were the chart changed anyway (the owner, trigger off), the sender finds the row stale.
            try await c.setup.fixture.owner.withConnection { connection in
                try await connection.transaction { connection in
                    try await connection.execute(
                        "ALTER TABLE therapy_sessions DISABLE TRIGGER therapy_sessions_keep_chart"
                    )
                    try await connection.execute(
                        "UPDATE therapy_sessions SET couple_id = \(other) WHERE id = \(booked)"
                    )
                    try await connection.execute(
                        "ALTER TABLE therapy_sessions ENABLE TRIGGER therapy_sessions_keep_chart"
                    )
                }
            }
            _ = try await c.setup.fixture.owner.query("UPDATE notification_outbox SET due_at = now()")
            #expect(try await c.sender.run().skipped == 1)
            #expect(try await errors(c) == ["superseded"])
            #expect(try NotificationSenderTests.received(for: c.email).isEmpty)
        }
    }

    // MARK: - Finding 5: safety mode

    @Test func safetyModeHoldsBackJointHomeworkButNotPersonalHomeworkOrAppointments() async throws {
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
            _ = try await c.homework.assign(
                prompt: c.prompt,
                couple: c.couple,
                partner: c.alex,
                session: c.session,
                dueOn: due,
                today: Self.today,
                actor: c.setup.counselorA
            )
            // Then a flag opens (a later completed session whose note records high risk): the rows queued
            // before it are decided at send time.
            let risky = try await c.setup.sessions.schedule(
                .couple(c.couple),
                start: Date(timeIntervalSince1970: 1_790_000_000 + 30 * 86_400),
                durationMinutes: 60,
                format: .inPerson,
                actor: c.setup.counselorA
            )
            try await c.setup.sessions.setStatus(.completed, session: risky, actor: c.setup.counselorA)
            _ = try await c.setup.notes.writeDraft(.highRisk, session: risky, actor: c.setup.counselorA)
            _ = try await bookSoon(c, hours: 5, override: "Both partners asked for it; the safety plan was reviewed.")
            let result = try await c.sender.run()
            #expect(result.sent == 2 && result.skipped == 1)
            let now = try await rows(c).filter { $0.state != "pending" }
            #expect(now.map(\.kind) == ["homework-new", "homework-new", "appointment-reminder"])
            #expect(now.map(\.error) == ["safety mode", nil, nil])
            #expect(try NotificationSenderTests.received(for: c.email).count == 2)
            // The joint item's later reminders are held back too; the personal one's still go.
            _ = try await c.setup.fixture.owner.query(
                "UPDATE notification_outbox SET due_at = now() WHERE state = 'pending'"
            )
            let later = try await c.sender.run()
            #expect(later.sent == 2 && later.skipped == 2)
        }
    }

    // MARK: - Finding 6: the appointment cap

    @Test func aSessionSendsOneAppointmentReminderPerAccountIn12Hours() async throws {
        try await clinic { c in
            let booked = try await bookSoon(c, hours: 6)
            #expect(try await c.sender.run().sent == 1)
            // Moved within the lead time, twice: each queues a reminder due now; both are capped.
            for hours in [7.0, 8.0] {
                _ = try await c.setup.sessions.reschedule(
                    session: booked,
                    start: Date().addingTimeInterval(hours * 3_600),
                    durationMinutes: 30,
                    actor: c.setup.counselorA
                )
                #expect(try await c.sender.run().skipped == 1)
            }
            #expect(try await errors(c) == [nil, "capped", "capped"])
            #expect(try NotificationSenderTests.received(for: c.email).count == 1)
            // Twelve hours after the one sent, a moved session is reminded again.
            _ = try await c.setup.fixture.owner.query(
                "UPDATE notification_outbox SET finished_at = finished_at - interval '12 hours' WHERE state = 'sent'"
            )
            _ = try await c.setup.sessions.reschedule(
                session: booked,
                start: Date().addingTimeInterval(9 * 3_600),
                durationMinutes: 30,
                actor: c.setup.counselorA
            )
            #expect(try await c.sender.run().sent == 1)
            #expect(try NotificationSenderTests.received(for: c.email).count == 2)
        }
    }
}
