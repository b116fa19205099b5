import Foundation
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migration 0068: opening a context refreshes a session seen more than 30 seconds ago, and does not
/// wait for another open transaction of the same session that holds the session's row to do so.
extension PartnerAttackTests {
    /// Opens `open` in one transaction and, while it is open, again in a second (with a lock timeout, so
    /// a wait ends in 55P03 instead of hanging); returns how many rows `count` shows the second.
    func openTwice(_ pool: ConnectionPool, open: PostgresQuery, count: PostgresQuery) async throws -> Int {
        try await pool.withConnection { first in
            try await first.transaction { first in
                _ = try await first.query(open)
                return try await pool.withConnection { second in
                    try await second.transaction { second in
                        try await second.execute("SET LOCAL lock_timeout = '5s'")
                        _ = try await second.query(open)
                        return try await second.query(count)[0].decode(0, as: Int.self)
                    }
                }
            }
        }
    }

    @Test func aSecondTransactionOfASessionDueForItsRefreshDoesNotWaitForTheFirst() async throws {
        try await portal { p in
            let staff = p.setup.counselorA.sessionHash
            try await p.owner.query(
                "UPDATE staff_sessions SET last_seen_at = now() - interval '1 minute' WHERE token_hash = \(staff)"
            )
            try await p.owner.query(
                "UPDATE partner_sessions SET last_seen_at = now() - interval '1 minute' WHERE token_hash = \(p.alexSession)"
            )
            // The first transaction refreshes the session and holds its row until it ends; the second
            // opens a context of the same session meanwhile. Before 0068 it waited for the first (55P03).
            let notes = try await openTwice(
                p.app,
                open: "SELECT 1 FROM haven_open_context(\(staff), false, 'test', NULL)",
                count: "SELECT (SELECT count(*) FROM progress_notes) + (SELECT count(*) FROM couples)"
            )
            #expect(notes == 2)
            let assignments = try await openTwice(
                p.app,
                open: "SELECT 1 FROM haven_open_partner_context(\(p.alexSession), 'test', NULL)",
                count: "SELECT count(*) FROM haven_portal_assignments()"
            )
            #expect(assignments == 2)
            // The first transactions' refreshes were kept: each session was seen just now.
            let seen = try await p.owner.query(
                """
                SELECT (SELECT last_seen_at > now() - interval '30 seconds' FROM staff_sessions WHERE token_hash = \(staff))
                   AND (SELECT last_seen_at > now() - interval '30 seconds' FROM partner_sessions
                        WHERE token_hash = \(p.alexSession))
                """
            )[0].decode(0, as: Bool.self)
            #expect(seen)
        }
    }
}
