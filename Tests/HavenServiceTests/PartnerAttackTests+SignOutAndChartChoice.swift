import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migration 0076: a sign-out or a partner's chart choice kept open in a transaction (by someone with
/// the app role's password and the session's token) holds back no one else ending the session. Before
/// 0076 both wrote the session's row, so the admin's "end sessions", a counselor's revoke and a pause
/// waited for the attacker's commit (55P03 under the lock timeouts here) while the session's other
/// transactions went on opening contexts.
extension PartnerAttackTests {
    @Test func aSignOutHeldOpenHoldsBackNoOneElsesEnd() async throws {
        try await portal { p in
            let counselor = p.setup.counselorA
            try await Self.whileOpen(
                "SELECT 1 FROM haven_open_context(\(counselor.sessionHash), false, 'attacker', NULL)",
                "SELECT haven_sign_out()",
                on: p.app
            ) {
                try await Self.whileOpen(
                    "SELECT 1 FROM haven_open_partner_context(\(p.alexSession), 'attacker', NULL)",
                    "SELECT haven_portal_sign_out()",
                    on: p.app
                ) {
                    // The counselor revokes Alex's access, then the admin ends the counselor's sessions,
                    // each at once; then neither session opens a context, though neither sign-out committed.
                    let revoked = try await Self.asStaffWithoutWaiting(
                        "SELECT haven_portal_revoke(\(p.alex), 'couple', \(p.couple))",
                        counselor,
                        p.app
                    )
                    #expect(revoked == "done")
                    #expect(try await Self.opens(p.alexSession, p.app) == false)
                    let ended = try await Self.asStaffWithoutWaiting(
                        "SELECT haven_admin_staff_end_sessions(\(counselor.staffID))",
                        p.setup.admin,
                        p.app
                    )
                    #expect(ended == "done")
                    let refused = await #expect(throws: PostgresError.self) {
                        try await Self.asStaff("SELECT 'x'", counselor, p.app)
                    }
                    #expect(refused?.sqlState == "28000")
                }
            }
        }
    }

    @Test func aChartChoiceHeldOpenHoldsBackNoRevokeOrPause() async throws {
        try await portal { p in
            let choose: PostgresQuery = "SELECT haven_portal_choose_chart('couple', \(p.couple))"
            try await Self.whileOpen(
                "SELECT 1 FROM haven_open_partner_context(\(p.joSession), 'attacker', NULL)",
                choose,
                on: p.app
            ) {
                try await Self.whileOpen(
                    "SELECT 1 FROM haven_open_partner_context(\(p.alexSession), 'attacker', NULL)",
                    choose,
                    on: p.app
                ) {
                    // The counselor revokes Jo's access, then pauses the couple (which ends Alex's
                    // sessions on it), each at once, while both partners' choices stay open.
                    let revoked = try await Self.asStaffWithoutWaiting(
                        "SELECT haven_portal_revoke(\(p.jo), 'couple', \(p.couple))",
                        p.setup.counselorA,
                        p.app
                    )
                    #expect(revoked == "done")
                    #expect(try await Self.opens(p.joSession, p.app) == false)
                    let paused = try await Self.asStaffWithoutWaiting(
                        "UPDATE couples SET status = 'paused' WHERE id = \(p.couple) RETURNING status",
                        p.setup.counselorA,
                        p.app
                    )
                    #expect(paused == "paused")
                    #expect(try await Self.opens(p.alexSession, p.app) == false)
                }
            }
            // The choices committed after the sessions were deleted: neither session comes back.
            #expect(try await Self.opens(p.joSession, p.app) == false)
            #expect(try await Self.opens(p.alexSession, p.app) == false)
            let left = try await p.owner.query(
                "SELECT count(*) FROM partner_sessions WHERE token_hash IN (\(p.joSession), \(p.alexSession))"
            )[0].decode(0, as: Int.self)
            #expect(left == 0)
        }
    }
}

extension PartnerAttackTests {
    @Test func aContextWrittenForASignedOutSessionHasNoTimeLeft() async throws {
        try await portal { p in
            let staff = p.setup.counselorA
            for token in [staff.sessionHash, p.alexSession] {
                try await p.owner.query("INSERT INTO session_sign_outs (token_hash) VALUES (\(token))")
            }
            // The race 0078 closes, written directly as the owner: an opener's live check passed, then
            // the sign-out committed, then the context row was written. Its deadline is already past.
            let deadlines = try await p.owner.withConnection { connection in
                try await connection.transaction { connection in
                    _ = try await connection.query(
                        """
                        SELECT haven_write_context(\(p.setup.fixture.practiceID), \(staff.staffID), '{}', '{}', false,
                                                   '{}', \(staff.sessionHash), 'test', NULL)
                        """
                    )
                    let staffDeadline = try await connection.query(
                        "SELECT valid_until = '-infinity' FROM request_contexts WHERE backend_pid = pg_backend_pid()"
                    )[0].decode(0, as: Bool.self)
                    _ = try await connection.query(
                        """
                        SELECT haven_write_partner_context(\(p.setup.fixture.practiceID), \(p.alex), a.id, NULL,
                                                           \(p.alexSession), 'test', NULL)
                        FROM partner_accounts a WHERE a.client_id = \(p.alex)
                        """
                    )
                    let partnerDeadline = try await connection.query(
                        "SELECT valid_until = '-infinity' FROM request_contexts WHERE backend_pid = pg_backend_pid()"
                    )[0].decode(0, as: Bool.self)
                    return (staffDeadline, partnerDeadline)
                }
            }
            #expect(deadlines.0)
            #expect(deadlines.1)
        }
    }
}
