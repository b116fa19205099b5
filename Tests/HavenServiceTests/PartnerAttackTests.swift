import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// The partner portal's actor (migration 0043) tried from the attacker's side: raw SQL as `haven_app`
/// with a partner's live session token, the way someone holding the app role's password and a
/// partner's cookie could type it into psql.
@Suite("A partner's context reaches only their own rows", .needsTestDatabase)
struct PartnerAttackTests {
    /// Counselor A's couple (Alex and Jo) with homework for Alex, for Jo and for both, each partner's
    /// response, each partner's CSI-4, a signed note, a session to come, and both partners signed in to
    /// the portal (Alex invited by code, Jo by email).
    struct Portal {
        var setup: ClinicSetup
        var couple: UUID
        var alex: UUID
        var jo: UUID
        /// The assignments: Alex's own, Jo's own and the couple's joint one.
        var forAlex: UUID
        var forJo: UUID
        var joint: UUID
        var nextSession: UUID
        /// Live partner session token hashes.
        var alexSession: [UInt8]
        var joSession: [UInt8]

        var app: ConnectionPool { setup.fixture.app }
        var owner: ConnectionPool { setup.fixture.owner }
    }

    /// A stored passphrase in PasswordHasher's form (fake: the database compares strings).
    static let passphrase = "$scrypt$ln=17,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

    static func tokenHash() -> [UInt8] {
        (0..<32).map { _ in UInt8.random(in: 0...255) }
    }

    /// Notes one try of `token` (committed on its own, as the service does) and returns its ticket.
    static func noteTry(_ token: [UInt8], _ pool: ConnectionPool, kind: String = "code") async throws -> UUID {
        try await pool.query("SELECT haven_portal_note_try(\(kind), \(token), 'attacker', NULL)")[0]
            .decode(0, as: UUID.self)
    }

    /// Spends `token`'s invitation the way the service does: a try noted first, then the spend.
    static func spend(
        _ token: [UInt8],
        _ email: String?,
        _ hash: String?,
        _ pool: ConnectionPool,
        kind: String = "code"
    ) async throws -> String {
        let ticket = try await noteTry(token, pool, kind: kind)
        return try await pool.query(
            "SELECT haven_portal_spend_invitation(\(ticket), \(token), \(email), \(hash), 'attacker', NULL)"
        )[0].decode(0, as: String.self)
    }

    func portal(_ body: (Portal) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, alex, jo) = try await setup.completedSession()
            let (note, version) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            _ = try await setup.notes.sign(note, expectedVersion: version, actor: setup.counselorA)
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let prompt = try await setup.fixture.owner.query(
                "SELECT id FROM homework_prompts WHERE practice_id IS NULL ORDER BY title LIMIT 1"
            )[0].decode(0, as: UUID.self)
            let today = CalendarDate(year: 2026, month: 9, day: 21)!
            let due = CalendarDate(year: 2026, month: 9, day: 28)!
            var assigned: [UUID] = []
            for partner in [alex, jo, nil] {
                assigned.append(
                    try await homework.assign(
                        prompt: prompt,
                        couple: couple,
                        partner: partner,
                        session: session,
                        dueOn: due,
                        today: today,
                        actor: setup.counselorA
                    ).id
                )
            }
            for (partner, text) in [(alex, "Alex's private answer"), (jo, "Jo's private answer")] {
                try await homework.recordResponse(
                    assignment: assigned[2],
                    partner: partner,
                    completion: .completed,
                    text: text,
                    actor: setup.counselorA
                )
            }
            let measures = MeasureService(pool: setup.fixture.app, keys: setup.keys)
            let csi4 = try await setup.fixture.owner.query(
                "SELECT id FROM measure_definitions WHERE code = 'CSI-4'"
            )[0].decode(0, as: UUID.self)
            for client in [alex, jo] {
                _ = try await measures.record(
                    measure: csi4,
                    client: client,
                    administeredOn: today,
                    items: [4, 3, 3, 3],
                    actor: setup.counselorA
                )
            }
            let next = try await setup.sessions.schedule(
                .couple(couple),
                start: Date().addingTimeInterval(5 * 86_400),
                durationMinutes: 60,
                format: .inPerson,
                actor: setup.counselorA
            )
            let alexSession = try await Self.invite(
                alex,
                to: ("couple", couple),
                email: nil,
                chosenEmail: "alex@example.org",
                setup
            )
            let joSession = try await Self.invite(
                jo,
                to: ("couple", couple),
                email: "jo@example.org",
                chosenEmail: nil,
                setup
            )
            try await body(
                Portal(
                    setup: setup,
                    couple: couple,
                    alex: alex,
                    jo: jo,
                    forAlex: assigned[0],
                    forJo: assigned[1],
                    joint: assigned[2],
                    nextSession: next,
                    alexSession: alexSession,
                    joSession: joSession
                )
            )
        }
    }

    /// Runs `statement` as `actor` (a staff member's session) and decodes its first column.
    static func asStaff(_ statement: PostgresQuery, _ actor: StaffActor, _ pool: ConnectionPool) async throws -> String
    {
        try await asStaff(actor, pool) { try await $0.query(statement)[0].decode(0, as: String.self) }
    }

    /// Runs `statement` in a transaction with `actor`'s staff context and a 5 s lock timeout, so that a
    /// wait for a held row ends in 55P03 instead of hanging the test.
    static func asStaffWithoutWaiting(
        _ statement: PostgresQuery,
        _ actor: StaffActor,
        _ pool: ConnectionPool
    )
        async throws -> String
    {
        try await asStaff(actor, pool) { connection in
            try await connection.execute("SET LOCAL lock_timeout = '5s'")
            return try await connection.query(statement)[0].decode(0, as: String.self)
        }
    }

    /// Runs `body` in a transaction with the staff context of `actor`'s session.
    @discardableResult
    static func asStaff<Value: Sendable>(
        _ actor: StaffActor,
        _ pool: ConnectionPool,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await pool.withConnection { connection in
            try await connection.transaction { connection in
                try await connection.query(
                    "SELECT 1 FROM haven_open_context(\(actor.sessionHash), false, 'attacker', NULL)"
                )
                return try await body(connection)
            }
        }
    }

    /// Runs `body` in a transaction with the partner context of `session`.
    @discardableResult
    static func asPartner<Value: Sendable>(
        _ session: [UInt8],
        _ pool: ConnectionPool,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await pool.withConnection { connection in
            try await connection.transaction { connection in
                try await connection.query("SELECT 1 FROM haven_open_partner_context(\(session), 'attacker', NULL)")
                return try await body(connection)
            }
        }
    }

    /// Counselor A invites `client` to `chart` (by link with `email`, or by code), the partner spends
    /// the invitation with a passphrase (choosing `chosenEmail` for a code) and signs in. Returns the
    /// live session's token hash.
    static func invite(
        _ client: UUID,
        to chart: (kind: String, id: UUID),
        email: String?,
        chosenEmail: String?,
        _ setup: ClinicSetup
    ) async throws -> [UInt8] {
        let token = tokenHash()
        let kind = email == nil ? "invitation-code" : "invitation-link"
        let invited = try await asStaff(
            "SELECT result FROM haven_portal_invite(\(client), \(chart.kind), \(chart.id), \(email), \(token), \(kind))",
            setup.counselorA,
            setup.fixture.app
        )
        #expect(invited == "done")
        let spent = try await spend(
            token,
            chosenEmail,
            passphrase,
            setup.fixture.app,
            kind: email == nil ? "code" : "link"
        )
        #expect(spent == "done" || spent == "added")
        let session = tokenHash()
        let outcome = try await signIn(email ?? chosenEmail ?? "", session, setup.fixture.app)
        #expect(outcome == "signed-in")
        return session
    }

    static func signIn(_ email: String, _ session: [UInt8], _ pool: ConnectionPool) async throws -> String {
        let ticket = try await SignInTicket.note("partner", email, passphrase, pool)
        return try await pool.query(
            "SELECT outcome FROM haven_portal_sign_in(\(ticket), \(email), \(passphrase), \(session), 900, 43200, NULL, 'attacker', NULL)"
        )[0].decode(0, as: String.self)
    }

    /// Whether `session` opens a partner context (false: refused with 28000).
    static func opens(_ session: [UInt8], _ pool: ConnectionPool) async throws -> Bool {
        do {
            _ = try await asPartner(session, pool) { _ in true }
            return true
        } catch let error as PostgresError where error.sqlState == "28000" {
            return false
        }
    }

    /// The rows `count` counts in a transaction of its own, with `session`'s partner context or none;
    /// nil when the app role may not look at all.
    private func visible(_ count: String, _ pool: ConnectionPool, session: [UInt8]?) async throws -> Int? {
        do {
            return try await pool.withConnection { connection in
                try await connection.transaction { connection in
                    if let session {
                        try await connection.query(
                            "SELECT 1 FROM haven_open_partner_context(\(session), 'attacker', NULL)"
                        )
                    }
                    return try await connection.query(PostgresQuery(sql: count))[0].decode(0, as: Int.self)
                }
            }
        } catch let error as PostgresError where error.code == .insufficientPrivilege {
            return nil
        }
    }

    // MARK: - What a partner's context reads

    @Test func everyTableShowsAPartnerOnlyTheirOwnRows() async throws {
        try await portal { p in
            let tables = try await p.owner.query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).map { try $0.decode(0, as: String.self) }
            #expect(tables.count > 30 && tables.contains("partner_sessions"))
            // What Alex's context may read; every other table shows nothing or refuses the read.
            // (Answers come only through haven_portal_answers() since migration 0045: no table policy.)
            let allowed = ["practices": 1]
            let mustHoldRows = [
                "staff", "audit_log", "clients", "couples", "therapy_sessions", "progress_notes", "homework_responses",
                "measure_administrations", "data_keys", "staff_sessions", "partner_accounts", "partner_sessions",
                "partner_links", "partner_chart_access",
            ]
            for table in tables {
                let library = ["homework_prompts", "measure_definitions"].contains(table)
                let count = "SELECT count(*) FROM \(table)" + (library ? " WHERE practice_id IS NOT NULL" : "")
                let held = try await p.owner.query(PostgresQuery(sql: count))[0].decode(0, as: Int.self)
                if mustHoldRows.contains(table) { #expect(held > 0, "\(table) holds no row: the test proves nothing") }
                // What the app role reads with no context at all (metadata such as schema_migrations), and
                // with Alex's: the partner context adds exactly the allowed rows.
                let bare = try await visible(count, p.app, session: nil)
                let seen = try await visible(count, p.app, session: p.alexSession)
                if ProtectedTables.all.contains(table) { #expect((bare ?? 0) == 0, "\(table) without a context") }
                #expect(
                    (seen ?? 0) == (allowed[table] ?? bare ?? 0),
                    "\(table) shows \(seen ?? -1) of \(held) rows to a partner"
                )
            }
            // The rows are the right ones: Alex's assignments (through the portal's function) and response.
            let rows = try await Self.asPartner(p.alexSession, p.app) { connection in
                let assignments = try await connection.query("SELECT id FROM haven_portal_assignments()")
                    .map { try $0.decode(0, as: UUID.self) }
                let responders = try await connection.query(
                    "SELECT assignment_id FROM haven_portal_answers() WHERE own"
                )
                .map { try $0.decode(0, as: UUID.self) }
                return (assignments, responders)
            }
            #expect(Set(rows.0) == [p.forAlex, p.joint])
            #expect(rows.1 == [p.joint])
        }
    }

    @Test func everyStaffReaderAnswersNothingInAPartnerContext() async throws {
        try await portal { p in
            let row = try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.query(
                    """
                    SELECT haven_current_practice() IS NULL AND haven_current_staff() IS NULL
                           AND haven_current_caseload() = '{}' AND haven_current_break_glass() = '{}'
                           AND NOT haven_current_calendar(),
                           haven_partner_client(), haven_partner_chart()
                    """
                )[0].decode((Bool, UUID?, String?).self)
            }
            #expect(row.0)
            #expect(row.1 == p.alex)
            #expect(row.2 == "couple:\(p.couple.uuidString.lowercased())")
            // The staff functions refuse a partner context; the staff-reach look-ups answer nothing.
            for statement: PostgresQuery in [
                "SELECT * FROM haven_totp_own()", "SELECT haven_sign_out()",
                "SELECT haven_admin_staff_password_link(\(p.setup.fixture.counselorID), \(Self.tokenHash()))",
                "SELECT * FROM haven_portal_invite(\(p.jo), 'couple', \(p.couple), NULL, \(Self.tokenHash()), 'invitation-code')",
                "SELECT * FROM haven_portal_status('couple', \(p.couple))",
            ] {
                let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                    try await Self.asPartner(p.alexSession, p.app) { connection in
                        _ = try await connection.query(statement)
                    }
                }
                #expect(refused?.code == .insufficientPrivilege, "\(statement.sql)")
            }
            let names = try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.query("SELECT cardinality(haven_chart_names('couple', \(p.couple)))::int8")[0]
                    .decode(0, as: Int.self)
            }
            #expect(names == 0)
        }
    }

    @Test func aPartnerWritesNothingOfTheChart() async throws {
        try await portal { p in
            for statement: PostgresQuery in [
                "UPDATE homework_responses SET shared_with_partner = true",
                "UPDATE homework_assignments SET due_on = due_on + 7",
                "DELETE FROM homework_responses",
                "DELETE FROM homework_assignments",
                "UPDATE practices SET name = 'Owned'",
                "UPDATE data_keys SET retired_at = now()",
            ] {
                let changed: Int?
                do {
                    changed = try await Self.asPartner(p.alexSession, p.app) { connection in
                        try await connection.execute(statement)
                    }
                } catch let error as PostgresError where error.code == .insufficientPrivilege {
                    changed = nil
                }
                #expect((changed ?? 0) == 0, "\(statement.sql)")
            }
            let insert: PostgresQuery = """
                INSERT INTO homework_responses (id, practice_id, assignment_id, partner_id, counselor_id, key_subject,
                                                completion)
                VALUES (gen_random_uuid(), \(p.setup.fixture.practiceID), \(p.forJo), \(p.jo),
                        \(p.setup.fixture.counselorID), \("couple:\(p.couple.uuidString.lowercased())"), 'skipped')
                """
            await #expect(throws: PostgresError.self) {
                try await Self.asPartner(p.alexSession, p.app) { connection in
                    try await connection.execute(insert)
                }
            }
            let responses = try await p.owner.query(
                "SELECT count(*) FROM homework_responses WHERE NOT shared_with_partner"
            )
            #expect(try responses[0].decode(0, as: Int.self) == 2)
        }
    }

    @Test func theNextSessionIsItsDateAndTimeOnly() async throws {
        try await portal { p in
            let rows = try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.query(
                    "SELECT scheduled_start, duration_minutes, time_zone FROM haven_portal_next_session()"
                )
                .map { try $0.decode((Date, Int32, String).self) }
            }
            let expected = try await p.owner.query(
                "SELECT scheduled_start FROM therapy_sessions WHERE id = \(p.nextSession)"
            )[0].decode(0, as: Date.self)
            #expect(rows.count == 1)
            #expect(rows.first?.0 == expected)
            #expect(rows.first?.2 == "America/Chicago")
            // The table itself stays closed to the partner.
            let direct = try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.query("SELECT count(*) FROM therapy_sessions")[0].decode(0, as: Int.self)
            }
            #expect(direct == 0)
        }
    }

    // MARK: - Which tokens open a partner context

    @Test func aStaffTokenOpensNoPartnerContextNorAPartnerTokenAStaffOne() async throws {
        try await portal { p in
            #expect(try await Self.opens(p.setup.counselorA.sessionHash, p.app) == false)
            let staffOpen = await #expect(throws: PostgresError.self) {
                try await p.app.withConnection { connection in
                    try await connection.transaction { connection in
                        _ = try await connection.query(
                            "SELECT 1 FROM haven_open_context(\(p.alexSession), false, 'attacker', NULL)"
                        )
                    }
                }
            }
            #expect(staffOpen?.sqlState == "28000")
            #expect(try await Self.opens(Self.tokenHash(), p.app) == false)
            // The context ends with its transaction; a staff context after it on the same connection has
            // no partner reach, and no context at all reads nothing.
            let after = try await p.app.withConnection { connection in
                try await connection.transaction { connection in
                    _ = try await connection.query(
                        "SELECT 1 FROM haven_open_partner_context(\(p.alexSession), 'attacker', NULL)"
                    )
                }
                let none = try await connection.transaction { connection in
                    try await connection.query("SELECT count(*) FROM homework_assignments")[0].decode(0, as: Int.self)
                }
                let staff = try await connection.transaction { connection in
                    try await connection.query(
                        "SELECT 1 FROM haven_open_context(\(p.setup.counselorB.sessionHash), false, 'attacker', NULL)"
                    )
                    return try await connection.query(
                        "SELECT haven_partner_client() IS NULL AND haven_partner_chart() IS NULL, count(*) FROM homework_assignments"
                    )[0].decode((Bool, Int).self)
                }
                return (none, staff)
            }
            #expect(after.0 == 0)
            #expect(after.1 == (true, 0))
            // request_contexts stays closed to the app role.
            await #expect(throws: PostgresError.self) {
                try await Self.asPartner(p.alexSession, p.app) { connection in
                    try await connection.execute("UPDATE request_contexts SET partner_chart = NULL")
                }
            }
        }
    }

    @Test func aSessionSignedOutIdleOrExpiredOrOfADisabledAccountIsRefused() async throws {
        try await portal { p in
            #expect(try await Self.opens(p.alexSession, p.app))
            try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.execute("SELECT haven_portal_sign_out()")
            }
            #expect(try await Self.opens(p.alexSession, p.app) == false)
            #expect(try await Self.opens(p.joSession, p.app))
            try await p.owner.query(
                "UPDATE partner_session_activity SET last_seen_at = now() - interval '16 minutes' WHERE token_hash = \(p.joSession)"
            )
            #expect(try await Self.opens(p.joSession, p.app) == false)
            let fresh = Self.tokenHash()
            #expect(try await Self.signIn("jo@example.org", fresh, p.app) == "signed-in")
            #expect(try await Self.opens(fresh, p.app))
            try await p.owner.query(
                "UPDATE partner_sessions SET absolute_expires_at = now() - interval '1 second' WHERE token_hash = \(fresh)"
            )
            #expect(try await Self.opens(fresh, p.app) == false)
            let again = Self.tokenHash()
            #expect(try await Self.signIn("jo@example.org", again, p.app) == "signed-in")
            try await p.owner.query("UPDATE partner_accounts SET disabled_at = now() WHERE client_id = \(p.jo)")
            #expect(try await Self.opens(again, p.app) == false)
            #expect(try await Self.signIn("jo@example.org", Self.tokenHash(), p.app) == "refused")
            // A wrong passphrase and an unknown address are refused alike; the settings do not tell them apart.
            let nope = try await SignInTicket.note("partner", "alex@example.org", "nope", p.app)
            let wrong = try await p.app.query(
                "SELECT outcome FROM haven_portal_sign_in(\(nope), 'alex@example.org', 'nope', \(Self.tokenHash()), 900, 43200, NULL, 'attacker', NULL)"
            )[0].decode(0, as: String.self)
            #expect(wrong == "refused")
            #expect(try await Self.signIn("nobody@example.org", Self.tokenHash(), p.app) == "refused")
            let settings = try await p.app.query(
                "SELECT haven_portal_sign_in_settings('alex@example.org'), haven_portal_sign_in_settings('nobody@example.org')"
            )[0].decode((String, String).self)
            #expect(settings.0 == "$scrypt$ln=17,r=8,p=1$c2FsdHNhbHRzYWx0")
            #expect(settings.1.hasPrefix("$scrypt$ln=17,r=8,p=1$") && settings.1.split(separator: "$").count == 3)
        }
    }

    @Test func dischargePauseAndRevokeEndTheChartsSessions() async throws {
        try await portal { p in
            let chart = p.couple
            func sessions() async throws -> Int {
                try await p.owner.query(
                    """
                    SELECT count(*) FROM partner_sessions s
                    JOIN partner_session_activity v ON v.token_hash = s.token_hash
                    WHERE v.chart_id = \(chart)
                    """
                )[0].decode(0, as: Int.self)
            }
            #expect(try await sessions() == 2)
            // Pause: the trigger deletes the sessions; sign-in finds no live chart.
            _ = try await Self.asStaff(
                "UPDATE couples SET status = 'paused' WHERE id = \(chart) RETURNING status",
                p.setup.counselorA,
                p.app
            )
            #expect(try await sessions() == 0)
            #expect(try await Self.opens(p.alexSession, p.app) == false)
            #expect(try await Self.signIn("alex@example.org", Self.tokenHash(), p.app) == "refused")
            _ = try await Self.asStaff(
                "UPDATE couples SET status = 'active' WHERE id = \(chart) RETURNING status",
                p.setup.counselorA,
                p.app
            )
            // Revoke: Alex's sessions end and Alex cannot sign in to the chart; Jo keeps access.
            let alex = Self.tokenHash()
            let jo = Self.tokenHash()
            #expect(try await Self.signIn("alex@example.org", alex, p.app) == "signed-in")
            #expect(try await Self.signIn("jo@example.org", jo, p.app) == "signed-in")
            // Another counselor cannot revoke it.
            let outside = try await Self.asStaff(
                "SELECT haven_portal_revoke(\(p.alex), 'couple', \(chart))",
                p.setup.counselorB,
                p.app
            )
            #expect(outside == "not-found")
            #expect(try await Self.opens(alex, p.app))
            let revoked = try await Self.asStaff(
                "SELECT haven_portal_revoke(\(p.alex), 'couple', \(chart))",
                p.setup.counselorA,
                p.app
            )
            #expect(revoked == "done")
            #expect(try await Self.opens(alex, p.app) == false)
            #expect(try await Self.opens(jo, p.app))
            #expect(try await Self.signIn("alex@example.org", Self.tokenHash(), p.app) == "refused")
            // Discharge: Jo's session ends too, and a session kept by an attacker is refused.
            _ = try await Self.asStaff(
                "UPDATE couples SET status = 'discharged' WHERE id = \(chart) RETURNING status",
                p.setup.counselorA,
                p.app
            )
            #expect(try await sessions() == 0)
            #expect(try await Self.opens(jo, p.app) == false)
        }
    }

    @Test func aChartIsReachedOnlyWhenChosenAndOnlyAmongTheAccountsOwn() async throws {
        try await portal { p in
            // Alex is also invited to Alex's own chart: the next sign-in has two charts and none chosen.
            let token = Self.tokenHash()
            #expect(
                try await Self.asStaff(
                    "SELECT result FROM haven_portal_invite(\(p.alex), 'client', \(p.alex), NULL, \(token), 'invitation-code')",
                    p.setup.counselorA,
                    p.app
                ) == "done"
            )
            // The account already has a passphrase: spending adds the chart and changes nothing else.
            let spent = try await Self.spend(token, "mallory@example.org", "$scrypt$ln=17,r=8,p=1$bWFs$bWFs", p.app)
            #expect(spent == "added")
            let account = try await p.owner.query(
                "SELECT email, passphrase_hash FROM partner_accounts WHERE client_id = \(p.alex)"
            )[0].decode((String, String).self)
            #expect(account == ("alex@example.org", Self.passphrase))
            let session = Self.tokenHash()
            let ticket = try await SignInTicket.note("partner", "alex@example.org", Self.passphrase, p.app)
            let signedIn = try await p.app.query(
                "SELECT outcome, charts FROM haven_portal_sign_in(\(ticket), 'alex@example.org', \(Self.passphrase), \(session), 900, 43200, NULL, 'attacker', NULL)"
            )[0].decode((String, Int32?).self)
            #expect(signedIn.0 == "signed-in" && signedIn.1 == 2)
            let unchosen = try await Self.asPartner(session, p.app) { connection in
                try await connection.query("SELECT count(*) FROM haven_portal_assignments()")[0].decode(0, as: Int.self)
            }
            #expect(unchosen == 0)
            let charts = try await p.app.query(
                "SELECT chart_kind || ':' || chart_id FROM haven_portal_charts(\(session))"
            )
            .map { try $0.decode(0, as: String.self) }
            #expect(charts.count == 2)
            // Jo's chart, or a chart never granted, cannot be chosen.
            for (kind, chart) in [("client", p.jo), ("couple", UUID())] {
                let chosen = try await Self.asPartner(session, p.app) { connection in
                    try await connection.query("SELECT haven_portal_choose_chart(\(kind), \(chart))")[0]
                        .decode(0, as: Bool.self)
                }
                #expect(chosen == false)
            }
            let chosen = try await Self.asPartner(session, p.app) { connection in
                try await connection.query("SELECT haven_portal_choose_chart('couple', \(p.couple))")[0]
                    .decode(0, as: Bool.self)
            }
            #expect(chosen)
            let reached = try await Self.asPartner(session, p.app) { connection in
                try await connection.query("SELECT count(*) FROM haven_portal_assignments()")[0].decode(0, as: Int.self)
            }
            #expect(reached == 2)
        }
    }

    // MARK: - Invitations

    @Test func onlyTheNewestInvitationWorksOnceForAChartInTheCounselorsReach() async throws {
        try await portal { p in
            let setup = p.setup
            // A counselor outside the couple's care, an admin and an unknown chart are refused.
            for actor in [setup.counselorB, setup.admin] {
                let result = try await Self.asStaff(
                    "SELECT result FROM haven_portal_invite(\(p.jo), 'couple', \(p.couple), NULL, \(Self.tokenHash()), 'invitation-code')",
                    actor,
                    p.app
                )
                #expect(result == "not-found")
            }
            // The client of one chart is not a person of another.
            let stranger = try await Self.asStaff(
                "SELECT result FROM haven_portal_invite(\(p.jo), 'client', \(p.alex), NULL, \(Self.tokenHash()), 'invitation-code')",
                setup.counselorA,
                p.app
            )
            #expect(stranger == "not-found")
            // Newest only: two invitations for Jo's own chart, the first no longer works.
            var tokens: [[UInt8]] = []
            for _ in 0..<2 {
                let token = Self.tokenHash()
                #expect(
                    try await Self.asStaff(
                        "SELECT result FROM haven_portal_invite(\(p.jo), 'client', \(p.jo), NULL, \(token), 'invitation-code')",
                        setup.counselorA,
                        p.app
                    ) == "done"
                )
                tokens.append(token)
            }
            func spend(_ token: [UInt8]) async throws -> String {
                try await Self.spend(token, nil, Self.passphrase, p.app)
            }
            let ticket = try await Self.noteTry(tokens[0], p.app)
            let page = try await p.app.query("SELECT count(*) FROM haven_portal_invitation(\(ticket), \(tokens[0]))")
            #expect(try page[0].decode(0, as: Int.self) == 0)
            #expect(try await spend(tokens[0]) == "refused")
            #expect(try await spend(tokens[1]) == "added")
            #expect(try await spend(tokens[1]) == "refused")
            // An expired invitation is refused.
            let late = Self.tokenHash()
            _ = try await Self.asStaff(
                "SELECT result FROM haven_portal_invite(\(p.jo), 'client', \(p.jo), NULL, \(late), 'invitation-code')",
                setup.counselorA,
                p.app
            )
            try await p.owner.query(
                "UPDATE partner_links SET expires_at = now() - interval '1 second' WHERE token_hash = \(late)"
            )
            #expect(try await spend(late) == "refused")
            // Every invitation was audited with the chart's clients; spends with the partner as actor.
            let entries = try await p.owner.query(
                """
                SELECT action || ':' || outcome || ':' || coalesce(partner_client_id::text, '-') FROM audit_log
                WHERE action LIKE 'portal.invit%' ORDER BY seq
                """
            ).map { try $0.decode(0, as: String.self) }
            let alex = p.alex.uuidString.lowercased()
            let jo = p.jo.uuidString.lowercased()
            #expect(
                entries == [
                    "portal.invite:success:-", "portal.invitation.spend:success:\(alex)", "portal.invite:success:-",
                    "portal.invitation.spend:success:\(jo)", "portal.invite:denied:-", "portal.invite:denied:-",
                    "portal.invite:denied:-", "portal.invite:success:-", "portal.invite:success:-",
                    "portal.invitation.spend:success:\(jo)", "portal.invite:success:-",
                ],
                "\(entries)"
            )
        }
    }

    @Test func aPassphraseIsSetOnceAndTheAddressIsTheAccountsOwn() async throws {
        try await portal { p in
            let setup = p.setup
            // A second couple's partner invited by code chooses an address already taken: refused, the
            // invitation stays open; a malformed hash likewise.
            let (other, sam, _) = try await setup.couple()
            let token = Self.tokenHash()
            _ = try await Self.asStaff(
                "SELECT result FROM haven_portal_invite(\(sam), 'couple', \(other), NULL, \(token), 'invitation-code')",
                setup.counselorA,
                p.app
            )
            func spend(_ email: String?, _ hash: String) async throws -> String {
                try await Self.spend(token, email, hash, p.app)
            }
            #expect(try await spend("jo@example.org", Self.passphrase) == "taken")
            #expect(try await spend(nil, Self.passphrase) == "invalid")
            #expect(try await spend("sam@example.org", "plaintext") == "invalid")
            #expect(try await spend("Sam@Example.org ", Self.passphrase) == "done")
            let row = try await p.owner.query(
                "SELECT email, passphrase_link_issuer FROM partner_accounts WHERE client_id = \(sam)"
            )[0].decode((String, UUID?).self)
            #expect(row == ("sam@example.org", setup.fixture.counselorID))
        }
    }

    // MARK: - The audit chain

    @Test func partnerEntriesVerifyAsAThirdVersionAndEarlierOnesAsBefore() async throws {
        try await portal { p in
            try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.execute(
                    "SELECT haven_audit_append('portal.home.read', 'couple', \(p.couple), ARRAY[\(p.alex)]::uuid[], 'success', NULL)"
                )
            }
            let result = try await p.owner.withConnection { connection in
                try await AuditStore.verify(practiceID: p.setup.fixture.practiceID, on: connection)
            }
            #expect(result.firstBreak == nil)
            let page = try await p.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: p.setup.fixture.practiceID), on: connection)
            }
            let partner = try #require(page.last { $0.entry.action == "portal.home.read" })
            #expect(partner.entry.partnerClientID == p.alex && partner.entry.staffID == nil)
            #expect(String(decoding: partner.entry.canonicalBytes.prefix(14), as: UTF8.self) == "haven-audit-v3")
            var forged = partner.entry
            forged.partnerClientID = p.jo
            #expect(forged.hash(seq: partner.seq, previousHash: partner.previousHash) != partner.hash)
            // A staff entry keeps its v1 form, byte for byte.
            let staff = try #require(page.first { $0.entry.partnerClientID == nil && $0.entry.digest == nil })
            #expect(String(decoding: staff.entry.canonicalBytes.prefix(14), as: UTF8.self) == "haven-audit-v1")
            #expect(staff.entry.hash(seq: staff.seq, previousHash: staff.previousHash) == staff.hash)
        }
    }
}
