import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// The front desk (`scheduler`, migration 0037) from the attacker's side first: a scheduler's live
/// session with raw SQL through the application role reaches the calendar and nothing clinical; then
/// through the services: it books, lists with names and cancels, every other use case is refused, and
/// a counselor's reach is what it was.
@Suite("The scheduler role reaches the calendar only", .needsTestDatabase)
struct SchedulerRoleTests {
    /// The clinic with a front-desk account (Fictional Pat Desk) and counselor A's couple with a
    /// completed session, a signed note and presenting concerns.
    private func clinic<Value>(
        _ body: (ClinicSetup, _ scheduler: StaffActor, _ couple: UUID, _ session: UUID) async throws -> Value
    ) async throws -> Value {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let (note, version) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            _ = try await setup.notes.sign(note, expectedVersion: version, actor: setup.counselorA)
            let scheduler = try await setup.frontDesk()
            #expect(scheduler.roles == [.scheduler])
            return try await body(setup, scheduler, couple, session)
        }
    }

    /// Runs `statement` in a transaction opened from `actor`'s live session, as psql on the app role would.
    private func asSession(
        _ actor: StaffActor,
        _ setup: ClinicSetup,
        _ statement: PostgresQuery
    ) async throws -> PostgresRows {
        try await setup.fixture.asAppRole(actor) { connection in try await connection.query(statement) }
    }

    static let clinicalTables = [
        "progress_notes", "note_addenda", "note_cosignatures", "psychotherapy_notes", "homework_assignments",
        "homework_responses", "measure_administrations", "attachment_injuries", "treatment_goals", "cycle_maps",
        "are_ratings", "report_summaries", "report_runs", "clients", "couples", "break_glass_grants",
    ]

    @Test func rawSQLReachesTheCalendarAndNothingClinical() async throws {
        try await clinic { setup, scheduler, couple, session in
            for table in Self.clinicalTables {
                let rows = try await asSession(scheduler, setup, PostgresQuery(sql: "SELECT count(*) FROM \(table)"))
                #expect(try rows[0].decode(0, as: Int.self) == 0, "\(table) shows rows to the scheduler")
            }
            // The calendar: the session, and its chart's names and counselor, nothing more.
            let sessions = try await asSession(scheduler, setup, "SELECT count(*) FROM therapy_sessions")
            #expect(try sessions[0].decode(0, as: Int.self) == 1)
            let chart = try await asSession(scheduler, setup, "SELECT * FROM haven_calendar_chart('couple', \(couple))")
            #expect(chart.count == 1)
            let names = try chart[0].decode(1, as: [String].self)
            #expect(names == ["Alex", "Jo"])
            // The chart's clinical columns stay closed, whatever the query.
            let concerns = try await asSession(
                scheduler,
                setup,
                "SELECT count(*) FROM couples WHERE presenting_concerns IS NOT NULL OR id = \(couple)"
            )
            #expect(try concerns[0].decode(0, as: Int.self) == 0)
            // Only a scheduled session's status changes through the calendar, and only to cancelled.
            for statement: PostgresQuery in [
                "UPDATE therapy_sessions SET status = 'cancelled' WHERE id = \(session)",  // completed already
                "UPDATE therapy_sessions SET scheduled_start = now() WHERE id = \(session)",
            ] {
                let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                    _ = try await asSession(scheduler, setup, statement)
                }
                #expect(refused?.code == .insufficientPrivilege, "\(statement.sql)")
            }
        }
    }

    @Test func aCounselorsReachIsUnchangedAndTheCalendarIsNotTheirs() async throws {
        try await clinic { setup, _, couple, _ in
            let chart = try await asSession(
                setup.counselorB,
                setup,
                "SELECT * FROM haven_calendar_chart('couple', \(couple))"
            )
            #expect(chart.isEmpty)
            let sessions = try await asSession(setup.counselorB, setup, "SELECT count(*) FROM therapy_sessions")
            #expect(try sessions[0].decode(0, as: Int.self) == 0)
            #expect(try await setup.sessions.list(actor: setup.counselorB).isEmpty)
            #expect(try await setup.sessions.list(actor: setup.admin).isEmpty)
            let own = try await setup.sessions.list(actor: setup.counselorA)
            #expect(own.count == 1 && own[0].names == ["Alex", "Jo"])
        }
    }

    @Test func aSchedulerBooksListsWithNamesAndCancels() async throws {
        try await clinic { setup, scheduler, couple, existing in
            let listed = try await setup.sessions.list(actor: scheduler)
            #expect(listed.map(\.id) == [existing])
            #expect(listed[0].names == ["Alex", "Jo"] && listed[0].counselorID == setup.fixture.counselorID)
            #expect(listed[0].counselorName != nil && listed[0].noted == false)

            // Booked for the chart's counselor by default; the counselor's overlap rule holds.
            let taken = listed[0].start
            let overlap = await #expect(throws: ServiceError.self) {
                try await setup.sessions.book(
                    .couple(couple),
                    start: taken,
                    durationMinutes: 50,
                    format: .video,
                    actor: scheduler
                )
            }
            #expect(overlap?.kind == .conflict && overlap?.field == "start")
            #expect(overlap?.message.contains("the counselor already has") == true)
            let wrong = await #expect(throws: ServiceError.self) {
                try await setup.sessions.book(
                    .couple(couple),
                    start: taken.addingTimeInterval(86_400),
                    durationMinutes: 50,
                    format: .video,
                    counselorID: setup.counselorBID,
                    actor: scheduler
                )
            }
            #expect(wrong?.field == "counselorId")

            let start = Date().addingTimeInterval(7 * 86_400)
            let booking = try await setup.sessions.book(
                .couple(couple),
                start: start,
                durationMinutes: 50,
                format: .video,
                actor: scheduler
            )
            let counselors = try await setup.sessions.list(actor: setup.counselorA)
            #expect(counselors.contains { $0.id == booking.id && $0.counselorID == setup.fixture.counselorID })

            // Attendance is the counselor's to record; cancelling is the front desk's.
            let completed = await #expect(throws: ServiceError.self) {
                try await setup.sessions.setStatus(.noShow, session: booking.id, actor: scheduler)
            }
            #expect(completed == ServiceError.calendarOnly)
            try await setup.sessions.setStatus(.lateCancelled, session: booking.id, actor: scheduler)
            let shown = try await setup.sessions.show(session: booking.id, actor: scheduler)
            #expect(shown.status == "late_cancelled" && shown.names == ["Alex", "Jo"])

            let audit = try await setup.fixture.owner.withConnection { connection in
                try await connection.query(
                    """
                    SELECT count(*) FROM audit_log
                    WHERE entity_id = \(booking.id) AND action IN ('session.schedule', 'session.late_cancelled')
                      AND outcome = 'success' AND client_ids @> (SELECT ARRAY[partner_a_id, partner_b_id] FROM couples
                                                                  WHERE id = \(couple))
                    """
                )[0].decode(0, as: Int.self)
            }
            #expect(audit == 2)
        }
    }

    @Test func everyClinicalUseCaseIsRefusedAndAudited() async throws {
        try await clinic { setup, scheduler, couple, session in
            let attempts: [(String, () async throws -> Void)] = [
                ("charts", { _ = try await setup.charts.listCouples(actor: scheduler) }),
                ("notes", { _ = try await setup.notes.list(chart: .couple(couple), actor: scheduler) }),
                ("chart schedule", { _ = try await setup.sessions.list(chart: .couple(couple), actor: scheduler) }),
                ("completed", { try await setup.sessions.setStatus(.completed, session: session, actor: scheduler) }),
            ]
            for (name, attempt) in attempts {
                let error = await #expect(throws: ServiceError.self, "\(name)") { try await attempt() }
                #expect(error == ServiceError.calendarOnly, "\(name)")
            }
            let denials = try await setup.fixture.owner.withConnection { connection in
                try await connection.query(
                    """
                    SELECT count(*) FROM audit_log
                    WHERE action = 'staff.calendar_only' AND outcome = 'denied' AND staff_id = \(scheduler.staffID)
                    """
                )[0].decode(0, as: Int.self)
            }
            #expect(denials == attempts.count)
        }
    }

    @Test func aHighRiskCouplesConjointSessionIsTheCounselorsToBook() async throws {
        try await clinic { setup, scheduler, _, _ in
            let (session, couple, _, _) = try await setup.completedSession()
            _ = try await setup.notes.writeDraft(.highRisk, session: session, actor: setup.counselorA)
            for reason: String? in [nil, "Reviewed the safety plan with both partners by phone this week."] {
                let refused = await #expect(throws: ServiceError.self) {
                    try await setup.sessions.book(
                        .couple(couple),
                        start: Date().addingTimeInterval(9 * 86_400),
                        durationMinutes: 50,
                        format: .inPerson,
                        riskOverrideReason: reason,
                        actor: scheduler
                    )
                }
                #expect(refused?.kind == .forbidden && refused?.reason == "counselor-must-book")
                #expect(refused?.message.contains("the counselor must book it") == true)
            }
            let booked = try await setup.sessions.list(actor: scheduler)
            #expect(booked.count == 2)
        }
    }

    @Test func aCounselorWhoIsAlsoASchedulerRecordsOutcomesOnlyInTheirCaseload() async throws {
        try await clinic { setup, _, _, session in
            let both = try await setup.fixture.staff.createStaff(
                .init(
                    email: "both@harbor.example",
                    displayName: "Fictional Both",
                    roles: [.counselor, .scheduler],
                    password: StaffFixture.password
                ),
                practiceID: setup.fixture.practiceID,
                source: "test"
            )
            let actor = try await setup.fixture.staff.openSession(
                for: both,
                practiceID: setup.fixture.practiceID,
                source: "test"
            )
            #expect(try await setup.sessions.list(actor: actor).map(\.id) == [session])
            let marked = await #expect(throws: ServiceError.self) {
                try await setup.sessions.setStatus(.noShow, session: session, actor: actor)
            }
            #expect(marked?.kind == .notFound && marked?.field == "session")
            let corrected = await #expect(throws: ServiceError.self) {
                try await setup.sessions.correctStatus(
                    .noShow,
                    session: session,
                    reason: "Fictional: the couple did not come; recorded by mistake.",
                    actor: actor
                )
            }
            #expect(corrected?.kind == .notFound && corrected?.field == "session")
        }
    }
}
