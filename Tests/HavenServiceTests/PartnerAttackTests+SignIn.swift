import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// Review findings 5 and 9 (the rest), tried again as `haven_app` against migration 0046's one
/// sign-in check: tries committed before the check, the same lock on every path, an anonymous actor
/// for a refusal, and an invitation's answer that does not tell whether an address is in use.
extension PartnerAttackTests {
    /// Runs `statement` in a transaction that is then rolled back, and returns its first column.
    private static func rolledBack(_ statement: PostgresQuery, _ pool: ConnectionPool) async throws -> String {
        try await pool.withConnection { connection in
            try await connection.execute("BEGIN")
            do {
                let answer = try await connection.query(statement)[0].decode(0, as: String.self)
                try await connection.execute("ROLLBACK")
                return answer
            } catch {
                try await connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    private static func partnerTry(_ email: String, _ candidate: String, _ pool: ConnectionPool) async throws -> String
    {
        let ticket = try await SignInTicket.note("partner", email, candidate, pool)
        return try await rolledBack(
            "SELECT outcome FROM haven_portal_sign_in(\(ticket), \(email), \(candidate), \(tokenHash()), 900, 43200, NULL, 'attacker', NULL)",
            pool
        )
    }

    // MARK: - Finding 5(a): tries are counted whatever the caller rolls back, and pauses hold

    @Test func rolledBackTriesStillCountAndThePauseRefusesTheRightPassphrase() async throws {
        try await portal { p in
            for guess in 1...5 {
                #expect(try await Self.partnerTry("alex@example.org", "guess \(guess)", p.app) == "refused")
            }
            // Five wrong guesses, each rolled back: the sixth try is paused, the right passphrase too,
            // and an unknown address gets the same answer after as many tries.
            #expect(try await Self.partnerTry("alex@example.org", Self.passphrase, p.app) == "paused")
            for guess in 1...5 {
                #expect(try await Self.partnerTry("nobody@example.org", "guess \(guess)", p.app) == "refused")
            }
            #expect(try await Self.partnerTry("nobody@example.org", Self.passphrase, p.app) == "paused")
            let noted = try await p.owner.query("SELECT count(*) FROM sign_in_tries WHERE kind = 'partner'")[0]
                .decode(0, as: Int.self)
            #expect(noted >= 12)
            // Jo is not paused by Alex's tries.
            #expect(try await Self.signIn("jo@example.org", Self.tokenHash(), p.app) == "signed-in")
            // Staff alike: five rolled-back guesses pause Dana, whose right password is then refused.
            let settings = try await p.app.query("SELECT haven_sign_in_settings('dana@harbor.example')")[0]
                .decode(0, as: String.self)
            let right = try #require(await StaffFixture.hasher.derive(StaffFixture.password, settings: settings))
            func staffTry(_ candidate: String) async throws -> String {
                let ticket = try await SignInTicket.note("staff", "dana@harbor.example", candidate, p.app)
                return try await Self.rolledBack(
                    """
                    SELECT outcome FROM haven_sign_in(\(ticket), 'dana@harbor.example', \(candidate), \(Self.tokenHash()),
                                                      900, 43200, NULL, 'attacker', NULL)
                    """,
                    p.app
                )
            }
            for guess in 1...5 {
                #expect(try await staffTry(settings + "$guess\(guess)") == "refused")
            }
            #expect(try await staffTry(right) == "paused")
            let auth = p.setup.fixture.auth()
            let error = await #expect(throws: ServiceError.self) {
                _ = try await auth.login(email: "dana@harbor.example", password: StaffFixture.password, source: "test")
            }
            #expect(error?.reason == "sign-in-paused")
        }
    }

    @Test func aTicketChecksOneCandidateOnceCommittedAndNothingElse() async throws {
        try await portal { p in
            let session = Self.tokenHash()
            // A ticket noted in the sign-in's own transaction checks nothing, the right passphrase included.
            let sameTransaction = try await p.app.withConnection { connection in
                try await connection.transaction { connection in
                    let ticket = try await connection.query(
                        "SELECT haven_sign_in_note_try('partner', 'alex@example.org', \(Self.passphrase), 'attacker', NULL)"
                    )[0].decode(0, as: UUID.self)
                    return try await connection.query(
                        """
                        SELECT outcome FROM haven_portal_sign_in(\(ticket), 'alex@example.org', \(Self.passphrase),
                                                                 \(session), 900, 43200, NULL, 'attacker', NULL)
                        """
                    )[0].decode(0, as: String.self)
                }
            }
            #expect(sameTransaction == "refused")
            // A ticket noted for another guess, another address, the staff kind or none at all: refused.
            let wrongGuess = try await SignInTicket.note("partner", "alex@example.org", "a guess", p.app)
            let otherAddress = try await SignInTicket.note("partner", "jo@example.org", Self.passphrase, p.app)
            let staffKind = try await SignInTicket.note("staff", "alex@example.org", Self.passphrase, p.app)
            for ticket in [wrongGuess, otherAddress, staffKind, UUID()] {
                let outcome = try await p.app.query(
                    """
                    SELECT outcome FROM haven_portal_sign_in(\(ticket), 'alex@example.org', \(Self.passphrase),
                                                             \(Self.tokenHash()), 900, 43200, NULL, 'attacker', NULL)
                    """
                )[0].decode(0, as: String.self)
                #expect(outcome == "refused")
            }
            // The old eight-argument sign-ins are gone: nothing checks a candidate without a ticket.
            let old = try await p.owner.query(
                """
                SELECT count(*) FROM pg_proc WHERE proname IN ('haven_sign_in', 'haven_portal_sign_in')
                  AND pronargs = 8
                """
            )[0].decode(0, as: Int.self)
            #expect(old == 0)
        }
    }

    // MARK: - Finding 5(a): the same advisory lock whether or not the address exists

    @Test func aSignInTakesTheSameLockWhetherOrNotTheAddressExists() async throws {
        try await portal { p in
            func locks(_ email: String) async throws -> [Int64] {
                let ticket = try await SignInTicket.note("partner", email, "a guess", p.app)
                return try await p.app.withConnection { connection in
                    try await connection.transaction { connection in
                        _ = try await connection.query(
                            """
                            SELECT outcome FROM haven_portal_sign_in(\(ticket), \(email), 'a guess', \(Self.tokenHash()),
                                                                     900, 43200, NULL, 'attacker', NULL)
                            """
                        )
                        return try await connection.query(
                            """
                            SELECT classid::bigint FROM pg_locks
                            WHERE pid = pg_backend_pid() AND locktype = 'advisory' ORDER BY classid, objid
                            """
                        ).map { try $0.decode(0, as: Int64.self) }
                    }
                }
            }
            let known = try await locks("alex@example.org")
            let unknown = try await locks("nobody@example.org")
            #expect(known == [7])
            #expect(unknown == known)
        }
    }

    // MARK: - Finding 9 (rest): a refusal has no actor; the account is the entity

    @Test func aRefusedSignInIsAuditedWithNoActorAndTheChainVerifies() async throws {
        try await portal { p in
            let ticket = try await SignInTicket.note("partner", "alex@example.org", "a guess", p.app)
            let outcome = try await p.app.query(
                """
                SELECT outcome FROM haven_portal_sign_in(\(ticket), 'alex@example.org', 'a guess', \(Self.tokenHash()),
                                                         900, 43200, NULL, 'attacker', NULL)
                """
            )[0].decode(0, as: String.self)
            #expect(outcome == "refused")
            let account = try await p.owner.query("SELECT id FROM partner_accounts WHERE client_id = \(p.alex)")[0]
                .decode(0, as: UUID.self)
            let entry = try await p.owner.query(
                """
                SELECT staff_id, partner_client_id, entity_type, entity_id, client_ids FROM audit_log
                WHERE practice_id = \(p.setup.fixture.practiceID) AND action = 'portal.login' AND outcome = 'denied'
                ORDER BY seq DESC LIMIT 1
                """
            )[0].decode((UUID?, UUID?, String?, UUID?, [UUID]).self)
            #expect(entry.0 == nil && entry.1 == nil)
            #expect(entry.2 == "partner_account" && entry.3 == account && entry.4 == [p.alex])
            // The staff refusal alike.
            let staffTicket = try await SignInTicket.note("staff", "dana@harbor.example", "a guess", p.app)
            _ = try await p.app.query(
                """
                SELECT outcome FROM haven_sign_in(\(staffTicket), 'dana@harbor.example', 'a guess', \(Self.tokenHash()),
                                                  900, 43200, NULL, 'attacker', NULL)
                """
            )
            let staffEntry = try await p.owner.query(
                """
                SELECT staff_id, partner_client_id, entity_id FROM audit_log
                WHERE practice_id = \(p.setup.fixture.practiceID) AND action = 'staff.login' AND outcome = 'denied'
                ORDER BY seq DESC LIMIT 1
                """
            )[0].decode((UUID?, UUID?, UUID?).self)
            #expect(staffEntry.0 == nil && staffEntry.1 == nil && staffEntry.2 == p.setup.fixture.counselorID)
            let verified = try await p.owner.withConnection { connection in
                try await AuditStore.verify(practiceID: p.setup.fixture.practiceID, on: connection)
            }
            #expect(verified.firstBreak == nil && verified.count > 0)
        }
    }

    // MARK: - Finding 5(b): an invitation does not tell whether another account uses the address

    @Test func anInvitationsAnswerIsTheSameWhetherOrNotTheAddressIsInUse() async throws {
        try await portal { p in
            let sam = try await p.setup.charts.createClient(
                .init(
                    legalName: "Sam Rivera",
                    preferredName: "Sam",
                    intakeDate: CalendarDate(year: 2026, month: 9, day: 1)!
                ),
                actor: p.setup.counselorA
            )
            // Alex's address (an account with a passphrase) and a fresh one get the same answer.
            for address in ["alex@example.org", "sam@example.org"] {
                let answer = try await Self.asStaff(
                    """
                    SELECT result FROM haven_portal_invite(\(sam), 'client', \(sam), \(address), \(Self.tokenHash()),
                                                           'invitation-link')
                    """,
                    p.setup.counselorA,
                    p.app
                )
                #expect(answer == "done", "\(address)")
                let shown = try await Self.asStaff(
                    "SELECT email FROM haven_portal_status('client', \(sam))",
                    p.setup.counselorA,
                    p.app
                )
                #expect(shown == address)
            }
            // Alex's account keeps its address; Sam's took the free one.
            let addresses = try await p.owner.query(
                "SELECT email FROM partner_accounts WHERE client_id IN (\(p.alex), \(sam)) ORDER BY email"
            ).map { try $0.decode(0, as: String?.self) }
            #expect(addresses == ["alex@example.org", "sam@example.org"])
            // Back to Alex's address: Sam's account gives up the one it had and takes none.
            _ = try await Self.asStaff(
                """
                SELECT result FROM haven_portal_invite(\(sam), 'client', \(sam), 'alex@example.org', \(Self.tokenHash()),
                                                       'invitation-link')
                """,
                p.setup.counselorA,
                p.app
            )
            let samAddress = try await p.owner.query("SELECT email FROM partner_accounts WHERE client_id = \(sam)")[0]
                .decode(0, as: String?.self)
            #expect(samAddress == nil)
        }
    }
}
