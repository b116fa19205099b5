import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migration 0053 from the attacker's side: with the app role's password and a counselor context
/// whose caseload holds two couples, no row names the other couple's partner and no answer moves to
/// another chart — the services check the same, but here no service runs.
@Suite("A partner named on a clinical row is one of that chart's people", .needsTestDatabase)
struct ChartPartnerIntegrityTests {
    static let today = CalendarDate(year: 2026, month: 11, day: 22)!

    /// Runs `statement` as `haven_app` in counselor A's context and returns the refusal's SQLSTATE
    /// (nil when it was not refused).
    func refusal(_ statement: PostgresQuery, _ setup: ClinicSetup) async -> String? {
        do {
            try await setup.fixture.app.transaction(as: setup.counselorA) { connection in
                try await connection.execute(statement)
            }
            return nil
        } catch let error as PostgresError {
            return error.sqlState
        } catch {
            return "\(error)"
        }
    }

    @Test func rowsNamingAnotherCouplesPartnerAreRefusedWhoeverWritesThem() async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, a, b) = try await setup.completedSession()
            let (otherSession, _, stranger, _) = try await setup.completedSession()
            let prompt = try await homework.library(actor: setup.counselorA)[0].id
            let assignment = try await homework.assign(
                prompt: prompt,
                couple: couple,
                partner: a,
                session: session,
                dueOn: Self.today.adding(days: 7),
                today: Self.today,
                actor: setup.counselorA
            ).id
            let practice = setup.fixture.practiceID
            let counselor = setup.fixture.counselorID
            let key = try await setup.fixture.owner.query(
                "SELECT id FROM data_keys WHERE subject_kind = 'couple' AND subject_id = \(couple.uuidString.lowercased())"
            )[0].decode(0, as: UUID.self)
            let subject = "couple:\(couple.uuidString.lowercased())"
            let (note, _) = try await setup.notes.writeDraft(
                .init(stage: 2, step: 5, stepPartnerID: b, riskLevel: .low, body: "Step 5 work with Jo."),
                session: session,
                actor: setup.counselorA
            )
            let refused: [PostgresQuery] = [
                """
                INSERT INTO homework_assignments (id, practice_id, prompt_id, couple_id, partner_id, session_id, counselor_id,
                                                  assigned_on, due_on)
                VALUES (\(UUID()), \(practice), \(prompt), \(couple), \(stranger), \(session), \(counselor),
                        '2026-11-22', '2026-11-29')
                """,
                "UPDATE homework_assignments SET partner_id = \(stranger) WHERE id = \(assignment)",
                // The assignment is for partner A only: B may not answer it, nor may A's answer move charts.
                """
                INSERT INTO homework_responses (id, practice_id, assignment_id, partner_id, counselor_id, key_subject, completion)
                VALUES (\(UUID()), \(practice), \(assignment), \(b), \(counselor), \(subject), 'completed')
                """,
                """
                INSERT INTO homework_responses (id, practice_id, assignment_id, partner_id, counselor_id, key_subject, completion)
                VALUES (\(UUID()), \(practice), \(assignment), \(a), \(counselor),
                        \("couple:\(UUID().uuidString.lowercased())"), 'completed')
                """,
                """
                INSERT INTO cycle_maps (id, practice_id, couple_id, partner_id, counselor_id, version, map, map_key_id)
                VALUES (\(UUID()), \(practice), \(couple), \(stranger), \(counselor), 1, '\\x00'::bytea, \(key))
                """,
                """
                INSERT INTO attachment_injuries (id, practice_id, couple_id, counselor_id, injured_partner_id, description,
                                                 description_key_id, identified_on)
                VALUES (\(UUID()), \(practice), \(couple), \(counselor), \(stranger), '\\x00'::bytea, \(key), '2026-11-22')
                """,
                """
                INSERT INTO are_ratings (practice_id, session_id, partner_id, counselor_id, accessible, responsive, engaged)
                VALUES (\(practice), \(session), \(stranger), \(counselor), 5, 5, 5)
                """,
                """
                INSERT INTO are_ratings (practice_id, session_id, partner_id, counselor_id, accessible, responsive, engaged)
                VALUES (\(practice), \(otherSession), \(a), \(counselor), 5, 5, 5)
                """,
                "UPDATE progress_notes SET step_partner_id = \(stranger) WHERE id = \(note)",
            ]
            for statement in refused {
                #expect(await refusal(statement, setup) == "23514", "\(statement.sql)")
            }
            // The app role may not write answer drafts at all (the portal's functions do, as the partner in
            // context); even the owner, who may, cannot file one for someone the assignment is not for.
            let draft: PostgresQuery = """
                INSERT INTO portal_answer_drafts (id, practice_id, assignment_id, partner_id, key_subject, body, body_key_id)
                VALUES (\(UUID()), \(practice), \(assignment), \(stranger), \(subject), '\\x00'::bytea, \(key))
                """
            #expect(await refusal(draft, setup) == "42501")
            let byOwner = await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.withConnection { try await $0.execute(draft) }
            }
            #expect(byOwner?.sqlState == "23514")
            // Nothing of it was written; the note still names Jo.
            let counts = try await setup.fixture.owner.query(
                """
                SELECT (SELECT count(*) FROM homework_assignments WHERE couple_id = \(couple) AND partner_id = \(a)),
                       (SELECT count(*) FROM homework_responses) + (SELECT count(*) FROM portal_answer_drafts)
                       + (SELECT count(*) FROM cycle_maps) + (SELECT count(*) FROM attachment_injuries)
                       + (SELECT count(*) FROM are_ratings),
                       (SELECT step_partner_id FROM progress_notes WHERE id = \(note))
                """
            )[0].decode((Int, Int, UUID).self)
            #expect(counts.0 == 1 && counts.1 == 0 && counts.2 == b)
            // The same rows naming the chart's own partners pass the check (the services' paths).
            try await setup.fixture.app.transaction(as: setup.counselorA) { connection in
                try await connection.execute(
                    """
                    INSERT INTO are_ratings (practice_id, session_id, partner_id, counselor_id, accessible, responsive, engaged)
                    VALUES (\(practice), \(session), \(b), \(counselor), 5, 5, 5)
                    """
                )
                try await connection.execute(
                    "UPDATE progress_notes SET step_partner_id = \(a) WHERE id = \(note)"
                )
            }
            try await homework.recordResponse(
                assignment: assignment,
                partner: a,
                completion: .completed,
                text: "We tried it on Sunday.",
                actor: setup.counselorA
            )
        }
    }
}
