import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// New accounts and password resets by one-time set-password links (migration 0042), tried from the
/// attacker's side: raw SQL as `haven_app`, with the `Clinic` of `StaffAdminAttackTests`.
extension StaffAdminAttackTests {
    /// A token hash as the server would store it (the database only ever sees the SHA-256).
    private func tokenHash() -> [UInt8] {
        (0..<32).map { _ in UInt8.random(in: 0...255) }
    }

    /// A stored password in PasswordHasher's form (fake: the database compares strings).
    private static let newHash = "$scrypt$ln=17,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

    /// A Harbor front-desk account created by the first admin through its welcome link; its id and token.
    private func welcome(_ c: Clinic, email: String = "front@harbor.example") async throws -> (UUID, [UInt8]) {
        let token = tokenHash()
        let row = try await c.fixture.asAppRole(c.admin) { connection in
            try await connection.query(
                "SELECT result, staff_id FROM haven_admin_staff_create(\(email), 'Front Desk', ARRAY['scheduler'], \(token))"
            )[0].decode((String, UUID?).self)
        }
        #expect(row.0 == "done")
        return (try #require(row.1), token)
    }

    private func spend(_ token: [UInt8], _ c: Clinic, hash: String = newHash) async throws -> String {
        try await c.fixture.app.query(
            "SELECT haven_spend_password_link(\(token), \(hash), 'attacker', NULL)"
        )[0].decode(0, as: String.self)
    }

    private func linkAccount(_ token: [UInt8], _ c: Clinic) async throws -> [String] {
        try await c.fixture.app.query("SELECT email FROM haven_password_link_account(\(token))")
            .map { try $0.decode(0, as: String.self) }
    }

    /// Whether a sign-in with `candidate` as the derived hash opens a session (raw SQL, as the service's call).
    private func signsIn(_ email: String, _ candidate: String, _ c: Clinic) async throws -> Bool {
        let ticket = try await SignInTicket.note("staff", email, candidate, c.fixture.app)
        return try await c.fixture.app.withConnection { connection in
            try await connection.transaction { connection in
                try await connection.query(
                    "SELECT outcome FROM haven_sign_in(\(ticket), \(email), \(candidate), \(tokenHash()), 900, 43200, NULL, 'attacker', NULL)"
                )[0].decode(0, as: String.self) == "signed-in"
            }
        }
    }

    private func links(_ c: Clinic) async throws -> String {
        try await c.fixture.owner.query(
            """
            SELECT count(*) || ':' || count(spent_at) || ':' || count(superseded_at) FROM staff_password_links
            """
        )[0].decode(0, as: String.self)
    }

    @Test func theLinkFunctionsNeedAnAdminsContextAndRefuseOtherRoles() async throws {
        try await clinic { c in
            let desk = c.scheduler.staffID
            let statements: [PostgresQuery] = [
                "SELECT result FROM haven_admin_staff_create('new@harbor.example', 'New', ARRAY['scheduler'], \(tokenHash()))",
                "SELECT haven_admin_staff_password_link(\(desk), \(tokenHash()))",
            ]
            for statement in statements {
                for settings in [false, true] {
                    let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                        try await call(statement, as: nil, clinic: c, settings: settings)
                    }
                    #expect(refused?.code == .insufficientPrivilege, "\(statement.sql)")
                }
                for actor in [c.counselor, c.supervisor, c.scheduler] {
                    #expect(try await call(statement, as: actor, clinic: c) == "forbidden", "\(statement.sql)")
                }
            }
            // An admin who owes the practice a code app holds no role in the database (0041).
            try await c.fixture.owner.query(
                "UPDATE practices SET require_totp = true WHERE id = \(c.fixture.practiceID)"
            )
            for statement in statements {
                #expect(try await call(statement, as: c.admin, clinic: c) == "forbidden", "\(statement.sql)")
            }
            let denied = try await c.fixture.owner.query(
                """
                SELECT count(*) FROM audit_log WHERE source = 'attacker' AND outcome = 'denied'
                  AND action IN ('staff.create', 'staff.password.reset')
                """
            )[0].decode(0, as: Int.self)
            #expect(denied == 8)
            #expect(try await links(c) == "0:0:0")
            let accounts = try await c.fixture.owner.query(
                "SELECT count(*) FROM staff WHERE email = 'new@harbor.example'"
            )
            #expect(try accounts[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func anAdminCreatesNoClinicalAccountAndResetsNoClinicalPassword() async throws {
        try await clinic { c in
            for roles in [["counselor"], ["scheduler", "supervisor"], ["admin"], [], ["owner"]] {
                let result = try await call(
                    "SELECT result FROM haven_admin_staff_create('new@harbor.example', 'New', \(roles), \(tokenHash()))",
                    as: c.admin,
                    clinic: c
                )
                #expect(result == (roles.isEmpty || roles == ["owner"] ? "invalid" : "widening"), "\(roles)")
            }
            for target in [c.counselor, c.supervisor, c.secondAdmin] {
                #expect(
                    try await call(
                        "SELECT haven_admin_staff_password_link(\(target.staffID), \(tokenHash()))",
                        as: c.admin,
                        clinic: c
                    ) == "clinical"
                )
            }
            #expect(
                try await call(
                    "SELECT haven_admin_staff_password_link(\(c.admin.staffID), \(tokenHash()))",
                    as: c.admin,
                    clinic: c
                ) == "self"
            )
            // Another practice's admin reaches neither Harbor's front desk nor its emails' accounts.
            #expect(
                try await call(
                    "SELECT haven_admin_staff_password_link(\(c.scheduler.staffID), \(tokenHash()))",
                    as: c.otherAdmin,
                    clinic: c
                ) == "not-found"
            )
            #expect(
                try await call(
                    "SELECT result FROM haven_admin_staff_create('desk@harbor.example', 'Desk', ARRAY['scheduler'], \(tokenHash()))",
                    as: c.otherAdmin,
                    clinic: c
                ) == "taken"
            )
            #expect(try await links(c) == "0:0:0")
            let accounts = try await c.fixture.owner.query(
                "SELECT count(*) FROM staff WHERE email = 'new@harbor.example'"
            )
            #expect(try accounts[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func aNewAccountHasNoPasswordUntilItsMemberSpendsTheLinkOnce() async throws {
        try await clinic { c in
            let (front, token) = try await welcome(c)
            // No password: every candidate is refused, and the settings are the unknown-email decoy's form.
            #expect(try await signsIn("front@harbor.example", Self.newHash, c) == false)
            let settings = try await c.fixture.app.query("SELECT haven_sign_in_settings('front@harbor.example')")[0]
                .decode(0, as: String.self)
            #expect(settings.hasPrefix("$scrypt$ln=17,r=8,p=1$") && settings.split(separator: "$").count == 3)
            // The page's question, then a hash not in the stored form (the link stays open), then the spend.
            #expect(try await linkAccount(token, c) == ["front@harbor.example"])
            #expect(try await spend(token, c, hash: "plaintext") == "invalid")
            #expect(try await spend(token, c) == "done")
            #expect(try await signsIn("front@harbor.example", Self.newHash, c))
            // Spent: it answers nothing and sets nothing again.
            #expect(try await linkAccount(token, c) == [])
            #expect(try await spend(token, c, hash: "$scrypt$ln=17,r=8,p=1$b3RoZXI$b3RoZXI") == "refused")
            #expect(try await signsIn("front@harbor.example", Self.newHash, c))
            // The account's roles are the front desk's; the admin who issued the link is on the account,
            // readable by the app role (the approver of a clinical role sees it), and on record.
            let row = try await call(
                "SELECT array_to_string(roles, ',') || ':' || has_password || ':' || password_link_issuer FROM staff WHERE id = \(front)",
                as: c.secondAdmin,
                clinic: c
            )
            #expect(row == "scheduler:true:\(c.admin.staffID.uuidString.lowercased())")
            let entries = try await c.fixture.owner.query(
                """
                SELECT action || ':' || outcome || ':' || coalesce(staff_id::text, 'anonymous') FROM audit_log
                WHERE entity_id = \(front) AND action LIKE 'staff.%' ORDER BY seq
                """
            ).map { try $0.decode(0, as: String.self) }
            let admin = c.admin.staffID.uuidString.lowercased()
            let member = front.uuidString.lowercased()
            #expect(
                entries.filter { !$0.hasPrefix("staff.login") }
                    == ["staff.create:success:\(admin)", "staff.password.set:success:\(member)"],
                "\(entries)"
            )
        }
    }

    @Test func onlyTheNewestUnexpiredLinkWorksAndAResetEndsSessions() async throws {
        try await clinic { c in
            let desk = c.scheduler.staffID
            var tokens: [[UInt8]] = []
            for _ in 0..<2 {
                let token = tokenHash()
                #expect(
                    try await call("SELECT haven_admin_staff_password_link(\(desk), \(token))", as: c.admin, clinic: c)
                        == "done"
                )
                tokens.append(token)
            }
            // The reset ended the front desk's session; the old password still signs in until a link is spent.
            let live = try await c.fixture.app.query(
                "SELECT count(*) FROM haven_session_actor(\(c.scheduler.sessionHash))"
            )
            #expect(try live[0].decode(0, as: Int.self) == 0)
            #expect(try await links(c) == "2:0:1")
            // Superseded: refused, one answer with an unknown token.
            #expect(try await linkAccount(tokens[0], c) == [])
            #expect(try await spend(tokens[0], c) == "refused")
            #expect(try await spend(tokenHash(), c) == "refused")
            // Expired: refused too.
            try await c.fixture.owner.query(
                "UPDATE staff_password_links SET expires_at = now() - interval '1 second' WHERE token_hash = \(tokens[1])"
            )
            #expect(try await linkAccount(tokens[1], c) == [])
            #expect(try await spend(tokens[1], c) == "refused")
            // A disabled account's open link does nothing either.
            let (front, token) = try await welcome(c)
            #expect(try await call("SELECT haven_admin_staff_disable(\(front))", as: c.admin, clinic: c) == "done")
            #expect(try await linkAccount(token, c) == [])
            #expect(try await spend(token, c) == "refused")
            let hashes = try await c.fixture.owner.query(
                "SELECT count(*) FROM staff WHERE password_hash = \(Self.newHash)"
            )[0].decode(0, as: Int.self)
            #expect(hashes == 0)
            // An operator's reset closes the open link and clears the issuer.
            let again = tokenHash()
            #expect(
                try await call("SELECT haven_admin_staff_password_link(\(desk), \(again))", as: c.admin, clinic: c)
                    == "done"
            )
            try await c.fixture.staff.resetPassword(
                of: desk,
                to: "a long operator password",
                practiceID: c.fixture.practiceID,
                source: "test"
            )
            #expect(try await spend(again, c) == "refused")
        }
    }

    @Test func twoConcurrentSpendsOfOneLinkSetThePasswordOnce() async throws {
        try await clinic { c in
            let (front, token) = try await welcome(c)
            let other = "$scrypt$ln=17,r=8,p=1$c2Vjb25k$c2Vjb25k"
            let (first, second) = try await c.fixture.app.withConnection { connection in
                try await connection.transaction { connection in
                    let first = try await connection.query(
                        "SELECT haven_spend_password_link(\(token), \(Self.newHash), 'attacker', NULL)"
                    )[0].decode(0, as: String.self)
                    let holder = try await connection.query("SELECT pg_backend_pid()")[0].decode(0, as: Int.self)
                    // The second spend starts while the first's transaction is open, and waits on its lock.
                    // Counted as backends blocked by this one only: other suites share the cluster. Watched
                    // for up to a minute: on a loaded machine the second spend's connection and context can
                    // take seconds (two seconds' watch failed a CI run).
                    let second = Task { try await spend(token, c, hash: other) }
                    var waiting = 0
                    let deadline = ContinuousClock.now + .seconds(60)
                    while waiting == 0, ContinuousClock.now < deadline {
                        waiting = try await c.fixture.owner.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE \(holder) = ANY(pg_blocking_pids(pid))"
                        )[0].decode(0, as: Int.self)
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    #expect(waiting == 1, "the second spend waits for the first")
                    return (first, second)
                }
            }
            #expect(first == "done")
            #expect(try await second.value == "refused")
            let stored = try await c.fixture.owner.query("SELECT password_hash FROM staff WHERE id = \(front)")[0]
                .decode(0, as: String.self)
            #expect(stored == Self.newHash)
            let sets = try await c.fixture.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'staff.password.set'"
            )[0].decode(0, as: Int.self)
            #expect(sets == 1)
        }
    }

    @Test func theAppRoleCannotReadOrWriteLinksNorCallTheirHelpers() async throws {
        try await clinic { c in
            let (front, token) = try await welcome(c)
            let admin = c.admin
            for statement: PostgresQuery in [
                "SELECT count(*) FROM staff_password_links",
                "SELECT token_hash FROM staff_password_links WHERE staff_id = \(front)",
                "UPDATE staff_password_links SET expires_at = now() + interval '1 year'",
                """
                INSERT INTO staff_password_links (token_hash, practice_id, staff_id, purpose, issued_by, expires_at)
                VALUES (\(tokenHash()), \(c.fixture.practiceID), \(c.counselor.staffID), 'reset', \(admin.staffID), now() + interval '1 day')
                """,
                "DELETE FROM staff_password_links",
                "SELECT haven_password_link_issue(haven_context_staff(), \(c.counselor.staffID), \(tokenHash()), 'reset')",
                "UPDATE staff SET password_hash = NULL WHERE id = \(front)",
                "UPDATE staff SET password_link_issuer = NULL WHERE id = \(front)",
                "SELECT password_hash FROM staff WHERE id = \(front)",
            ] {
                let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                    try await c.fixture.asAppRole(admin) { connection in try await connection.query(statement) }
                }
                #expect(refused?.code == .insufficientPrivilege, "\(statement.sql)")
            }
            #expect(try await linkAccount(token, c) == ["front@harbor.example"])
        }
    }
}
