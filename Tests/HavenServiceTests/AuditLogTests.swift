import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("The audit log: hash chain, concurrency, tamper detection")
struct AuditLogTests {
    private func entry(_ fixture: StaffFixture, _ action: String, client: UUID? = nil) -> AuditEntry {
        AuditEntry(
            practiceID: fixture.practiceID,
            staffID: fixture.counselorID,
            staffRoles: ["counselor"],
            action: action,
            entityType: "note",
            entityID: UUID(),
            clientIDs: client.map { [$0] } ?? [],
            outcome: .success,
            source: "cli:test@host",
            requestID: "req-1"
        )
    }

    @Test func concurrentAppendsUnderReadCommittedFormOneIntactChain() async throws {
        try await StaffFixture.with { fixture in
            // Four writers (the pool's size), fifteen appends each, all racing for the chain's head.
            // Each writer holds its own connection, so no append waits on a pool checkout (whose timeout
            // would make the test depend on machine load rather than on the chain).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    let entries = (0..<15).map { self.entry(fixture, "note.read.\(writer * 15 + $0)") }
                    group.addTask {
                        try await fixture.app.withConnection { connection in
                            for entry in entries {
                                try await connection.transaction { connection in
                                    try await connection.query(
                                        "SELECT haven_set_context(\(fixture.practiceID), \(fixture.counselorID))"
                                    )
                                    try await AuditStore.append(entry, on: connection)
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let result = try await fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: fixture.practiceID, on: $0)
            }
            #expect(result.firstBreak == nil)
            #expect(result.count == 61)  // 60 + the staff.create of the fixture
            #expect(result.head?.seq == 61)
        }
    }

    @Test func theApplicationRoleCannotEditOrDelete() async throws {
        try await StaffFixture.with { fixture in
            for statement: PostgresQuery in [
                "UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
            ] {
                let error = await #expect(throws: PostgresError.self) {
                    try await fixture.app.transaction(practiceID: fixture.practiceID, staffID: nil) { connection in
                        try await connection.execute(statement)
                    }
                }
                #expect(error?.code == .insufficientPrivilege)
            }
        }
    }

    @Test(arguments: ["edit", "delete", "reorder"])
    func verificationNamesTheFirstBrokenLink(tampering: String) async throws {
        try await StaffFixture.with { fixture in
            let client = UUID()
            for index in 0..<5 {
                let entry = self.entry(fixture, "note.read.\(index)", client: client)
                try await fixture.app.transaction(practiceID: fixture.practiceID, staffID: fixture.counselorID) {
                    connection in
                    try await AuditStore.append(entry, on: connection)
                }
            }
            // Someone with the owner's powers goes around the append-only trigger.
            let sql: String
            switch tampering {
            case "edit": sql = "UPDATE audit_log SET outcome = 'denied' WHERE seq = 3"
            case "delete": sql = "DELETE FROM audit_log WHERE seq = 4"
            default:
                sql = """
                    UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 100 WHEN 3 THEN 2 END WHERE seq IN (2, 3);
                    UPDATE audit_log SET seq = 3 WHERE seq = 100
                    """
            }
            try await fixture.owner.withConnection { connection in
                try await connection.executeScript(
                    """
                    ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete;
                    \(sql);
                    ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete;
                    """
                )
            }
            let result = try await fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: fixture.practiceID, on: $0)
            }
            let expected = ["edit": 3, "delete": 4, "reorder": 2][tampering]
            #expect(result.firstBreak?.seq == expected, "\(String(describing: result.firstBreak))")
            let listed = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: fixture.practiceID, clientID: client), on: connection)
            }
            #expect(listed.count == (tampering == "delete" ? 4 : 5))
        }
    }
}
