import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// Review 10, finding 1, tried as `haven_app` with raw SQL: the password step of an account with a
/// code app opens no staff context, neither `haven_sign_in` answering `second-factor` nor
/// `haven_open_pending_context` (migration 0050). Only the code step reads the pending context.
extension AppRoleAttackTests {
    /// Every function haven_app may run whose body calls one of `readers` (a context reader such as
    /// `haven_context_staff`), but for `except`, with a call of NULLs of its argument types (enumerated
    /// from the catalog, so a new one is tried too).
    static func functions(
        calling readers: [String] = ["haven_context_staff"],
        except: [String] = [],
        _ pool: ConnectionPool
    ) async throws -> [(name: String, call: String)] {
        try await pool.query(
            """
            SELECT p.oid::regprocedure::text,
                   format('SELECT %I(%s)', p.proname,
                          coalesce((SELECT string_agg(format('NULL::%s', format_type(a.t, NULL)), ', ' ORDER BY a.o)
                                    FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a (t, o)), ''))
            FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace
              AND EXISTS (SELECT 1 FROM unnest(\(readers)::text[]) r WHERE p.prosrc LIKE '%' || r || '()%')
              AND p.proname <> ALL (\(readers + except)::text[])
              AND has_function_privilege('haven_app', p.oid, 'EXECUTE')
            ORDER BY 1
            """
        ).map { try $0.decode((String, String).self) }
    }

    /// In the open transaction on `connection` (which holds a pending context): the staff readers
    /// answer nothing, no chart or data key is visible, and each of `functions` raises 42501 or 28000
    /// (each in a savepoint of its own). Returns the functions that did not.
    private static func nothingStaffRuns(
        _ functions: [(name: String, call: String)],
        on connection: PostgresConnection
    ) async throws -> [String] {
        let readers = try await connection.query(
            """
            SELECT haven_current_practice() IS NULL AND haven_current_staff() IS NULL
                   AND haven_current_caseload() = '{}' AND haven_current_break_glass() = '{}',
                   (SELECT count(*) FROM couples) + (SELECT count(*) FROM data_keys) + (SELECT count(*) FROM staff)
            """
        )[0].decode((Bool, Int).self)
        #expect(readers.0, "a staff reader answered for a pending context")
        #expect(readers.1 == 0, "a pending context saw practice rows")
        var ran: [String] = []
        for function in functions {
            try await connection.execute("SAVEPOINT attempt")
            do {
                _ = try await connection.query(PostgresQuery(sql: function.call))
                ran.append(function.name)
            } catch let error as PostgresError where ["42501", "28000"].contains(error.sqlState ?? "") {
            } catch let error as PostgresError {
                ran.append("\(function.name) raised \(error.sqlState ?? "?")")
            }
            try await connection.execute("ROLLBACK TO SAVEPOINT attempt")
        }
        return ran
    }

    @Test func thePasswordStepOpensNoStaffContext() async throws {
        try await ClinicSetup.with { setup in
            // Dana is an admin with a confirmed app; the attacker knows her password and holds haven_app.
            _ = try await setup.fixture.owner.query(
                "UPDATE staff SET roles = '{counselor,admin}' WHERE id = \(setup.fixture.counselorID)"
            )
            let totp = TOTPService(pool: setup.fixture.app, keys: setup.keys)
            let app = try await totp.enrolledApp(for: setup.counselorA)
            let functions = try await Self.functions(setup.fixture.app)
            #expect(functions.count >= 20)
            #expect(functions.contains { $0.name.hasPrefix("haven_admin_staff_end_sessions(") })

            // (a) haven_sign_in answering second-factor, then everything in the same transaction.
            let settings = try await setup.fixture.app.query("SELECT haven_sign_in_settings('dana@harbor.example')")[0]
                .decode(0, as: String.self)
            let candidate = try #require(await StaffFixture.hasher.derive(StaffFixture.password, settings: settings))
            let ticket = try await SignInTicket.note("staff", "dana@harbor.example", candidate, setup.fixture.app)
            let session = try SessionToken.generate()
            let afterPassword = try await setup.fixture.app.withConnection { connection in
                try await connection.execute("BEGIN")
                let outcome = try await connection.query(
                    """
                    SELECT outcome FROM haven_sign_in(\(ticket), 'dana@harbor.example', \(candidate),
                                                      \(session.storageHash), 900, 3600, NULL, 'attacker', NULL)
                    """
                )[0].decode(0, as: String.self)
                #expect(outcome == "second-factor")
                let ran = try await Self.nothingStaffRuns(functions, on: connection)
                try await connection.execute("ROLLBACK")
                return ran
            }
            #expect(afterPassword.isEmpty, "ran after a second-factor sign-in: \(afterPassword)")

            // (b) the browser's committed pending session, opened with haven_open_pending_context.
            let auth = setup.fixture.auth(keys: setup.keys)
            guard let token = try await auth.waitingForCode("dana@harbor.example") else { return }
            let fromPending = try await setup.fixture.app.withConnection { connection in
                try await connection.execute("BEGIN")
                let row = try await connection.query(
                    "SELECT roles FROM haven_open_pending_context(\(token.storageHash), 'attacker', NULL)"
                )[0].decode(0, as: [String].self)
                #expect(row.contains("admin"))
                let ran = try await Self.nothingStaffRuns(functions, on: connection)
                try await connection.execute("ROLLBACK")
                return ran
            }
            #expect(fromPending.isEmpty, "ran from a pending context: \(fromPending)")
            let acted = try await setup.fixture.owner.query(
                "SELECT count(*) FROM audit_log WHERE source = 'attacker' AND outcome = 'success'"
            )[0].decode(0, as: Int.self)
            #expect(acted == 0)

            // The code step still works: the right code makes the pending session a full one.
            let signIn = try await auth.completeSecondFactor(
                token: token,
                code: app.code(step: app.step(at: Date())),
                source: "t"
            )
            #expect(signIn.actor.roles.contains(.admin))
            _ = try await auth.authenticate(token, source: "t")
        }
    }
}
