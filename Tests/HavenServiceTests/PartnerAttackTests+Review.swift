import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// The findings of the 2026-12-06 attacker review of migration 0043, each tried again as `haven_app`.
extension PartnerAttackTests {
    /// The SQLSTATE `body` fails with, or nil when it succeeds.
    static func sqlState(_ body: () async throws -> Void) async throws -> String? {
        do {
            try await body()
            return nil
        } catch let error as PostgresError {
            return error.sqlState
        }
    }

    // MARK: - Finding 3: a partner's audit entries

    @Test func aPartnerRecordsOnlyPortalReadsOfTheirChartAndNoOneElseSignsANote() async throws {
        try await portal { p in
            let note = try await p.owner.query("SELECT id FROM progress_notes WHERE state = 'signed'")[0]
                .decode(0, as: UUID.self)
            for action in ["note.sign", "staff.login", "portal.login", "portal.invitation.spend"] {
                let state = try await Self.sqlState {
                    try await Self.asPartner(p.alexSession, p.app) { connection in
                        _ = try await connection.execute(
                            """
                            SELECT haven_audit_append(\(action), 'note', \(note), ARRAY[\(p.jo)]::uuid[], 'success',
                                                      sha256('forged'::bytea))
                            """
                        )
                    }
                }
                #expect(state == "42501", "\(action)")
            }
            // An allowed read names the chart and its clients whatever the caller passed, and no digest.
            try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.execute(
                    """
                    SELECT haven_audit_append('portal.home.read', 'note', \(note), ARRAY[\(UUID())]::uuid[], 'success',
                                              sha256('forged'::bytea))
                    """
                )
            }
            let entry = try await p.owner.query(
                """
                SELECT entity_type, entity_id, client_ids, digest IS NULL FROM audit_log
                WHERE action = 'portal.home.read' AND partner_client_id = \(p.alex) ORDER BY seq DESC LIMIT 1
                """
            )[0].decode((String?, UUID?, [UUID], Bool).self)
            #expect(entry.0 == "couple" && entry.1 == p.couple && Set(entry.2) == [p.alex, p.jo] && entry.3)
            // A note.sign entry by another staff member, or with a partner as the actor (as 0043 first
            // let one write), is not the note's signature: the check still matches the author's entry.
            _ = try await Self.asStaff(
                "SELECT 'x' FROM haven_audit_append('note.sign', 'note', \(note), '{}', 'success', sha256('forged'::bytea))",
                p.setup.counselorB,
                p.app
            )
            try await p.owner.query(
                """
                SELECT haven_audit_write(\(p.setup.fixture.practiceID), NULL, '{}', false, 'attacker', NULL, 'note.sign',
                                         'note', \(note), '{}', 'success', sha256('forged'::bytea), \(p.alex))
                """
            )
            let report = try await NoteIntegrity.verifyAll(pool: p.owner, keys: p.setup.keys)
            #expect(report.failures.isEmpty)
            #expect(report.checked == 1 && report.matchedToChain == 1)
        }
    }

    // MARK: - Finding 4 and 9: sessions with no chart, discharge and readmission

    @Test func aSessionWithNoChartEndsWithItsChartsAndDischargeEndsAccess() async throws {
        try await portal { p in
            /// Alex is (again) invited to Alex's own chart and spends it: two charts, none chosen.
            func twoCharts() async throws -> [UInt8] {
                let token = Self.tokenHash()
                #expect(
                    try await Self.asStaff(
                        "SELECT result FROM haven_portal_invite(\(p.alex), 'client', \(p.alex), NULL, \(token), 'invitation-code')",
                        p.setup.counselorA,
                        p.app
                    ) == "done"
                )
                _ = try await Self.spend(token, nil, nil, p.app)
                let session = Self.tokenHash()
                #expect(try await Self.signIn("alex@example.org", session, p.app) == "signed-in")
                #expect(try await Self.opens(session, p.app))
                return session
            }
            // Revoking one of the charts ends the session with no chart chosen (it signs in again).
            let first = try await twoCharts()
            #expect(
                try await Self.asStaff(
                    "SELECT haven_portal_revoke(\(p.alex), 'client', \(p.alex))",
                    p.setup.counselorA,
                    p.app
                ) == "done"
            )
            #expect(try await Self.opens(first, p.app) == false)
            // Discharging one ends it too.
            let second = try await twoCharts()
            _ = try await Self.asStaff(
                "UPDATE couples SET status = 'discharged' WHERE id = \(p.couple) RETURNING status",
                p.setup.counselorA,
                p.app
            )
            #expect(try await Self.opens(second, p.app) == false)
            // Readmission brings no access back: discharge revoked it; Jo (the couple only) is refused.
            _ = try await Self.asStaff(
                "UPDATE couples SET status = 'active' WHERE id = \(p.couple) RETURNING status",
                p.setup.counselorA,
                p.app
            )
            #expect(try await Self.signIn("jo@example.org", Self.tokenHash(), p.app) == "refused")
            let charts = try await p.owner.query(
                "SELECT count(*) FROM partner_chart_access WHERE chart_id = \(p.couple) AND revoked_at IS NULL"
            )[0].decode(0, as: Int.self)
            #expect(charts == 0)
            // A session with no chart chosen that somehow outlived every chart opens nothing.
            _ = try await Self.asStaff(
                "SELECT haven_portal_revoke(\(p.alex), 'client', \(p.alex))",
                p.setup.counselorA,
                p.app
            )
            let kept = Self.tokenHash()
            try await p.owner.query(
                """
                INSERT INTO partner_sessions (token_hash, practice_id, account_id, idle_timeout_seconds, absolute_expires_at)
                SELECT \(kept), practice_id, id, 900, now() + interval '1 hour' FROM partner_accounts
                WHERE client_id = \(p.alex)
                """
            )
            #expect(try await Self.opens(kept, p.app) == false)
        }
    }

    // MARK: - Finding 6: session limits and the passphrase's form

    @Test func sessionsAreBoundedByThePolicysRangeAndAPassphraseHasItsForm() async throws {
        try await portal { p in
            for (idle, lifetime) in [(Int32.max, 43_200), (900, 2_000_000_000), (0, 43_200), (900, 604_801)] {
                let ticket = try await SignInTicket.note("partner", "alex@example.org", Self.passphrase, p.app)
                let state = try await Self.sqlState {
                    _ = try await p.app.query(
                        """
                        SELECT outcome FROM haven_portal_sign_in(\(ticket), 'alex@example.org', \(Self.passphrase), \(Self.tokenHash()),
                                                                 \(idle), \(Int32(lifetime)), NULL, 'attacker', NULL)
                        """
                    )
                }
                #expect(state == "23514", "partner \(idle) \(lifetime)")
            }
            // A rehash must have PasswordHasher's form too.
            let ticket = try await SignInTicket.note("partner", "alex@example.org", Self.passphrase, p.app)
            let rehash = try await Self.sqlState {
                _ = try await p.app.query(
                    """
                    SELECT outcome FROM haven_portal_sign_in(\(ticket), 'alex@example.org', \(Self.passphrase), \(Self.tokenHash()),
                                                             900, 43200, '$scrypt$x$y$z', 'attacker', NULL)
                    """
                )
            }
            #expect(rehash == "23514")
            // So must the passphrase an invitation sets.
            let token = Self.tokenHash()
            #expect(
                try await Self.asStaff(
                    "SELECT haven_portal_revoke(\(p.alex), 'couple', \(p.couple))",
                    p.setup.counselorA,
                    p.app
                ) == "done"
            )
            try await p.owner.query("UPDATE partner_accounts SET passphrase_hash = NULL WHERE client_id = \(p.alex)")
            #expect(
                try await Self.asStaff(
                    "SELECT result FROM haven_portal_invite(\(p.alex), 'couple', \(p.couple), NULL, \(token), 'invitation-code')",
                    p.setup.counselorA,
                    p.app
                ) == "done"
            )
            for malformed in ["$scrypt$x$y$z", "$scrypt$ln=17,r=8,p=1$$", "$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA"] {
                let spent = try await Self.spend(token, nil, malformed, p.app)
                #expect(spent == "invalid", "\(malformed)")
            }
            // Staff sessions have the same bounds.
            let settings = try await p.app.query("SELECT haven_sign_in_settings('dana@harbor.example')")[0]
                .decode(0, as: String.self)
            let candidate = try #require(await StaffFixture.hasher.derive(StaffFixture.password, settings: settings))
            for (idle, lifetime) in [(Int32.max, Int32(43_200)), (900, Int32(2_000_000_000))] {
                let ticket = try await SignInTicket.note("staff", "dana@harbor.example", candidate, p.app)
                let state = try await Self.sqlState {
                    _ = try await p.app.query(
                        """
                        SELECT outcome FROM haven_sign_in(\(ticket), 'dana@harbor.example', \(candidate), \(Self.tokenHash()),
                                                          \(idle), \(lifetime), NULL, 'attacker', NULL)
                        """
                    )
                }
                #expect(state == "23514", "staff \(idle) \(lifetime)")
            }
        }
    }

    // MARK: - Finding 1: assignments without staff columns, no data key

    @Test func aPartnerReadsAssignmentsOnlyThroughThePortalsColumnsAndNoKey() async throws {
        try await portal { p in
            let direct = try await Self.asPartner(p.alexSession, p.app) { connection in
                let rows = try await connection.query(
                    "SELECT count(*) FROM homework_assignments WHERE risk_override_reason IS NULL OR true"
                )[0].decode(0, as: Int.self)
                let keys = try await connection.query("SELECT count(*) FROM data_keys")[0].decode(0, as: Int.self)
                let portal = try await connection.query("SELECT count(*) FROM haven_portal_assignments()")[0]
                    .decode(0, as: Int.self)
                return (rows, keys, portal)
            }
            #expect(direct == (0, 0, 2))
            let columns = try await p.owner.query(
                "SELECT pg_get_function_result('haven_portal_assignments()'::regprocedure)"
            )[0].decode(0, as: String.self)
            #expect(
                columns
                    == "TABLE(id uuid, title text, instructions text, due_on date, joint boolean, "
                    + "series_assignment_id uuid, series_position smallint, questions text[], answered boolean)"
            )
            // A staff context (or none) gets nothing from it.
            let staff = try await Self.sqlState {
                _ = try await Self.asStaff(
                    "SELECT id::text FROM haven_portal_assignments()",
                    p.setup.counselorA,
                    p.app
                )
            }
            #expect(staff == "42501")
        }
    }
}
