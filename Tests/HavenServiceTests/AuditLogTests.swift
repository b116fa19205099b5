import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("The audit log: hash chain, concurrency, tamper detection", .needsTestDatabase)
struct AuditLogTests {
    private func entry(client: UUID? = nil) -> AuditEvent {
        AuditEvent(action: .noteRead, entityType: .note, entityID: UUID(), clientIDs: client.map { [$0] } ?? [])
    }

    private func counselor(_ fixture: StaffFixture) async throws -> StaffActor {
        var actor = try await fixture.staff.openSession(
            for: fixture.counselorID,
            practiceID: fixture.practiceID,
            source: "cli:test@host"
        )
        actor.requestID = "req-1"
        return actor
    }

    @Test func concurrentAppendsUnderReadCommittedFormOneIntactChain() async throws {
        try await StaffFixture.with { fixture in
            // Four writers (the pool's size), fifteen appends each, all racing for the chain's head.
            // Each writer holds its own connection, so no append waits on a pool checkout (whose timeout
            // would make the test depend on machine load rather than on the chain).
            let actor = try await counselor(fixture)
            let marked = UUID()  // the client of one entry, to find it again
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    let entries = (0..<15).map { self.entry(client: writer * 15 + $0 == 7 ? marked : nil) }
                    group.addTask {
                        try await fixture.app.withConnection { connection in
                            for entry in entries {
                                try await connection.transaction { connection in
                                    try await connection.query(
                                        """
                                        SELECT 1 FROM haven_open_context(\(actor.sessionHash), false, \(actor.source), \
                                        \(actor.requestID))
                                        """
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
            #expect(result.count == 62)  // 60 + the fixture's staff.create and staff.session.open
            #expect(result.head?.seq == 62)
            // The database took the actor, source and request id from the session's context.
            let listed = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: fixture.practiceID, clientID: marked), on: connection)
            }
            let recorded = try #require(listed.first).entry
            #expect(recorded.staffID == fixture.counselorID && recorded.staffRoles == ["counselor"])
            #expect(recorded.source == "cli:test@host" && recorded.requestID == "req-1" && !recorded.breakGlass)
        }
    }

    @Test func theApplicationRoleCannotEditOrDelete() async throws {
        try await StaffFixture.with { fixture in
            let actor = try await counselor(fixture)
            for statement: PostgresQuery in [
                "UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
            ] {
                let error = await #expect(throws: PostgresError.self) {
                    try await fixture.app.transaction(as: actor) { connection in
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
            let actor = try await counselor(fixture)
            for _ in 0..<5 {
                let entry = self.entry(client: client)
                try await fixture.app.transaction(as: actor) { connection in
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
