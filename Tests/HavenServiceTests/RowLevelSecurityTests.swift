import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Row-level security is a second wall")
struct RowLevelSecurityTests {
    static let protectedTables = [
        "practices", "data_keys", "staff", "supervision_links", "staff_sessions", "audit_log", "clients",
        "couples", "therapy_sessions", "progress_notes", "note_addenda", "note_cosignatures", "psychotherapy_notes",
        "homework_prompts", "homework_assignments", "homework_responses", "measure_definitions",
        "measure_administrations", "attachment_injuries", "treatment_goals", "cycle_maps",
        "are_ratings",
    ]

    @Test func everyProtectedTableHasForcedRowLevelSecurity() async throws {
        try await StaffFixture.with { fixture in
            let rows = try await fixture.owner.query(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(\(Self.protectedTables)) ORDER BY relname"
            )
            #expect(rows.count == Self.protectedTables.count)
            for row in rows {
                let (name, enabled, forced) = try row.decode((String, Bool, Bool).self)
                #expect(enabled && forced, "\(name)")
            }
            let role = try await fixture.app.query(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            #expect(try role[0].decode((Bool, Bool).self) == (false, false))
        }
    }

    @Test func noContextOrAnotherPracticeSeesNothingAndTheContextEndsWithTheTransaction() async throws {
        try await StaffFixture.with { fixture in
            let other = try await fixture.staff.createPractice(name: "Elsewhere")
            let none = try await fixture.app.query("SELECT count(*) FROM staff")
            #expect(try none[0].decode(0, as: Int.self) == 0)
            let mine = try await fixture.app.transaction(practiceID: fixture.practiceID, staffID: fixture.counselorID) {
                connection in
                try await connection.query("SELECT count(*) FROM staff")[0].decode(0, as: Int.self)
            }
            #expect(mine == 1)
            let theirs = try await fixture.app.transaction(practiceID: other, staffID: nil) { connection in
                try await connection.query("SELECT count(*) FROM staff")[0].decode(0, as: Int.self)
            }
            #expect(theirs == 0)
            let after = try await fixture.app.query(
                "SELECT current_setting('app.practice_id', true), count(*) FROM staff"
            )
            let (setting, count) = try after[0].decode((String?, Int).self)
            #expect((setting ?? "").isEmpty && count == 0)
            // Writing into another practice is refused by the policy.
            let write = await #expect(throws: PostgresError.self) {
                try await fixture.app.transaction(practiceID: other, staffID: nil) { connection in
                    try await connection.execute(
                        "UPDATE staff SET display_name = 'x' WHERE id = \(fixture.counselorID)"
                    )
                    try await AuditStore.append(
                        AuditEntry(
                            practiceID: fixture.practiceID,
                            staffID: nil,
                            action: "x",
                            outcome: .success,
                            source: "t"
                        ),
                        on: connection
                    )
                }
            }
            #expect(write?.code == .insufficientPrivilege)
        }
    }
}
