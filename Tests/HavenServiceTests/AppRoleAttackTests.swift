import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// The trust boundary tried from the attacker's side: someone holding the `haven_app` password (the
/// server's secret) connects with plain SQL — no service code — and tries to widen their reach. Every
/// statement here is what such a person could type into psql.
@Suite("haven_app with raw SQL cannot widen its reach", .needsTestDatabase)
struct AppRoleAttackTests {
    /// Every table that holds practice data, and the context store itself.
    static let tables =
        ProtectedTables.all + [
            "break_glass_grants", "staff_totp", "report_runs", "report_summaries", "request_contexts", "sign_in_decoy",
        ]

    /// A practice with one counselor's couple, a signed note and a session; counselor B has nothing.
    private func clinic<Value>(_ body: (ClinicSetup, _ couple: UUID) async throws -> Value) async throws -> Value {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let (note, version) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            _ = try await setup.notes.sign(note, expectedVersion: version, actor: setup.counselorA)
            return try await body(setup, couple)
        }
    }

    /// Counts the rows of `table` a transaction of its own sees after `setup` ran in it, or nil when
    /// it may not look at all.
    private func visibleRows(
        _ table: String,
        on connection: PostgresConnection,
        after setup: PostgresQuery? = nil
    ) async throws -> Int? {
        do {
            return try await connection.transaction { connection in
                if let setup { try await connection.execute(setup) }
                // The built-in homework and measure libraries (no practice) are public by design.
                let library = ["homework_prompts", "measure_definitions"].contains(table)
                let count = "SELECT count(*) FROM \(table)" + (library ? " WHERE practice_id IS NOT NULL" : "")
                return try await connection.query(PostgresQuery(sql: count))[0].decode(
                    0,
                    as: Int.self
                )
            }
        } catch let error as PostgresError where error.code == .insufficientPrivilege {
            return nil
        }
    }

    @Test func settingsAnyRoleCanSetWidenNothing() async throws {
        try await clinic { setup, couple in
            let staffIDs = [setup.fixture.counselorID, setup.counselorBID]
                .map { $0.uuidString.lowercased() }.joined(separator: ",")
            let practice = setup.fixture.practiceID.uuidString.lowercased()
            // The attacker's own client, which sends session-level settings even where Haven's layer
            // refuses them (behind PgBouncer, `scripts/test --pgbouncer`).
            var raw = setup.fixture.app.configuration
            raw.pooler = .none
            raw.statementCacheCapacity = 0
            try await TestDatabase.withConnection(raw) { connection in
                // Session-level settings first, then transaction-level ones on top.
                for name in ["app.practice_id", "app.staff_id", "app.caseload", "app.break_glass"] {
                    let value =
                        name == "app.practice_id" ? practice : name == "app.break_glass" ? "couple:\(couple)" : staffIDs
                    try await connection.execute("SELECT set_config(\(name), \(value), false)")
                }
                let staff = setup.fixture.counselorID.uuidString.lowercased()
                let settings: PostgresQuery = """
                    SELECT set_config('app.practice_id', \(practice), true), set_config('app.staff_id', \(staff), true),
                           set_config('app.caseload', \(staffIDs), true),
                           set_config('app.break_glass', \("couple:\(couple)"), true)
                    """
                for table in Self.tables {
                    let seen = try await visibleRows(table, on: connection, after: settings)
                    #expect(seen == nil || seen == 0, "\(table) shows \(seen ?? -1) rows to hand-set settings")
                }
            }
        }
    }

    @Test func roleLevelDefaultsWidenNothing() async throws {
        try await clinic { setup, _ in
            let practice = setup.fixture.practiceID.uuidString.lowercased()
            // A role may set its own defaults; in this test's private database it harms no other test.
            let database = try await setup.fixture.app.query("SELECT current_database()")[0].decode(0, as: String.self)
            let set = PostgresQuery(
                sql: "ALTER ROLE haven_app IN DATABASE \"\(database)\" SET app.practice_id = '\(practice)'"
            )
            let allowed = (try? await setup.fixture.app.query(set)) != nil
            let connection = try await PostgresConnection.connect(
                setup.fixture.app.configuration,
                logger: TestDatabase.logger
            )
            let seen = try await connection.query("SELECT count(*) FROM clients")[0].decode(0, as: Int.self)
            await connection.close()
            #expect(seen == 0)
            if allowed {
                _ = try await setup.fixture.owner.query(
                    PostgresQuery(sql: "ALTER ROLE haven_app IN DATABASE \"\(database)\" RESET app.practice_id")
                )
            }
        }
    }

    @Test func withoutAContextEveryTableIsEmptyOrClosed() async throws {
        try await clinic { setup, _ in
            try await setup.fixture.app.withConnection { connection in
                for table in Self.tables {
                    let seen = try await visibleRows(table, on: connection)
                    #expect(seen == nil || seen == 0, "\(table) shows \(seen ?? -1) rows without a context")
                }
            }
        }
    }

    @Test func secretsAreClosedEvenToALiveSession() async throws {
        try await clinic { setup, _ in
            let actor = setup.counselorA
            for statement: PostgresQuery in [
                "SELECT password_hash FROM staff",
                "SELECT * FROM staff",
                "SELECT token_hash FROM staff_sessions",
                "SELECT secret FROM staff_totp",
                "SELECT * FROM request_contexts",
                "SELECT secret FROM sign_in_decoy",
            ] {
                let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                    try await setup.fixture.asAppRole(actor) { connection in try await connection.query(statement) }
                }
                #expect(refused?.code == .insufficientPrivilege, "\(statement.sql)")
            }
        }
    }

    @Test func directWritesOfWhoMayActAreRefused() async throws {
        try await clinic { setup, couple in
            let actor = setup.counselorA
            let victim = setup.counselorBID
            let forgedToken = [UInt8](repeating: 7, count: 32)
            let statements: [PostgresQuery] = [
                "UPDATE staff SET password_hash = '$scrypt$ln=10,r=8,p=1$AAAA$AAAA' WHERE id = \(victim)",
                "UPDATE staff SET roles = ARRAY['admin','counselor','supervisor'] WHERE id = \(actor.staffID)",
                """
                INSERT INTO staff_sessions (token_hash, practice_id, staff_id, idle_timeout_seconds, absolute_expires_at)
                VALUES (\(forgedToken), \(setup.fixture.practiceID), \(victim), 900, now() + interval '1 hour')
                """,
                "UPDATE staff_sessions SET absolute_expires_at = now() + interval '1 year'",
                "DELETE FROM staff_totp WHERE staff_id = \(victim)",
                """
                INSERT INTO break_glass_grants (id, practice_id, staff_id, chart_kind, chart_id, reason, reason_key_id, expires_at)
                SELECT gen_random_uuid(), practice_id, \(actor.staffID), 'couple', \(couple), '\\x00', id, now() + interval '1 hour'
                FROM data_keys LIMIT 1
                """,
                """
                INSERT INTO audit_log (practice_id, seq, occurred_at, action, outcome, source, previous_hash, hash)
                VALUES (\(setup.fixture.practiceID), 1000, now(), 'export.client', 'success', 'x', '\\x00', '\\x00')
                """,
                "UPDATE request_contexts SET caseload = ARRAY[\(victim)]",
                "INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id) VALUES (\(setup.fixture.practiceID), \(actor.staffID), \(victim))",
                "SELECT haven_operator_context(\(setup.fixture.practiceID), \(victim), 'x', NULL)",
                """
                SELECT haven_write_context(\(setup.fixture.practiceID), \(victim), ARRAY['counselor'], ARRAY[\(victim)], false,
                                           '{}', NULL, 'x', NULL)
                """,
                """
                SELECT * FROM haven_audit_write(\(setup.fixture.practiceID), \(victim), ARRAY['supervisor'], false, 'x', NULL,
                                                'export.client', 'client', NULL, '{}', 'success', NULL)
                """,
                "SELECT haven_break_glass_reach(\(setup.fixture.practiceID), \(victim))",
                // The context's other writers and the session look-ups run with their caller's rights
                // (migrations 0069, 0070), as do the audit writers above: only the owner's functions may
                // call them.
                """
                SELECT haven_write_partner_context(\(setup.fixture.practiceID), \(victim), \(victim), NULL, '\\x00',
                                                   'x', NULL)
                """,
                "SELECT haven_write_pending_context(\(actor.sessionHash), 'x', NULL)",
                "SELECT * FROM haven_live_session(\(actor.sessionHash))",
                "SELECT * FROM haven_portal_live_session(\(actor.sessionHash))",
                // The entry's writer with a partner (migration 0070), like the form above.
                """
                SELECT * FROM haven_audit_write(\(setup.fixture.practiceID), \(victim), ARRAY['supervisor'], false, 'x', NULL,
                                                'export.client', 'client', NULL, '{}', 'success', NULL, NULL::uuid)
                """,
            ]
            for statement in statements {
                let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                    try await setup.fixture.asAppRole(actor) { connection in try await connection.query(statement) }
                }
                #expect(refused?.code == .insufficientPrivilege, "\(statement.sql): \(String(describing: refused))")
            }
            // The settings-based setters and the lookups that handed out password hashes are gone.
            for statement: PostgresQuery in [
                "SELECT haven_set_context(\(setup.fixture.practiceID), \(victim), true)",
                "SELECT haven_set_context(\(setup.fixture.practiceID), \(victim))",
                "SELECT * FROM haven_login_lookup('sam@harbor.example')",
                "SELECT * FROM haven_session_lookup(\(forgedToken))",
            ] {
                let missing = await #expect(throws: PostgresError.self) {
                    try await setup.fixture.app.query(statement)
                }
                #expect(missing?.sqlState == "42883", "\(statement.sql)")
            }
            // Nothing the attempts did stuck: the chain is intact and the victim still signs in.
            let audit = try await setup.fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: setup.fixture.practiceID, on: $0)
            }
            #expect(audit.firstBreak == nil)
            _ = try await setup.fixture.auth().login(
                email: "sam@harbor.example",
                password: StaffFixture.password,
                source: "t"
            )
        }
    }

    @Test func aContextReachesOnlyItsOwnCaseloadAndEndsWithItsTransaction() async throws {
        try await clinic { setup, _ in
            let (a, b) = (setup.counselorA, setup.counselorB)
            try await setup.fixture.app.withConnection { connection in
                let ownNotes = try await connection.transaction { connection in
                    try await connection.query("SELECT 1 FROM haven_open_context(\(a.sessionHash), false, 't', NULL)")
                    return try await connection.query("SELECT count(*) FROM progress_notes")[0].decode(0, as: Int.self)
                }
                #expect(ownNotes == 1)
                // The next transaction on the same connection has no context at all.
                let after = try await connection.transaction { connection in
                    try await connection.query("SELECT count(*) FROM progress_notes")[0].decode(0, as: Int.self)
                }
                #expect(after == 0)
                // Counselor B's session reaches none of A's charts, whatever B sets by hand.
                let others = try await connection.transaction { connection in
                    try await connection.query("SELECT 1 FROM haven_open_context(\(b.sessionHash), true, 't', NULL)")
                    try await connection.execute(
                        "SELECT set_config('app.caseload', \(a.staffID.uuidString.lowercased()), true)"
                    )
                    return try await connection.query(
                        "SELECT (SELECT count(*) FROM progress_notes) + (SELECT count(*) FROM couples) + (SELECT count(*) FROM clients)"
                    )[0].decode(0, as: Int.self)
                }
                #expect(others == 0)
            }
        }
    }

    @Test func anEndedOrForgedSessionOpensNoContext() async throws {
        try await clinic { setup, _ in
            let actor = setup.counselorA
            try await setup.fixture.staff.endSessions(
                of: actor.staffID,
                practiceID: setup.fixture.practiceID,
                source: "test"
            )
            for token in [actor.sessionHash, [UInt8](repeating: 1, count: 32)] {
                let refused = await #expect(throws: PostgresError.self) {
                    try await setup.fixture.app.withConnection { connection in
                        try await connection.transaction { connection in
                            try await connection.query("SELECT 1 FROM haven_open_context(\(token), false, 't', NULL)")
                        }
                    }
                }
                #expect(refused?.sqlState == "28000")
            }
            // Through the service, the same is a clear "sign in again".
            let expired = await #expect(throws: ServiceError.self) {
                try await setup.charts.listCouples(actor: actor)
            }
            #expect(expired?.kind == .unauthenticated)
        }
    }

    @Test func signInHandsOutSaltsNeverHashes() async throws {
        try await StaffFixture.with { fixture in
            let known = try await fixture.app.query("SELECT haven_sign_in_settings('dana@harbor.example')")[0]
                .decode(0, as: String.self)
            let stored = try await fixture.owner.query(
                "SELECT password_hash FROM staff WHERE id = \(fixture.counselorID)"
            )[0].decode(0, as: String.self)
            #expect(stored.hasPrefix(known + "$") && stored.count > known.count + 20)
            // An unknown email gets settings of the same shape, the same each time.
            let unknown = try await fixture.app.query("SELECT haven_sign_in_settings('nobody@harbor.example')")[0]
                .decode(0, as: String.self)
            let again = try await fixture.app.query("SELECT haven_sign_in_settings(' Nobody@Harbor.example')")[0]
                .decode(0, as: String.self)
            #expect(unknown == again && unknown.split(separator: "$").count == 3 && unknown.hasPrefix("$scrypt$"))
            // A wrong candidate opens nothing and is audited as a refused sign-in.
            let token = try SessionToken.generate()
            let wrong = known + "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            let ticket = try await SignInTicket.note("staff", "dana@harbor.example", wrong, fixture.app)
            let outcome = try await fixture.app.query(
                """
                SELECT outcome FROM haven_sign_in(\(ticket), 'dana@harbor.example', \(wrong),
                                                  \(token.storageHash), 900, 3600, NULL, 'attacker', NULL)
                """
            )[0].decode(0, as: String.self)
            #expect(outcome == "refused")
            let denied = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: fixture.practiceID, action: "staff.login", outcome: .denied),
                    on: connection
                )
            }
            #expect(denied.count == 1 && denied[0].entry.source == "attacker")
        }
    }

    @Test func thePasswordAndTheAppRoleDoNotPassTheSecondFactor() async throws {
        try await ClinicSetup.with { setup in
            // Dana has a confirmed app; the attacker knows her password and holds haven_app, not the
            // master key, so they can make no attestation.
            let totp = TOTPService(pool: setup.fixture.app, keys: setup.keys)
            let app = try await totp.enrolledApp(for: setup.counselorA)
            let settings = try await setup.fixture.app.query("SELECT haven_sign_in_settings('dana@harbor.example')")[0]
                .decode(0, as: String.self)
            let candidate = try #require(await StaffFixture.hasher.derive(StaffFixture.password, settings: settings))
            for forged in [[UInt8](repeating: 0, count: 32), []] {
                let token = try SessionToken.generate()
                let ticket = try await SignInTicket.note("staff", "dana@harbor.example", candidate, setup.fixture.app)
                let live = try await setup.fixture.app.withConnection { connection in
                    try await connection.transaction { connection in
                        let outcome = try await connection.query(
                            """
                            SELECT outcome FROM haven_sign_in(\(ticket), 'dana@harbor.example', \(candidate), \(token.storageHash),
                                                              900, 3600, NULL, 'attacker', NULL)
                            """
                        )[0].decode(0, as: String.self)
                        #expect(outcome == "second-factor")
                        // While the code is owed, the sign-in's own context reaches no chart.
                        let charts = try await connection.query("SELECT count(*) FROM couples")[0].decode(
                            0,
                            as: Int.self
                        )
                        #expect(charts == 0)
                        let step = app.step(at: Date()) + 1_000
                        return try await connection.query(
                            "SELECT haven_sign_in_second_factor(\(step), 1, \(forged.isEmpty ? nil : forged))"
                        )[0].decode(0, as: Bool.self)
                    }
                }
                #expect(!live)
                // The waiting session is gone and the attempt is on record.
                let refused = await #expect(throws: PostgresError.self) {
                    try await setup.fixture.app.withConnection { connection in
                        try await connection.transaction { connection in
                            try await connection.query(
                                "SELECT 1 FROM haven_open_context(\(token.storageHash), false, 't', NULL)"
                            )
                        }
                    }
                }
                #expect(refused?.sqlState == "28000")
            }
            let denied = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "staff.login", outcome: .denied),
                    on: connection
                )
            }
            #expect(denied.count == 2 && denied.allSatisfy { $0.entry.source == "attacker" })
            // Removing the app with an invented step fails the same way; the real code still works.
            let removed = try await setup.fixture.asAppRole(setup.counselorA) { connection in
                try await connection.query(
                    "SELECT haven_totp_remove(\(app.step(at: Date()) + 2_000), 1, \([UInt8](repeating: 9, count: 32)))"
                )[0].decode(0, as: String.self)
            }
            #expect(removed == "stale")
            _ = try await setup.fixture.auth(keys: setup.keys).login(
                email: "dana@harbor.example",
                password: StaffFixture.password,
                totpCode: app.code(step: app.step(at: Date())),
                source: "t"
            )
        }
    }

    @Test func theDatabasesHMACMatchesRFC4231() async throws {
        try await StaffFixture.with { fixture in
            let cases: [(key: [UInt8], data: [UInt8], mac: String)] = [
                (
                    [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
                ),
                (
                    Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
                ),
            ]
            for (key, data, mac) in cases {
                let computed = try await fixture.owner.query("SELECT haven_hmac_sha256(\(key), \(data))")[0]
                    .decode(0, as: [UInt8].self)
                #expect(Hex.encode(computed) == mac)
            }
        }
    }
}
