import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Review finding 7 (migration 0054): a context ends at its session's idle deadline on the wall clock,
/// even inside a transaction the holder of the app role's password keeps open with every timeout off.
extension PartnerAttackTests {
    /// What an open transaction of `open`'s context reaches before and after `wait`: `count`'s answer,
    /// or nil when the reader refused (42501, no context).
    /// With `openAfter`, the transaction begins (and its start time is fixed) that long before it opens
    /// the context.
    func reach(
        _ pool: ConnectionPool,
        open: PostgresQuery,
        count: PostgresQuery,
        wait: Duration,
        openAfter: Duration? = nil
    ) async throws -> (before: Int?, after: Int?) {
        try await pool.withConnection { connection in
            try await connection.transaction { connection in
                try await connection.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
                try await connection.execute("SET LOCAL statement_timeout = 0")
                if let openAfter {
                    try await connection.query("SELECT pg_current_xact_id()")
                    try await Task.sleep(for: openAfter)
                }
                try await connection.query(open)
                func counted() async throws -> Int? {
                    try await connection.execute("SAVEPOINT reach")
                    do {
                        let value = try await connection.query(count)[0].decode(0, as: Int.self)
                        try await connection.execute("RELEASE SAVEPOINT reach")
                        return value
                    } catch let error as PostgresError where error.sqlState == "42501" {
                        try await connection.execute("ROLLBACK TO SAVEPOINT reach")
                        return nil
                    }
                }
                let before = try await counted()
                try await Task.sleep(for: wait)
                return (before, try await counted())
            }
        }
    }

    @Test func aContextEndsAtItsSessionsIdleDeadlineInsideAnOpenTransaction() async throws {
        try await portal { p in
            // Each session gets a 15-second idle period just before it is used: time for a loaded machine to check out,
            // begin and count before the deadline (two seconds failed under load), and still a short wait after.
            try await p.owner.query(
                """
                WITH seen AS (
                    UPDATE staff_session_activity SET last_seen_at = now() WHERE token_hash = \(p.setup.counselorA.sessionHash)
                )
                UPDATE staff_sessions SET idle_timeout_seconds = 15 WHERE token_hash = \(p.setup.counselorA.sessionHash)
                """
            )
            let staff = try await reach(
                p.app,
                open: "SELECT 1 FROM haven_open_context(\(p.setup.counselorA.sessionHash), false, 'attacker', NULL)",
                count: "SELECT (SELECT count(*) FROM progress_notes) + (SELECT count(*) FROM couples)",
                wait: .seconds(16)
            )
            #expect(staff.before == 2 && staff.after == 0)
            try await p.owner.query(
                """
                WITH seen AS (UPDATE partner_session_activity SET last_seen_at = now() WHERE token_hash = \(p.alexSession))
                UPDATE partner_sessions SET idle_timeout_seconds = 15 WHERE token_hash = \(p.alexSession)
                """
            )
            let partner = try await reach(
                p.app,
                open: "SELECT 1 FROM haven_open_partner_context(\(p.alexSession), 'attacker', NULL)",
                count: "SELECT count(*) FROM haven_portal_assignments()",
                wait: .seconds(16)
            )
            #expect(partner.before == 2 && partner.after == nil)
        }
    }

    @Test func aTransactionBegunWhileTheSessionWasLiveCannotOpenAFreshContextAfterItIdledOut() async throws {
        try await portal { p in
            try await p.owner.query(
                """
                WITH seen AS (
                    UPDATE staff_session_activity SET last_seen_at = now() WHERE token_hash = \(p.setup.counselorA.sessionHash)
                )
                UPDATE staff_sessions SET idle_timeout_seconds = 15 WHERE token_hash = \(p.setup.counselorA.sessionHash)
                """
            )
            // Begun while the session was live, opened 16 s later: the deadline counts from the begin.
            let staff = try await reach(
                p.app,
                open: "SELECT 1 FROM haven_open_context(\(p.setup.counselorA.sessionHash), false, 'attacker', NULL)",
                count: "SELECT (SELECT count(*) FROM progress_notes) + (SELECT count(*) FROM couples)",
                wait: .zero,
                openAfter: .seconds(16)
            )
            #expect(staff.before == 0 && staff.after == 0)
            try await p.owner.query(
                """
                WITH seen AS (UPDATE partner_session_activity SET last_seen_at = now() WHERE token_hash = \(p.alexSession))
                UPDATE partner_sessions SET idle_timeout_seconds = 15 WHERE token_hash = \(p.alexSession)
                """
            )
            let partner = try await reach(
                p.app,
                open: "SELECT 1 FROM haven_open_partner_context(\(p.alexSession), 'attacker', NULL)",
                count: "SELECT count(*) FROM haven_portal_assignments()",
                wait: .zero,
                openAfter: .seconds(16)
            )
            #expect(partner.before == nil && partner.after == nil)
        }
    }

    @Test func aContextWithinItsIdlePeriodKeepsItsReach() async throws {
        try await portal { p in
            let staff = try await reach(
                p.app,
                open: "SELECT 1 FROM haven_open_context(\(p.setup.counselorA.sessionHash), false, 'attacker', NULL)",
                count: "SELECT count(*) FROM couples",
                wait: .milliseconds(100)
            )
            #expect(staff.before == 1 && staff.after == 1)
            // A context written by the server carries a deadline; only the owner's operator contexts have none.
            try await p.app.withConnection { connection in
                try await connection.transaction { connection in
                    try await connection.query(
                        "SELECT 1 FROM haven_open_context(\(p.setup.counselorA.sessionHash), false, 'attacker', NULL)"
                    )
                }
            }
            let deadlines = try await p.owner.query(
                """
                SELECT count(*) FILTER (WHERE valid_until IS NULL), count(*) FILTER (WHERE valid_until > now())
                FROM request_contexts WHERE token_hash = \(p.setup.counselorA.sessionHash)
                """
            )[0].decode((Int, Int).self)
            #expect(deadlines.0 == 0 && deadlines.1 >= 1)
        }
    }
}
