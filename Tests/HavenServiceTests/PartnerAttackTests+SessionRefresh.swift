import Foundation
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migrations 0068, 0074 and 0075: opening a context refreshes a session seen more than 30 seconds
/// ago, does not wait for another open transaction of the same session that is refreshing it, and a
/// transaction held open after its refresh holds back no sign-out or revocation.
extension PartnerAttackTests {
    /// Runs `body` while a transaction of `pool` that ran the statements `open` stays open (an
    /// attacker's, holding whatever they locked).
    static func whileOpen<Value: Sendable>(
        _ open: PostgresQuery...,
        on pool: ConnectionPool,
        _ body: @Sendable @escaping () async throws -> Value
    ) async throws -> Value {
        try await pool.withConnection { held in
            try await held.transaction { held in
                for statement in open {
                    _ = try await held.query(statement)
                }
                return try await body()
            }
        }
    }

    /// Opens `open` in one transaction and, while it is open, again in a second (with a lock timeout, so
    /// a wait ends in 55P03 instead of hanging); returns how many rows `count` shows the second.
    func openTwice(_ pool: ConnectionPool, open: PostgresQuery, count: PostgresQuery) async throws -> Int {
        try await Self.whileOpen(open, on: pool) {
            try await pool.withConnection { second in
                try await second.transaction { second in
                    try await second.execute("SET LOCAL lock_timeout = '5s'")
                    _ = try await second.query(open)
                    return try await second.query(count)[0].decode(0, as: Int.self)
                }
            }
        }
    }

    /// Counselor A's and Alex's sessions, last seen a minute ago: each is due for its refresh.
    func seenAMinuteAgo(_ p: Portal) async throws {
        try await p.owner.query(
            """
            WITH partner AS (
                UPDATE partner_session_activity SET last_seen_at = now() - interval '1 minute'
                WHERE token_hash = \(p.alexSession)
            )
            UPDATE staff_session_activity SET last_seen_at = now() - interval '1 minute'
            WHERE token_hash = \(p.setup.counselorA.sessionHash)
            """
        )
    }

    @Test func aSecondTransactionOfASessionDueForItsRefreshDoesNotWaitForTheFirst() async throws {
        try await portal { p in
            let staff = p.setup.counselorA.sessionHash
            try await seenAMinuteAgo(p)
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
                SELECT (SELECT last_seen_at > now() - interval '30 seconds' FROM staff_session_activity WHERE token_hash = \(staff))
                   AND (SELECT last_seen_at > now() - interval '30 seconds' FROM partner_session_activity
                        WHERE token_hash = \(p.alexSession))
                """
            )[0].decode(0, as: Bool.self)
            #expect(seen)
        }
    }

    @Test func aTransactionHeldOpenAfterItsRefreshHoldsBackNoSignOut() async throws {
        try await portal { p in
            let staff = p.setup.counselorA
            try await seenAMinuteAgo(p)
            // An attacker with the app role's password opens a context of each session (refreshing it) and
            // keeps both transactions open. Meanwhile each session signs out in a transaction of its own,
            // with a lock timeout so that a wait ends in 55P03: before 0074 the refresh held the session's
            // row and the sign-out waited for it, while new contexts of the session went on opening.
            let staffOpen: PostgresQuery = "SELECT 1 FROM haven_open_context(\(staff.sessionHash), false, 'x', NULL)"
            let alexOpen: PostgresQuery = "SELECT 1 FROM haven_open_partner_context(\(p.alexSession), 'x', NULL)"
            try await Self.whileOpen(staffOpen, on: p.app) {
                try await Self.whileOpen(alexOpen, on: p.app) {
                    try await Self.asStaff(staff, p.app) { connection in
                        try await connection.execute("SET LOCAL lock_timeout = '5s'")
                        try await connection.execute("SELECT haven_sign_out()")
                    }
                    try await Self.asPartner(p.alexSession, p.app) { connection in
                        try await connection.execute("SET LOCAL lock_timeout = '5s'")
                        try await connection.execute("SELECT haven_portal_sign_out()")
                    }
                    // Ended at once: no new context of either session opens.
                    let refused = await #expect(throws: PostgresError.self) {
                        try await Self.asStaff("SELECT 'x'", staff, p.app)
                    }
                    #expect(refused?.sqlState == "28000")
                    #expect(try await Self.opens(p.alexSession, p.app) == false)
                }
            }
        }
    }

    @Test func aPartnersTransactionHeldOpenAfterItsRefreshHoldsBackNoRevoke() async throws {
        try await portal { p in
            try await p.owner.query(
                "UPDATE partner_session_activity SET last_seen_at = now() - interval '1 minute' WHERE token_hash = \(p.joSession)"
            )
            let openJo: PostgresQuery = "SELECT 1 FROM haven_open_partner_context(\(p.joSession), 'attacker', NULL)"
            try await Self.whileOpen(openJo, on: p.app) {
                // The counselor revokes Jo's access to the couple's chart, which deletes Jo's sessions on it:
                // with 0074's ON DELETE CASCADE the delete waited for the held activity row (55P03 here).
                let answer = try await Self.asStaffWithoutWaiting(
                    "SELECT haven_portal_revoke(\(p.jo), 'couple', \(p.couple))",
                    p.setup.counselorA,
                    p.app
                )
                #expect(answer == "done")
                #expect(try await Self.opens(p.joSession, p.app) == false)
            }
            // The held row outlived its session; no session joins it, and a new session of Jo's gets its own.
            let left = try await p.owner.query(
                """
                SELECT count(*) FROM partner_session_activity a
                WHERE a.token_hash = \(p.joSession)
                  AND NOT EXISTS (SELECT 1 FROM partner_sessions s WHERE s.token_hash = a.token_hash)
                """
            )[0].decode(0, as: Int.self)
            #expect(left == 1)
        }
    }
}
