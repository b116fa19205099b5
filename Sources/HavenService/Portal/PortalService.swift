import Foundation
import HavenMail
import HavenStore
import Postgres
import Sealing

/// The partner portal (docs/portal.md): a counselor invites a partner of a chart, the partner sets a
/// passphrase with the invitation, signs in, chooses their chart when they have two, and reads what is
/// asked of them. Acts as the application role through `pool`; the database's partner functions and
/// policies (migration 0043) decide what each call reaches.
public struct PortalService: Sendable {
    let pool: ConnectionPool
    let hasher: PasswordHasher
    /// The staff session policy's values (15 minutes idle, 12 hours absolute): one rule for both.
    let policy: AuthService.Policy
    /// Seals and opens the partner's answers (through the portal's key functions); nil: answers refused.
    let keys: KeyManager?
    /// Where invitations and sign-in links are emailed; nil: no mail (the counselor passes links on).
    public let mail: MailConfiguration?

    public init(
        pool: ConnectionPool,
        hasher: PasswordHasher = PasswordHasher(),
        policy: AuthService.Policy = .init(),
        keys: KeyManager? = nil,
        mail: MailConfiguration? = nil
    ) {
        self.pool = pool
        self.hasher = hasher
        self.policy = policy
        self.keys = keys
        self.mail = mail
    }

    /// A portal with the staff sign-in's hasher and session policy (one rule for both).
    public init(
        pool: ConnectionPool,
        sharing auth: AuthService,
        keys: KeyManager? = nil,
        mail: MailConfiguration? = nil
    ) {
        self.init(pool: pool, hasher: auth.hasher, policy: auth.policy, keys: keys, mail: mail)
    }

    /// A signed-in partner: the token to present from now on (shown once) and the number of charts the
    /// account reaches (two or more: the partner chooses one before anything else).
    public struct SignIn: Sendable {
        public var token: SessionToken
        public var actor: PartnerActor
        public var charts: Int
        public var absoluteExpiry: Date
        /// The account has a one-time-code app: the session opens nothing until `completeSignIn` takes
        /// its code (within five minutes); meanwhile `token` names the waiting sign-in.
        public var codeNeeded = false
    }

    /// Checks the passphrase and opens a portal session; with one chart it is chosen. The try is noted
    /// (committed) first and checked by the staff sign-in's own check (`haven_sign_in_check`, migration
    /// 0046). Audited `portal.login` for an existing account, success or not (a refusal with no actor).
    ///
    /// - Throws: `unauthenticated` for an unknown address, a wrong passphrase, a disabled account or an
    ///   account with no chart open to it (one message for all); with reason `sign-in-paused` past the
    ///   address's pause.
    public func signIn(
        email: String,
        passphrase: String,
        source: String,
        requestID: String? = nil
    ) async throws
        -> SignIn
    {
        try AuthService.checkOrigin(source: source, requestID: requestID)
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        let settings = try await pool.query("SELECT haven_portal_sign_in_settings(\(normalized))")[0].decode(
            0,
            as: String.self
        )
        let candidate = await hasher.derive(passphrase, settings: settings) ?? ""
        let rehash = hasher.needsRehash(settings: settings) ? try await hasher.hash(passphrase) : nil
        let token = try SessionToken.generate()
        let ticket = try await AuthService.noteTry(
            kind: "partner",
            email: normalized,
            candidate: candidate,
            source: source,
            requestID: requestID,
            pool: pool
        )
        let row = try await pool.query(
            """
            SELECT outcome, charts, absolute_expires_at
            FROM haven_portal_sign_in(\(ticket), \(normalized), \(candidate), \(token.storageHash), \
            \(Int32(policy.idleTimeout.components.seconds)), \(Int32(policy.absoluteLifetime.components.seconds)), \
            \(rehash), \(source), \(requestID))
            """
        )[0]
        let (outcome, charts, expiry) = try row.decode((String, Int32?, Date?).self)
        if outcome == "paused" { throw AuthService.paused }
        guard outcome == "signed-in" || outcome == "second-factor", let charts, let expiry else {
            throw ServiceError(.unauthenticated, "wrong email or passphrase, or the portal is closed for this account")
        }
        return SignIn(
            token: token,
            actor: PartnerActor(sessionHash: token.storageHash, source: source, requestID: requestID),
            charts: Int(charts),
            absoluteExpiry: expiry,
            codeNeeded: outcome == "second-factor"
        )
    }

    /// The live session's context (practice, person, account, chart chosen) and whether the chart is in
    /// safety mode (`haven_portal_safety_mode()`, the database's one rule).
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live.
    public func context(_ actor: PartnerActor) async throws -> PartnerContext {
        try await pool.transaction(asPartner: actor) { connection, context in
            var context = context
            context.safetyMode = try await connection.query("SELECT haven_portal_safety_mode()")[0].decode(
                0,
                as: Bool.self
            )
            return context
        }
    }

    /// The charts the session's account may choose among, couples first.
    public func charts(_ actor: PartnerActor) async throws -> [ChartReference] {
        try await pool.query("SELECT chart_kind, chart_id FROM haven_portal_charts(\(actor.sessionHash))").map {
            row -> ChartReference in
            let (kind, id) = try row.decode((String, UUID).self)
            return kind == "couple" ? .couple(id) : .client(id)
        }
    }

    /// Chooses the chart the session reaches from the next request on (audited `portal.chart.choose`).
    ///
    /// - Throws: `notFound` naming `chart` for a chart that is not one of the account's open ones.
    public func choose(_ chart: ChartReference, actor: PartnerActor) async throws {
        let chosen = try await pool.transaction(asPartner: actor) { connection, _ in
            try await connection.query("SELECT haven_portal_choose_chart(\(chart.kind), \(chart.id))")[0].decode(
                0,
                as: Bool.self
            )
        }
        guard chosen else { throw ServiceError(.notFound, field: "chart", "no such chart open to you") }
    }

    /// The idle timeout and absolute lifetime new portal sessions get (the staff policy's values): what
    /// the portal's pages count down before the idle logoff (docs/web.md, "Idle logoff").
    public var sessionPolicy: AuthService.Policy { policy }

    /// Ends the session (audited `portal.logout`). An ended session is not an error.
    public func signOut(_ actor: PartnerActor) async throws {
        do {
            try await pool.transaction(asPartner: actor) { connection, _ in
                try await connection.execute("SELECT haven_portal_sign_out()")
            }
        } catch let error as ServiceError where error == .sessionExpired {
            return
        }
    }
}
