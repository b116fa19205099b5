import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migration 0059's fixes to 0053, from the attacker's side (`haven_app`, counselor A, whose caseload
/// holds both couples): an assignment keeps its chart, a series assignment names a partner of its couple,
/// and a series step belongs to a series assignment of its own couple.
extension ChartPartnerIntegrityTests {
    @Test func anAssignmentKeepsItsChartAndASeriesStaysInItsCouple() async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, a, _) = try await setup.completedSession()
            let (_, other, stranger, _) = try await setup.completedSession()
            let prompt = try await homework.library(actor: setup.counselorA)[0].id
            let joint = try await homework.assign(
                prompt: prompt,
                couple: couple,
                session: session,
                dueOn: Self.today.adding(days: 7),
                today: Self.today,
                actor: setup.counselorA
            ).id
            try await homework.recordResponse(
                assignment: joint,
                partner: a,
                completion: .completed,
                text: "We tried it on Sunday.",
                actor: setup.counselorA
            )
            let series = try await setup.fixture.owner.query(
                "SELECT id FROM homework_series WHERE title = 'Emotional-safety practice'"
            )[0].decode(0, as: UUID.self)
            let ours = try await homework.assignSeries(
                series,
                couple: couple,
                session: session,
                today: Self.today,
                actor: setup.counselorA
            )
            let practice = setup.fixture.practiceID
            let counselor = setup.fixture.counselorID
            let theirs = UUID()
            try await setup.fixture.app.transaction(as: setup.counselorA) { connection in
                try await connection.execute(
                    """
                    INSERT INTO homework_series_assignments (id, practice_id, series_id, couple_id, counselor_id, interval_days)
                    VALUES (\(theirs), \(practice), \(series), \(other), \(counselor), 7)
                    """
                )
            }
            let step: (UUID, UUID) -> PostgresQuery = { id, seriesAssignment in
                """
                INSERT INTO homework_assignments (id, practice_id, prompt_id, couple_id, session_id, counselor_id,
                                                  assigned_on, due_on, release_at, series_assignment_id, series_position)
                VALUES (\(id), \(practice), \(prompt), \(couple), \(session), \(counselor), '2026-11-22', '2026-11-29',
                        now(), \(seriesAssignment), 7)
                """
            }
            let refused: [PostgresQuery] = [
                // (a) the joint assignment, with Alex's answer, moved to the other couple's chart.
                "UPDATE homework_assignments SET couple_id = \(other) WHERE id = \(joint)",
                // (b) a series assignment for the other couple's partner.
                """
                INSERT INTO homework_series_assignments (id, practice_id, series_id, couple_id, partner_id, counselor_id,
                                                         interval_days)
                VALUES (\(UUID()), \(practice), \(series), \(couple), \(stranger), \(counselor), 7)
                """,
                // (c) a step of this couple in the other couple's series assignment, new or moved there.
                step(UUID(), theirs),
                "UPDATE homework_assignments SET series_assignment_id = \(theirs) WHERE id = \(ours.steps[0])",
                // Review 12, finding 3 (migration 0062): an assignment's id and whom it is for are kept too
                // (a new id left its reminders "withdrawn"; a joint one made Alex's alone kept reminding Jo).
                "UPDATE homework_assignments SET id = \(UUID()) WHERE id = \(joint)",
                "UPDATE homework_assignments SET partner_id = \(a) WHERE id = \(joint)",
            ]
            for statement in refused {
                #expect(await refusal(statement, setup) == "23514", "\(statement.sql)")
            }
            // The owner is refused the same, the practice included (the app role may not update a series
            // assignment at all).
            for statement: PostgresQuery in [
                "UPDATE homework_assignments SET couple_id = \(other) WHERE id = \(joint)",
                "UPDATE homework_series_assignments SET couple_id = \(other) WHERE id = \(ours.id)",
                "UPDATE homework_assignments SET practice_id = gen_random_uuid() WHERE id = \(joint)",
            ] {
                let byOwner = await #expect(throws: PostgresError.self) {
                    try await setup.fixture.owner.withConnection { try await $0.execute(statement) }
                }
                #expect(byOwner?.sqlState == "23514", "\(statement.sql)")
            }
            // Nothing moved; the same step in the couple's own series assignment passes.
            let kept = try await setup.fixture.owner.query(
                """
                SELECT (SELECT couple_id FROM homework_assignments WHERE id = \(joint)),
                       (SELECT count(*) FROM homework_responses WHERE assignment_id = \(joint)
                                                                  AND key_subject = 'couple:' || \(couple)::text),
                       (SELECT count(*) FROM homework_assignments WHERE series_assignment_id = \(theirs)),
                       (SELECT count(*) FROM homework_series_assignments WHERE couple_id = \(couple))
                """
            )[0].decode((UUID, Int, Int, Int).self)
            #expect(kept.0 == couple && kept.1 == 1 && kept.2 == 0 && kept.3 == 1)
            #expect(await refusal(step(UUID(), ours.id), setup) == nil)
        }
    }
}
