import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// Review 10, finding 2, tried as `haven_app`: a sign-in tells nothing about whether an address is an
/// account by what it writes (migration 0050). Without a valid committed ticket it writes nothing at all;
/// a counted refusal writes the same rows to the same tables for a known and an unknown address.
extension PartnerAttackTests {
    /// What a sign-in wrote in a transaction that is then rolled back: its outcome, whether the
    /// transaction got an id, and the tables it inserted into, updated or deleted from.
    private static func writes(
        _ kind: String,
        _ email: String,
        ticket: UUID,
        _ pool: ConnectionPool
    ) async throws -> (outcome: String, xid: Bool, tables: String) {
        try await pool.withConnection { connection in
            // The backend's counters of earlier transactions may not be flushed yet: compare to before.
            func counters() async throws -> [String: [Int]] {
                let rows = try await connection.query(
                    "SELECT relname::text, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables"
                )
                var seen: [String: [Int]] = [:]
                for row in rows {
                    let (table, inserted, updated, deleted) = try row.decode((String, Int, Int, Int).self)
                    seen[table] = [inserted, updated, deleted]
                }
                return seen
            }
            try await connection.execute("BEGIN")
            do {
                let before = try await counters()
                let outcome = try await connection.query(
                    kind == "staff"
                        ? "SELECT outcome FROM haven_sign_in(\(ticket), \(email), 'wrong', \(tokenHash()), 900, 3600, NULL, 'attacker', NULL)"
                        : "SELECT outcome FROM haven_portal_sign_in(\(ticket), \(email), 'wrong', \(tokenHash()), 900, 3600, NULL, 'attacker', NULL)"
                )[0].decode(0, as: String.self)
                let xid = try await connection.query("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")[0]
                    .decode(0, as: Bool.self)
                let after = try await counters()
                try await connection.execute("ROLLBACK")
                let tables = after.keys.sorted().compactMap { table -> String? in
                    let now = after[table] ?? [0, 0, 0]
                    let then = before[table] ?? [0, 0, 0]
                    let change = zip(now, then).map { $0 - $1 }
                    return change == [0, 0, 0] ? nil : "\(table) +\(change[0]) ~\(change[1]) -\(change[2])"
                }
                return (outcome, xid, tables.joined(separator: ", "))
            } catch {
                try await connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    @Test func aSignInWritesTheSameForKnownAndUnknownAddresses() async throws {
        try await portal { p in
            for (kind, known, unknown) in [
                ("staff", "dana@harbor.example", "nobody@harbor.example"),
                ("partner", "alex@example.org", "nobody@example.org"),
            ] {
                // No valid ticket (made up, or noted for another address): refused, nothing written.
                let elsewhere = try await SignInTicket.note(kind, "other@example.org", "wrong", p.app)
                for email in [known, unknown] {
                    for ticket in [UUID(), elsewhere] {
                        let made = try await Self.writes(kind, email, ticket: ticket, p.app)
                        #expect(made.outcome == "refused" && !made.xid && made.tables.isEmpty, "\(kind) \(email)")
                    }
                }
                // A counted refusal: the same tables, the same counts.
                let first = try await Self.writes(
                    kind,
                    known,
                    ticket: try await SignInTicket.note(kind, known, "wrong", p.app),
                    p.app
                )
                let second = try await Self.writes(
                    kind,
                    unknown,
                    ticket: try await SignInTicket.note(kind, unknown, "wrong", p.app),
                    p.app
                )
                #expect(first.outcome == "refused" && second.outcome == "refused")
                #expect(first.xid && second.xid)
                #expect(first.tables == second.tables, "\(kind): \(first.tables) / \(second.tables)")
                #expect(first.tables.contains("audit_log +1"))
            }
        }
    }

    @Test func aTicketIsCheckedOnceAndAnUnknownAddressIsAuditedWithoutAnEntity() async throws {
        try await portal { p in
            let before = try await p.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'portal.login' AND outcome = 'denied' AND entity_id IS NULL"
            )[0].decode(0, as: Int.self)
            let ticket = try await SignInTicket.note("partner", "nobody@example.org", "wrong", p.app)
            let sql: PostgresQuery =
                "SELECT outcome FROM haven_portal_sign_in(\(ticket), 'nobody@example.org', 'wrong', \(Self.tokenHash()), 900, 3600, NULL, 'attacker', NULL)"
            #expect(try await p.app.query(sql)[0].decode(0, as: String.self) == "refused")
            let after = try await p.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'portal.login' AND outcome = 'denied' AND entity_id IS NULL"
            )[0].decode(0, as: Int.self)
            #expect(after == before + 1)
            // The same ticket again: refused with no write (no audit flood from one ticket).
            let again = try await Self.writes("partner", "nobody@example.org", ticket: ticket, p.app)
            #expect(again.outcome == "refused" && !again.xid)
        }
    }
}
