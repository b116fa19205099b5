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

    /// With the haven_app password, an entry whose client list the chain's canonical form cannot
    /// describe (a NULL in it, two dimensions, numbered from 0) would stop `audit verify` at it: the
    /// database refuses it (0066), and the chain stays readable.
    @Test func theApplicationRoleCannotAppendAMalformedClientList() async throws {
        try await StaffFixture.with { fixture in
            let actor = try await counselor(fixture)
            let client = UUID()
            var bindings = PostgresBindings()
            bindings.append(client)
            // A NULL alone, after an id, two dimensions, numbered from 0.
            let lists = [
                "ARRAY[NULL]::uuid[]", "ARRAY[$1, NULL]::uuid[]", "ARRAY[[$1, $1]]::uuid[]",
                "array_fill($1, ARRAY[1], ARRAY[0])",
            ]
            for list in lists {
                let query = PostgresQuery(
                    sql: "SELECT haven_audit_append('note.read', 'note', $1, \(list), 'success', NULL)",
                    bindings: bindings
                )
                let error = await #expect(throws: PostgresError.self, "\(list)") {
                    try await fixture.app.transaction(as: actor) { connection in
                        _ = try await connection.query(query)
                    }
                }
                #expect(error?.code == .checkViolation, "\(list)")
            }
            try await fixture.app.transaction(as: actor) { connection in
                _ = try await connection.query(
                    "SELECT haven_audit_append('note.read', 'note', \(client), ARRAY[\(client)]::uuid[], 'success', NULL)"
                )
            }
            let result = try await fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: fixture.practiceID, on: $0)
            }
            #expect(result.firstBreak == nil && result.count == 3)
        }
    }

    /// The database hashes what Swift verifies: `haven_audit_canonical` (0064 builds the client list
    /// without a subquery) gives `AuditEntry.canonicalBytes` for every label and client list.
    @Test(arguments: [0, 1, 3])
    func theDatabaseEncodesAnEntryAsSwiftDoes(clients: Int) async throws {
        try await StaffFixture.with { fixture in
            let digest = [UInt8](repeating: 7, count: 32)
            // v1, v2 (a digest), v3 (a partner), v3 with a digest.
            let kinds: [([UInt8]?, UUID?)] = [(nil, nil), (digest, nil), (nil, UUID()), (digest, UUID())]
            for (digest, partner) in kinds {
                let entry = AuditEntry(
                    practiceID: fixture.practiceID,
                    occurredAt: Date(timeIntervalSince1970: 1_765_000_000.123_456),
                    staffID: partner == nil ? fixture.counselorID : nil,
                    staffRoles: partner == nil ? ["counselor", "supervisor"] : [],
                    action: "note.read",
                    entityType: "note",
                    entityID: UUID(),
                    clientIDs: (0..<clients).map { _ in UUID() },
                    outcome: .success,
                    source: "cli:test@host",
                    requestID: "req-1",
                    digest: digest,
                    partnerClientID: partner
                )
                let rows = try await fixture.owner.query(
                    """
                    SELECT haven_audit_canonical(\(entry.practiceID), \(entry.occurredAt), \(entry.staffID), \
                    \(entry.staffRoles), \(entry.breakGlass), \(entry.action), \(entry.entityType), \(entry.entityID), \
                    \(entry.clientIDs), \(entry.outcome.rawValue), \(entry.source), \(entry.requestID), \(entry.digest), \
                    \(entry.partnerClientID))
                    """
                )
                let stored = try rows[0].decode(0, as: [UInt8].self)
                #expect(stored == entry.canonicalBytes, "digest \(digest != nil), partner \(partner != nil)")
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
