import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Row-level security is a second wall", .needsTestDatabase)
struct RowLevelSecurityTests {
    @Test func everyProtectedTableHasForcedRowLevelSecurity() async throws {
        try await StaffFixture.with { fixture in
            let rows = try await fixture.owner.query(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(\(ProtectedTables.all)) ORDER BY relname"
            )
            #expect(rows.count == ProtectedTables.all.count)
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
            let elsewhere = try await fixture.staff.createStaff(
                .init(
                    email: "kit@elsewhere.example",
                    displayName: "Kit",
                    roles: [.counselor],
                    password: StaffFixture.password
                ),
                practiceID: other,
                source: "test"
            )
            let none = try await fixture.app.query("SELECT count(*) FROM staff")
            #expect(try none[0].decode(0, as: Int.self) == 0)
            let dana = try await fixture.staff.openSession(
                for: fixture.counselorID,
                practiceID: fixture.practiceID,
                source: "t"
            )
            let mine = try await fixture.app.transaction(as: dana) { connection in
                try await connection.query("SELECT count(*) FROM staff")[0].decode(0, as: Int.self)
            }
            #expect(mine == 1)
            let kit = try await fixture.staff.openSession(for: elsewhere, practiceID: other, source: "t")
            let theirs = try await fixture.app.transaction(as: kit) { connection in
                try await connection.query("SELECT count(*) FROM staff WHERE practice_id = \(fixture.practiceID)")[0]
                    .decode(0, as: Int.self)
            }
            #expect(theirs == 0)
            let after = try await fixture.app.query("SELECT haven_current_practice(), count(*) FROM staff")
            let (practice, count) = try after[0].decode((UUID?, Int).self)
            #expect(practice == nil && count == 0)
            // Staff rows are the operators' to change.
            let write = await #expect(throws: PostgresError.self) {
                try await fixture.app.transaction(as: dana) { connection in
                    try await connection.execute(
                        "UPDATE staff SET display_name = 'x' WHERE id = \(fixture.counselorID)"
                    )
                }
            }
            #expect(write?.code == .insufficientPrivilege)
        }
    }
}
