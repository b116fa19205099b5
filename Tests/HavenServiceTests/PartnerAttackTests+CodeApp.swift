import Foundation
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@testable import HavenService

/// A partner's one-time-code app (migration 0057) tried as `haven_app` with raw SQL, by someone who
/// knows the partner's passphrase (or holds their sign-in link) and the app role's password but not
/// the master key or the phone: the waiting session reaches nothing, a step without the master key's
/// attestation is refused, and a step already taken is refused even with a valid attestation.
@Suite("A partner's sign-in waiting for its code reaches nothing", .needsTestDatabase)
struct PartnerCodeAppAttackTests {
    @Test func aWaitingPartnerSessionReachesNothing() async throws {
        try await PortalCodeAppTests.clinic { c in
            _ = try await PortalCodeAppTests.enrol(c)
            let app = c.setup.fixture.app
            // Every function that asks for a partner's or a staff context, but haven_portal_totp_key: it
            // answers the waiting partner's own key for their secret (wrapped; the code step's).
            let functions = try await AppRoleAttackTests.functions(
                calling: ["haven_context_partner", "haven_context_staff"],
                except: ["haven_portal_totp_key"],
                app
            )
            #expect(functions.contains { $0.name.hasPrefix("haven_portal_assignments(") })
            #expect(functions.contains { $0.name.hasPrefix("haven_portal_totp_remove(") })
            let pending = try await c.portal.signIn(
                email: PortalCodeAppTests.email,
                passphrase: PortalCodeAppTests.passphrase,
                source: "test"
            )
            #expect(pending.codeNeeded)
            let hash = pending.token.storageHash
            // The partner context refuses the waiting session.
            let refused = await #expect(throws: PostgresError.self) {
                try await PartnerAttackTests.asPartner(hash, app) { _ in }
            }
            #expect(refused?.sqlState == "28000")
            // Its pending context: no reader answers, no row shows, no partner or staff function runs.
            let ran = try await app.withConnection { connection in
                try await connection.execute("BEGIN")
                _ = try await connection.query(
                    "SELECT 1 FROM haven_portal_open_pending_context(\(hash), 'attacker', NULL)"
                )
                let (readers, rows) = try await connection.query(
                    """
                    SELECT haven_partner_client() IS NULL AND haven_partner_practice() IS NULL
                           AND haven_current_practice() IS NULL,
                           (SELECT count(*) FROM couples) + (SELECT count(*) FROM data_keys)
                           + (SELECT count(*) FROM homework_assignments)
                    """
                )[0].decode((Bool, Int).self)
                #expect(readers, "a reader answered for a waiting partner sign-in")
                #expect(rows == 0)
                var ran: [String] = []
                for function in functions + [("partner_totp", "SELECT count(*) FROM partner_totp")] {
                    try await connection.execute("SAVEPOINT attempt")
                    do {
                        _ = try await connection.query(PostgresQuery(sql: function.1))
                        ran.append(function.0)
                    } catch let error as PostgresError where ["42501", "28000"].contains(error.sqlState ?? "") {
                    } catch let error as PostgresError {
                        ran.append("\(function.0) raised \(error.sqlState ?? "?")")
                    }
                    try await connection.execute("ROLLBACK TO SAVEPOINT attempt")
                }
                try await connection.execute("ROLLBACK")
                return ran
            }
            #expect(ran.isEmpty, "ran from a waiting partner sign-in: \(ran)")
            #expect(try await c.portal.codeAwaited(pending.token))
        }
    }

    /// Notes a `partner-code` try of `candidate` for the sign-in waiting under `token`, as haven_app
    /// (migration 0059): the ticket, or nil when no sign-in waits there.
    static func noteCode(_ token: SessionToken, _ candidate: String, _ pool: ConnectionPool) async throws -> UUID? {
        try await pool.query(
            "SELECT haven_portal_note_code_try(\(token.storageHash), \(candidate), 'attacker', NULL)"
        )[0].decode(0, as: UUID?.self)
    }

    /// Runs the code step for `token` as haven_app: a `partner-code` try noted first, then
    /// `haven_portal_second_factor` with `step` and `mac` in the pending context. Returns its answer.
    static func codeStep(
        _ token: SessionToken,
        step: Int64,
        version: Int32,
        mac: [UInt8],
        _ pool: ConnectionPool
    ) async throws -> String {
        let ticket = try #require(try await noteCode(token, "123456", pool))
        return try await pool.withConnection { connection in
            try await connection.transaction { connection in
                _ = try await connection.query(
                    "SELECT 1 FROM haven_portal_open_pending_context(\(token.storageHash), 'attacker', NULL)"
                )
                return try await connection.query(
                    "SELECT haven_portal_second_factor(\(ticket), '123456', \(step), \(version), \(mac))"
                )[0].decode(0, as: String.self)
            }
        }
    }

    @Test func aStepWithoutAttestationOrTakenBeforeIsRefused() async throws {
        try await PortalCodeAppTests.clinic { c in
            let totp = try await PortalCodeAppTests.enrol(c)
            let app = c.setup.fixture.app
            let pending = try await c.portal.signIn(
                email: PortalCodeAppTests.email,
                passphrase: PortalCodeAppTests.passphrase,
                source: "test"
            )
            // The current step with at least 20 s of it left: its code is taken for 50 s or more, time for
            // the four transactions below on a loaded machine.
            let step = try await totp.previousStep(leaving: 20) + 1
            // No master key: a made-up attestation, or another session's, is refused.
            let other = c.setup.keys.attest(step: step, sessionHash: c.session.actor.sessionHash)
            for mac in [[UInt8](repeating: 0, count: 32), other.mac] {
                #expect(
                    try await Self.codeStep(pending.token, step: step, version: other.version, mac: mac, app)
                        == "refused"
                )
            }
            #expect(try await c.portal.codeAwaited(pending.token))
            // The server's attestation of the step the partner's code took: taken once only.
            let signedIn = try await c.portal.completeSignIn(
                token: pending.token,
                code: totp.code(step: step),
                source: "test"
            )
            #expect(!signedIn.codeNeeded)
            let again = try await c.portal.signIn(
                email: PortalCodeAppTests.email,
                passphrase: PortalCodeAppTests.passphrase,
                source: "test"
            )
            let valid = c.setup.keys.attest(step: step, sessionHash: again.token.storageHash)
            #expect(
                try await Self.codeStep(again.token, step: step, version: valid.version, mac: valid.mac, app)
                    == "refused"
            )
            #expect(try await c.portal.codeAwaited(again.token))
            // The same attestation for a newer step passes: the refusals above were the step's.
            let next = c.setup.keys.attest(step: step + 1, sessionHash: again.token.storageHash)
            let ticket = try #require(try await Self.noteCode(again.token, "654321", app))
            let outcome = try await app.withConnection { connection in
                try await connection.transaction { connection in
                    _ = try await connection.query(
                        "SELECT 1 FROM haven_portal_open_pending_context(\(again.token.storageHash), 'attacker', NULL)"
                    )
                    return try await connection.query(
                        "SELECT haven_portal_second_factor(\(ticket), '654321', \(step + 1), \(next.version), \(next.mac))"
                    )[0].decode(0, as: String.self)
                }
            }
            #expect(outcome == "signed-in")
            _ = try await c.portal.home(again.actor)
        }
    }

    /// Removes the app as haven_app in the partner's own live context with `ticket`, `candidate` and an
    /// attested step (migration 0061). Returns the function's answer.
    static func removeStep(
        _ session: [UInt8],
        ticket: UUID,
        candidate: String,
        step: Int64,
        attestation: (version: Int32, mac: [UInt8]),
        _ pool: ConnectionPool
    ) async throws -> String {
        try await PartnerAttackTests.asPartner(session, pool) { connection in
            try await connection.query(
                """
                SELECT haven_portal_totp_remove(\(ticket), \(candidate), \(step), \(attestation.version), \
                \(attestation.mac))
                """
            )[0].decode(0, as: String.self)
        }
    }

    @Test func settingsCodesAreCountedAndATicketChecksOneCodeOnce() async throws {
        try await PortalCodeAppTests.clinic { c in
            let totp = try await PortalCodeAppTests.enrol(c)
            let app = c.setup.fixture.app
            let session = c.session.actor.sessionHash
            let step = totp.step(at: Date())
            let code = totp.code(step: step)
            let valid = c.setup.keys.attest(step: step, sessionHash: session)
            // 0057's functions, which took a step without a counted try, are gone.
            let old = await #expect(throws: PostgresError.self) {
                try await PartnerAttackTests.asPartner(session, app) { connection in
                    try await connection.query(
                        "SELECT haven_portal_totp_remove(\(step), \(valid.version), \(valid.mac))"
                    )
                }
            }
            #expect(old?.sqlState == "42883")
            func note(_ candidate: String) async throws -> UUID {
                try await PartnerAttackTests.asPartner(session, app) { connection in
                    try await connection.query("SELECT haven_portal_totp_note_try(\(candidate))")[0]
                        .decode(0, as: UUID.self)
                }
            }
            // A made-up ticket, a ticket noted for another code, or one noted in the same transaction: refused,
            // even with the master key's attestation of the right step.
            #expect(
                try await Self.removeStep(session, ticket: UUID(), candidate: code, step: step, attestation: valid, app)
                    == "refused"
            )
            let other = try await note("000000")
            #expect(
                try await Self.removeStep(session, ticket: other, candidate: code, step: step, attestation: valid, app)
                    == "refused"
            )
            let same = try await PartnerAttackTests.asPartner(session, app) { connection in
                let ticket = try await connection.query("SELECT haven_portal_totp_note_try(\(code))")[0]
                    .decode(0, as: UUID.self)
                return try await connection.query(
                    """
                    SELECT haven_portal_totp_remove(\(ticket), \(code), \(step), \(valid.version), \(valid.mac))
                    """
                )[0].decode(0, as: String.self)
            }
            #expect(same == "refused")
            // A ticket checks one code once: refused with a forged attestation, it is spent for the right one.
            let ticket = try await note(code)
            let forged = (valid.version, [UInt8](repeating: 0, count: 32))
            #expect(
                try await Self.removeStep(
                    session,
                    ticket: ticket,
                    candidate: code,
                    step: step,
                    attestation: forged,
                    app
                )
                    == "refused"
            )
            #expect(
                try await Self.removeStep(session, ticket: ticket, candidate: code, step: step, attestation: valid, app)
                    == "refused"
            )
            #expect(try await c.portal.codeAppStatus(c.session.actor) == .init(enrolled: true, pending: false))
            // The three noted tries failed (the made-up ticket noted nothing); two wrong codes on the settings
            // page make five since the confirmation, and the sixth try is paused, the right code too, for
            // any server: the count is in the database.
            for _ in 0..<2 {
                let wrong = await #expect(throws: ServiceError.self) {
                    try await c.portal.removeCodeApp(code: "000000", actor: c.session.actor)
                }
                #expect(wrong?.field == "code" && wrong?.reason == nil)
            }
            let restarted = PortalService(pool: app, hasher: StaffFixture.hasher, keys: c.setup.keys)
            let paused = await #expect(throws: ServiceError.self) {
                try await restarted.removeCodeApp(code: code, actor: c.session.actor)
            }
            #expect(paused?.reason == "code-paused")
            let fresh = try await note(code)
            #expect(
                try await Self.removeStep(session, ticket: fresh, candidate: code, step: step, attestation: valid, app)
                    == "paused"
            )
            #expect(try await c.portal.codeAppStatus(c.session.actor) == .init(enrolled: true, pending: false))
        }
    }

    @Test func aSignInLinkAlsoWaitsForTheCode() async throws {
        try await PortalCodeAppTests.clinic { c in
            _ = try await PortalCodeAppTests.enrol(c)
            let token = try SessionToken.generate()
            let (version, mac) = c.setup.keys.attest(signInLink: token.storageHash)
            let issued = try await c.setup.fixture.app.query(
                """
                SELECT count(*) FROM haven_portal_request_sign_in_link(\(PortalCodeAppTests.email), \(token.storageHash),
                                                                      \(version), \(mac), 'test', NULL)
                """
            )[0].decode(0, as: Int.self)
            #expect(issued == 1)
            let signIn = try await c.portal.signIn(link: token, source: "test")
            #expect(signIn.codeNeeded)
            await #expect(throws: ServiceError.sessionExpired) { try await c.portal.home(signIn.actor) }
            #expect(try await c.portal.codeAwaited(signIn.token))
        }
    }

    /// Migration 0059, finding 4: a `partner-code` try is noted only for a sign-in waiting for its code.
    /// Before, the app role noted five under the partner's address and so paused their code step without
    /// knowing their passphrase.
    @Test func onlyAWaitingSignInCanCountFailedCodesAgainstThePartner() async throws {
        try await PortalCodeAppTests.clinic { c in
            let totp = try await PortalCodeAppTests.enrol(c)
            let app = c.setup.fixture.app
            // The partner's own tries so far: enrolling counts its codes too (migration 0061).
            func tries() async throws -> (succeeded: Int, all: Int) {
                try await c.setup.fixture.owner.query(
                    """
                    SELECT count(*) FILTER (WHERE succeeded_at IS NOT NULL), count(*) FROM sign_in_tries
                    WHERE kind = 'partner-code'
                    """
                )[0].decode((Int, Int).self)
            }
            let before = try await tries()
            for _ in 0..<6 {
                let noted = try await app.query(
                    """
                    SELECT haven_sign_in_note_try('partner-code', \(PortalCodeAppTests.email), '000000', 'attacker', NULL)
                    """
                )[0].decode(0, as: UUID?.self)
                #expect(noted == nil)
                #expect(try await Self.noteCode(try SessionToken.generate(), "000000", app) == nil)
            }
            #expect(try await tries() == before)
            // The partner's own sign-in is not paused: the right code opens it.
            let pending = try await c.portal.signIn(
                email: PortalCodeAppTests.email,
                passphrase: PortalCodeAppTests.passphrase,
                source: "test"
            )
            let signedIn = try await c.portal.completeSignIn(
                token: pending.token,
                code: totp.code(step: totp.step(at: Date())),
                source: "test"
            )
            #expect(!signedIn.codeNeeded)
            // The waiting sign-in's own tries still count (one noted, one checked).
            let after = try await tries()
            #expect(after.succeeded == before.succeeded + 1 && after.all == before.all + 1)
        }
    }

    /// Migration 0059, finding 5: the pending context opens only within five minutes of the sign-in's
    /// first step (0057's opener, proven here with a backdated row), and its reader stops answering at
    /// the five minutes even inside a transaction that opened it in time.
    @Test func aWaitingSignInOpensItsCodeStepForFiveMinutesOnly() async throws {
        try await PortalCodeAppTests.clinic { c in
            _ = try await PortalCodeAppTests.enrol(c)
            let app = c.setup.fixture.app
            let stale = try await c.portal.signIn(
                email: PortalCodeAppTests.email,
                passphrase: PortalCodeAppTests.passphrase,
                source: "test"
            )
            try await c.setup.fixture.owner.query(
                """
                UPDATE partner_sessions SET created_at = now() - interval '5 minutes 1 second',
                    absolute_expires_at = now() + interval '1 hour'
                WHERE token_hash = \(stale.token.storageHash)
                """
            )
            let refused = await #expect(throws: PostgresError.self) {
                try await app.withConnection { connection in
                    try await connection.transaction { connection in
                        _ = try await connection.query(
                            "SELECT 1 FROM haven_portal_open_pending_context(\(stale.token.storageHash), 'attacker', NULL)"
                        )
                    }
                }
            }
            #expect(refused?.sqlState == "28000")
            #expect(try await Self.noteCode(stale.token, "000000", app) == nil)
            #expect(try await !c.portal.codeAwaited(stale.token))
            let expired = await #expect(throws: ServiceError.self) {
                try await c.portal.completeSignIn(token: stale.token, code: "000000", source: "test")
            }
            #expect(expired?.reason == "sign-in-expired")
            // Opened fifteen seconds before the five minutes (time for a loaded machine to check out and begin; two
            // seconds failed under load), used twenty seconds later: refused.
            let late = try await c.portal.signIn(
                email: PortalCodeAppTests.email,
                passphrase: PortalCodeAppTests.passphrase,
                source: "test"
            )
            let ticket = try #require(try await Self.noteCode(late.token, "000000", app))
            try await c.setup.fixture.owner.query(
                """
                UPDATE partner_sessions SET created_at = now() - interval '4 minutes 45 seconds',
                    absolute_expires_at = now() + interval '1 hour'
                WHERE token_hash = \(late.token.storageHash)
                """
            )
            let outlived = await #expect(throws: PostgresError.self) {
                try await app.withConnection { connection in
                    try await connection.transaction { connection in
                        _ = try await connection.query(
                            "SELECT 1 FROM haven_portal_open_pending_context(\(late.token.storageHash), 'attacker', NULL)"
                        )
                        _ = try await connection.query("SELECT pg_sleep(20)")
                        return try await connection.query(
                            "SELECT haven_portal_second_factor(\(ticket), '000000', NULL, NULL, NULL)"
                        )[0].decode(0, as: String.self)
                    }
                }
            }
            #expect(outlived?.sqlState == "42501")
        }
    }
}
