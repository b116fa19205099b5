import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// The emotional-safety practice as a series (migration 0056): assigned through `HomeworkService`, its
/// steps released one at a time, an unreleased step no row for a partner (tried as `haven_app` in the
/// partner's context), reminders due at the release, and the high-risk gate on every joint step. On
/// PartnerAttackTests' couple (Alex and Jo, signed in to the portal).
@Suite("Homework series: steps released one at a time, unreleased steps invisible to partners", .needsTestDatabase)
struct HomeworkSeriesTests {
    static var today: CalendarDate {
        CalendarDate(daysSince1970: Int(Date().timeIntervalSince1970 / 86_400))
    }

    static func practice(_ p: PartnerAttackTests.Portal) async throws -> HomeworkService.Series {
        let homework = HomeworkService(pool: p.app, keys: p.setup.keys)
        return try #require(
            try await homework.seriesLibrary(actor: p.setup.counselorA)
                .first { $0.title == "Emotional-safety practice" }
        )
    }

    @Test func theBuiltInPracticeHasItsSixStepsInOrderEachWithQuestions() async throws {
        try await PartnerAttackTests().portal { p in
            let series = try await Self.practice(p)
            #expect(
                series.steps.map(\.promptTitle) == [
                    "Weekly check-in", "It makes sense that you feel", "Ten minutes of just listening",
                    "The softer feeling", "Making a repair", "When I felt safe with you",
                ]
            )
            #expect(series.steps.map(\.position) == Array(1...6))
            #expect(series.steps.allSatisfy { (2...10).contains($0.questions.count) })
            #expect(series.steps.map(\.joint) == [true, true, true, true, true, false])
            // The default series is named by its stable id (0056's md5('haven-series-01')::uuid), not by
            // where the library lists it.
            #expect(series.id == HomeworkService.emotionalSafetySeriesID)
        }
    }

    @Test func aPartnerSeesOnlyReleasedStepsAndTheirRemindersWaitForTheRelease() async throws {
        try await PartnerAttackTests().portal { p in
            let homework = HomeworkService(pool: p.app, keys: p.setup.keys)
            let portal = PortalService(pool: p.app, keys: p.setup.keys)
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            let jo = PartnerActor(sessionHash: p.joSession, source: "test")
            let series = try await Self.practice(p)
            let assigned = try await homework.assignSeries(
                series.id,
                couple: p.couple,
                session: p.nextSession,
                today: Self.today,
                actor: p.setup.counselorA
            )
            #expect(assigned.steps.count == 6)
            let (first, second) = (assigned.steps[0], assigned.steps[1])
            // The attacker's side: raw SQL as haven_app with Alex's session.
            let seen = try await PartnerAttackTests.asPartner(p.alexSession, p.app) { connection in
                let steps = try await connection.query(
                    "SELECT id FROM haven_portal_assignments() WHERE series_assignment_id IS NOT NULL"
                ).map { try $0.decode(0, as: UUID.self) }
                let direct = try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM homework_series_assignments)
                           + (SELECT count(*) FROM homework_assignments)
                    """
                )[0].decode(0, as: Int.self)
                let counts = try await connection.query("SELECT steps, released FROM haven_portal_series()")
                    .map { try $0.decode((Int32, Int32).self) }
                let draft = try await connection.query(
                    "SELECT outcome FROM haven_portal_save_draft(\(second), \(UUID()), 0, '\\x00'::bytea, \(UUID()), false)"
                )[0].decode(0, as: String.self)
                return (steps, direct, counts.map { [$0.0, $0.1] }, draft)
            }
            #expect(seen.0 == [first])
            #expect(seen.1 == 0)
            #expect(seen.2 == [[6, 1]])
            #expect(seen.3 == "not-found")
            // The portal's home: one series, its first step with its questions, five to come.
            let home = try await portal.home(alex)
            let item = try #require(home.series.first)
            #expect(home.series.count == 1 && item.steps == 6 && item.released == 1 && item.upcoming == 5)
            let step = try #require(home.assignments.first { $0.id == first })
            #expect(step.seriesID == item.id && step.seriesPosition == 1 && step.questions.count == 3)
            #expect(!home.assignments.contains { $0.id == second })
            let early = try await portal.saveDraft(
                assignment: second,
                draft: nil,
                expectedVersion: 0,
                text: "too early",
                share: false,
                actor: alex
            )
            #expect(early.outcome == .notFound)
            // The counselor sees every step and its state.
            let chart = try await homework.assignments(couple: p.couple, today: Self.today, actor: p.setup.counselorA)
            let steps = chart.filter { $0.seriesStep != nil }
                .sorted { ($0.seriesStep?.position ?? 0) < ($1.seriesStep?.position ?? 0) }
            #expect(steps.map(\.status) == [.assigned] + Array(repeating: .upcoming, count: 5))
            #expect(steps.map { $0.seriesStep?.released == true } == [true] + Array(repeating: false, count: 5))
            #expect(steps[1].dueOn == Self.today.adding(days: 14) && steps[1].assignedOn == Self.today.adding(days: 7))
            // Not out yet: an unreleased step is not on the open list.
            let open = try await homework.openAssignments(today: Self.today, actor: p.setup.counselorA).map(\.id)
            #expect(open.contains(first) && !open.contains(second))
            // The "new item" reminder of a step is due at its release, never before.
            let reminders = try await p.owner.query(
                """
                SELECT o.assignment_id, o.kind, o.due_at >= a.release_at, o.due_at > now() + interval '6 days'
                FROM notification_outbox o JOIN homework_assignments a ON a.id = o.assignment_id
                WHERE a.series_assignment_id = \(assigned.id)
                """
            ).map { try $0.decode((UUID, String, Bool, Bool).self) }
            #expect(reminders.allSatisfy { $0.2 })
            #expect(reminders.filter { $0.0 == second && $0.1 == "homework-new" }.count == 2)
            #expect(reminders.filter { $0.0 == second }.allSatisfy { $0.3 })
            #expect(reminders.contains { $0.0 == first && $0.1 == "homework-new" && !$0.3 })
            // Released (as time would): Alex answers it privately; Jo sees neither it nor its count.
            try await p.owner.query(
                "UPDATE homework_assignments SET release_at = now() - interval '1 minute' WHERE id = \(second)"
            )
            let saved = try await portal.saveDraft(
                assignment: second,
                draft: nil,
                expectedVersion: 0,
                text: "I said it makes sense that you felt alone",
                share: false,
                actor: alex
            )
            #expect(saved.outcome == .saved)
            #expect(try await portal.submit(assignment: second, expectedVersion: 1, actor: alex) == .submitted)
            let after = try await portal.home(alex)
            #expect(after.series.first?.released == 2)
            #expect(after.assignments.first { $0.id == second }?.answered == true)
            #expect(after.assignments.first { $0.id == first }?.answered == false)
            let joSees = try await PartnerAttackTests.asPartner(p.joSession, p.app) { connection in
                try await connection.query(
                    "SELECT count(*) FROM haven_portal_answers() WHERE assignment_id = \(second)"
                )[0].decode(0, as: Int.self)
            }
            #expect(joSees == 0)
            #expect(try await portal.answers(jo).shared.isEmpty)
            #expect(try await portal.home(jo).assignments.first { $0.id == second }?.answered == false)
        }
    }

    @Test func jointStepsOfAFlaggedCoupleNeedTheOverrideAndPauseOnThePortal() async throws {
        try await PartnerAttackTests().portal { p in
            let homework = HomeworkService(pool: p.app, keys: p.setup.keys)
            let series = try await Self.practice(p)
            await #expect(throws: ServiceError.self) {
                _ = try await homework.assignSeries(
                    series.id,
                    couple: p.couple,
                    session: p.nextSession,
                    intervalDays: 0,
                    today: Self.today,
                    actor: p.setup.counselorA
                )
            }
            try await PartnerAttackTests.openHighRisk(p)
            do {
                _ = try await homework.assignSeries(
                    series.id,
                    couple: p.couple,
                    session: p.nextSession,
                    today: Self.today,
                    actor: p.setup.counselorA
                )
                Issue.record("a series with joint steps was assigned to a flagged couple without a reason")
            } catch let error as ServiceError {
                #expect(error.field == "riskOverrideReason")
            }
            #expect(
                try await p.owner.query("SELECT count(*) FROM homework_series_assignments")[0].decode(0, as: Int.self)
                    == 0
            )
            let assigned = try await homework.assignSeries(
                series.id,
                couple: p.couple,
                session: p.nextSession,
                intervalDays: 3,
                today: Self.today,
                riskOverrideReason: "Both partners asked for it; the risk plan covers check-ins by phone.",
                actor: p.setup.counselorA
            )
            let overridden = try await p.owner.query(
                """
                SELECT series_position::int4, risk_override_key_id IS NOT NULL FROM homework_assignments
                WHERE series_assignment_id = \(assigned.id) ORDER BY series_position
                """
            ).map { try $0.decode((Int32, Bool).self) }
            #expect(overridden.map(\.1) == [true, true, true, true, true, false])
            let action = try await p.owner.query(
                "SELECT action FROM audit_log WHERE entity_id = \(assigned.id)"
            ).map { try $0.decode(0, as: String.self) }
            #expect(action == ["homework.series.assign.risk_override"])
            // On the portal the released joint step is paused (safety mode).
            let home = try await PortalService(pool: p.app, keys: p.setup.keys).home(
                PartnerActor(sessionHash: p.alexSession, source: "test")
            )
            #expect(home.safetyMode)
            #expect(home.assignments.first { $0.id == assigned.steps[0] }?.paused == true)
        }
    }
}
