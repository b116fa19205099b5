import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Logging
import Postgres
import Testing

/// Migration 0063: an append never waits for another transaction's commit. While one transaction holds
/// a practice's chain lock, another's entry is written pending (durable with it, no place yet) and
/// chained later in commit order; its content can never change, only receive its place.
@Suite("Audit appends in commit order: none waits for another's commit", .needsTestDatabase)
struct AuditCommitOrderTests {
    private func event(client: UUID? = nil) -> AuditEvent {
        AuditEvent(action: .noteRead, entityType: .note, entityID: UUID(), clientIDs: client.map { [$0] } ?? [])
    }

    private func counselor(_ fixture: StaffFixture) async throws -> StaffActor {
        try await fixture.staff.openSession(
            for: fixture.counselorID,
            practiceID: fixture.practiceID,
            source: "cli:test@host"
        )
    }

    /// The place of the entry about `client`: nil while pending.
    private func place(of client: UUID, _ fixture: StaffFixture) async throws -> Int? {
        let rows = try await fixture.owner.query(
            "SELECT seq FROM audit_log WHERE practice_id = \(fixture.practiceID) AND client_ids @> ARRAY[\(client)]"
        )
        #expect(rows.count == 1)
        return try rows[0].decode(0, as: Int?.self)
    }

    /// Appends the entry about `client` while another transaction of the practice holds the chain lock
    /// (it has appended and not committed), then runs `whileHeld` before that transaction commits.
    /// Returns the holder's place. The second append runs with a 2 s lock timeout (a wait for a lock,
    /// not a slow machine, ends it): before 0063 it waited for the holder's commit, which here never
    /// comes first.
    private func appendWhileTheChainIsHeld(
        about client: UUID,
        as actor: StaffActor? = nil,
        _ fixture: StaffFixture,
        whileHeld: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> Int {
        let actor = if let actor { actor } else { try await counselor(fixture) }
        let holderEvent = event()
        let pendingEvent = event(client: client)
        return try await fixture.app.transaction(as: actor) { holder in
            let held = try #require(try await AuditStore.append(holderEvent, on: holder), "the lock was free")
            let pending = try await fixture.app.transaction(as: actor) { other in
                try await other.execute("SET LOCAL lock_timeout = '2s'")
                return try await AuditStore.append(pendingEvent, on: other)
            }
            #expect(pending == nil, "written pending, without waiting for the holder's commit")
            try await whileHeld()
            return held.seq
        }
    }

    @Test func anAppendDoesNotWaitForAnotherCommitAndIsChainedAfterIt() async throws {
        try await StaffFixture.with { fixture in
            let client = UUID()
            let heldSeq = try await appendWhileTheChainIsHeld(about: client, fixture) {
                // Committed and durable before the holder commits, without a place in the chain yet.
                let found = try await place(of: client, fixture)
                #expect(found == nil)
            }
            // The verification chains what is pending first: the entry follows the holder's.
            let result = try await fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: fixture.practiceID, on: $0)
            }
            #expect(result.firstBreak == nil)
            #expect(try await place(of: client, fixture) == heldSeq + 1)
            #expect(result.head?.seq == heldSeq + 1 && result.count == heldSeq + 1)
            // The practice's next append (the lock free) goes on after it.
            let actor = try await counselor(fixture)
            let next = event()
            let appended = try await fixture.app.transaction(as: actor) { try await AuditStore.append(next, on: $0) }
            #expect(appended?.seq == heldSeq + 3)  // + the session that `counselor` opened
        }
    }

    @Test func anEntryPendingLongerThanTheWindowMakesAppendsWaitAndChain() async throws {
        try await StaffFixture.with { fixture in
            let actor = try await counselor(fixture)
            let client = UUID()
            // An entry of the practice pending for two seconds (the window is one), as a backlog would be.
            try await fixture.owner.withConnection {
                try await $0.execute(
                    """
                    INSERT INTO audit_log (practice_id, occurred_at, action, entity_type, entity_id, client_ids, outcome, source)
                    VALUES (\(fixture.practiceID), now() - interval '2 seconds', 'note.read', 'note', \(UUID()),
                            ARRAY[\(client)]::uuid[], 'success', 'cli:test@host')
                    """
                )
            }
            let holderEvent = event()
            let waitingEvent = event()
            try await fixture.app.transaction(as: actor) { holder in
                _ = try await AuditStore.append(holderEvent, on: holder)
                // Another append now waits for the holder's commit instead of adding to the backlog.
                let waited = await #expect(throws: PostgresError.self) {
                    try await fixture.app.transaction(as: actor) { other in
                        try await other.execute("SET LOCAL lock_timeout = '1s'")
                        return try await AuditStore.append(waitingEvent, on: other)
                    }
                }
                #expect(waited?.sqlState == "55P03", "lock_not_available: it waited for the chain lock")
            }
            // The holder chained the old entry before its own; the next append, the lock free, follows.
            let backlog = try #require(try await place(of: client, fixture))
            let next = try await fixture.app.transaction(as: actor) {
                try await AuditStore.append(waitingEvent, on: $0)
            }
            #expect(next?.seq == backlog + 2)
        }
    }

    @Test func aPendingEntryCanReceiveItsPlaceAndNothingElse() async throws {
        try await StaffFixture.with { fixture in
            let client = UUID()
            let practice = fixture.practiceID
            // The actor's session is opened first: opening one appends (and would chain what is pending).
            let actor = try await counselor(fixture)
            _ = try await appendWhileTheChainIsHeld(about: client, as: actor, fixture)
            // The owner, with the trigger in place: no edit, no delete, no place with an edit.
            let owner: [PostgresQuery] = [
                "UPDATE audit_log SET outcome = 'denied' WHERE practice_id = \(practice) AND seq IS NULL",
                """
                UPDATE audit_log SET seq = 1000, previous_hash = sha256(''), hash = sha256('x'), outcome = 'denied'
                WHERE practice_id = \(practice) AND seq IS NULL
                """,
                "DELETE FROM audit_log WHERE practice_id = \(practice) AND seq IS NULL",
                "UPDATE audit_log SET seq = NULL, previous_hash = NULL, hash = NULL WHERE practice_id = \(practice) AND seq = 1",
            ]
            for statement in owner {
                let error = await #expect(throws: PostgresError.self) {
                    try await fixture.owner.withConnection { try await $0.execute(statement) }
                }
                #expect(error?.code == .insufficientPrivilege, "\(statement.sql)")
            }
            // The application role: no UPDATE at all, and not the internal chaining function either
            // (which expects its caller to hold the lock).
            let app: [PostgresQuery] = [
                "UPDATE audit_log SET seq = 1000 WHERE seq IS NULL",
                "SELECT * FROM haven_audit_chain_locked(\(practice))",
            ]
            for statement in app {
                let error = await #expect(throws: PostgresError.self) {
                    try await fixture.app.transaction(as: actor) { try await $0.execute(statement) }
                }
                #expect(error?.code == .insufficientPrivilege, "\(statement.sql)")
            }
            #expect(try await place(of: client, fixture) == nil)
            // A whole entry's row is one of two shapes: chained (all three) or pending (none).
            let half = await #expect(throws: PostgresError.self) {
                try await fixture.owner.withConnection {
                    try await $0.execute(
                        "UPDATE audit_log SET seq = 1000 WHERE practice_id = \(practice) AND seq IS NULL"
                    )
                }
            }
            #expect(half?.code == .checkViolation)
            let intact = try await fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: practice, on: $0)
            }
            let chained = try await place(of: client, fixture)
            #expect(intact.firstBreak == nil && intact.count == chained)
        }
    }

    @Test func chainingRefusesAnOlderSnapshotAndAnswersNoCount() async throws {
        try await StaffFixture.with { fixture in
            let practice = fixture.practiceID
            let refused = await #expect(throws: PostgresError.self) {
                try await fixture.app.withConnection { connection in
                    try await connection.transaction(isolation: .repeatableRead) { connection in
                        try await connection.execute("SELECT haven_audit_chain(\(practice), true)")
                    }
                }
            }
            #expect(refused?.sqlState == "25000", "invalid_transaction_state")
            // The application role may ask for chaining, of any practice, and learns nothing about it.
            let results = try await fixture.app.query(
                """
                SELECT pg_get_function_result('haven_audit_chain(uuid, boolean)'::regprocedure),
                       pg_get_function_result('haven_audit_chain_pending()'::regprocedure)
                """
            )
            #expect(try results[0].decode((String, String).self) == ("void", "void"))
        }
    }

    @Test func theServersPassChainsWhatIsPendingAsTheApplicationRole() async throws {
        try await StaffFixture.with { fixture in
            let client = UUID()
            let heldSeq = try await appendWhileTheChainIsHeld(about: client, fixture)
            #expect(try await place(of: client, fixture) == nil)
            let pass = AuditChainPass(pool: fixture.app, interval: .milliseconds(50), logger: TestDatabase.logger)
            var chained: Int?
            for _ in 0..<600 where chained == nil {
                chained = try await place(of: client, fixture)
                if chained == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            await pass.stop()
            #expect(chained == heldSeq + 1)
            let result = try await fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: fixture.practiceID, on: $0)
            }
            #expect(result.firstBreak == nil)
        }
    }
}
