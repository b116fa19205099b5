import Foundation
import HavenStore
import Logging
import Postgres
import Sealing

/// Staff sign-in: password → session token (idle and absolute expiry, HIPAA automatic logoff),
/// token → acting staff member, sign-out. Acts as the application role through `pool`.
public struct AuthService: Sendable {
    /// Session lifetimes.
    public struct Policy: Sendable {
        /// A session unused this long expires.
        public var idleTimeout: Duration
        /// A session expires this long after sign-in, used or not.
        public var absoluteLifetime: Duration

        public init(idleTimeout: Duration = .seconds(15 * 60), absoluteLifetime: Duration = .seconds(12 * 3_600)) {
            self.idleTimeout = idleTimeout
            self.absoluteLifetime = absoluteLifetime
        }
    }

    let pool: ConnectionPool
    let keys: KeyManager?
    let hasher: PasswordHasher
    let policy: Policy
    let logger: Logger

    /// - Parameter keys: opens staff TOTP secrets; without it, accounts with a TOTP app cannot sign in.
    public init(
        pool: ConnectionPool,
        keys: KeyManager? = nil,
        hasher: PasswordHasher = PasswordHasher(),
        policy: Policy = Policy(),
        logger: Logger
    ) {
        self.pool = pool
        self.keys = keys
        self.hasher = hasher
        self.policy = policy
        self.logger = logger
    }

    /// A signed-in staff member and the token to present from now on (shown once).
    public struct SignIn: Sendable {
        public var token: SessionToken
        public var actor: StaffActor
        public var absoluteExpiry: Date
    }

    /// Checks the password and opens a session. Both outcomes are audited when the account exists.
    ///
    /// The service never reads the stored hash: it asks the database for the account's scrypt settings
    /// (a decoy for an unknown email), derives the candidate hash, and `haven_sign_in` compares it and
    /// opens the session in the same transaction (migration 0025).
    ///
    /// An account with a confirmed TOTP app also needs `totpCode`, a code not used before. When the
    /// practice requires a second factor the account has not enrolled, the session opens restricted
    /// to enrolling one (`StaffActor.totpEnrollmentDue`).
    ///
    /// - Throws: `ServiceError.unauthenticated` for an unknown email, a wrong password or a disabled
    ///   account (one message for all: no account oracle); with reason `totp-required` when the
    ///   password was right but no code came, `totp-invalid` for a wrong or reused code, and
    ///   `sign-in-paused` past the address's pause in the database (`AuthService.paused`).
    public func login(
        email: String,
        password: String,
        totpCode: String? = nil,
        source: String,
        requestID: String? = nil
    ) async throws -> SignIn {
        try await login(
            email: email,
            password: password,
            totpCode: totpCode,
            commitPending: false,
            source: source,
            requestID: requestID
        )
    }

    /// The bounds the audit log puts on an entry's source and request id, checked before a sign-in
    /// function writes one.
    static func checkOrigin(source: String, requestID: String?) throws {
        guard (1...200).contains(source.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "source", "must be 1 to 200 characters")
        }
        if let requestID, requestID.unicodeScalars.count > 100 {
            throw ServiceError(.invalidInput, field: "requestID", "must be at most 100 characters")
        }
    }

    private func login(
        email: String,
        password: String,
        totpCode: String?,
        commitPending: Bool,
        source: String,
        requestID: String?
    ) async throws -> SignIn {
        try Self.checkOrigin(source: source, requestID: requestID)
        let refused = ServiceError(.unauthenticated, "wrong email or password, or the account is disabled")
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        let settings = try await pool.query("SELECT haven_sign_in_settings(\(normalized))")[0].decode(
            0,
            as: String.self
        )
        // Malformed settings cannot match anything; the database still records the refusal.
        let candidate = await hasher.derive(password, settings: settings) ?? ""
        let rehash = hasher.needsRehash(settings: settings) ? try await hasher.hash(password) : nil
        let token = try SessionToken.generate()
        let idleSeconds = Int32(policy.idleTimeout.components.seconds)
        let lifetimeSeconds = Int32(policy.absoluteLifetime.components.seconds)
        let keys = self.keys
        let ticket = try await Self.noteTry(
            kind: "staff",
            email: normalized,
            candidate: candidate,
            source: source,
            requestID: requestID,
            pool: pool
        )
        let outcome = try await pool.transaction { connection -> SignInOutcome in
            let row = try await connection.query(
                """
                SELECT outcome, practice_id, staff_id, roles, totp_secret, totp_last_used_step, totp_enrollment_due,
                       absolute_expires_at
                FROM haven_sign_in(\(ticket), \(normalized), \(candidate), \(token.storageHash), \(idleSeconds), \
                \(lifetimeSeconds), \(rehash), \(source), \(requestID))
                """
            )[0]
            let (kind, practice, staff, roleNames, sealed, lastUsed, enrollmentDue, expiry) = try row.decode(
                (String, UUID?, UUID?, [String]?, [UInt8]?, Int64?, Bool?, Date?).self
            )
            if kind == "paused" { return .paused }
            guard kind != "refused", let practiceID = practice, let staffID = staff, let roles = roleNames,
                let absolute = expiry
            else { return .refused }
            let signedIn = SignInOutcome.signedIn(
                practiceID: practiceID,
                staffID: staffID,
                roles: roles,
                enrollmentDue: enrollmentDue ?? false,
                absoluteExpiry: absolute
            )
            guard kind == "second-factor", let sealed else { return signedIn }
            if commitPending { return .pending }
            guard let totpCode, !totpCode.isEmpty else {
                // Rolled back: no session, nothing audited (the password is asked again with the code).
                throw ServiceError(
                    .unauthenticated,
                    field: "totpCode",
                    reason: "totp-required",
                    "this account needs the 6-digit code from its authenticator app"
                )
            }
            guard let keys else {
                throw ServiceError(
                    .unauthenticated,
                    reason: "totp-unavailable",
                    "this account signs in with a one-time code, which needs the master key loaded"
                )
            }
            let live = try await Self.takeSecondFactor(
                totpCode,
                sealed: sealed,
                lastUsed: lastUsed,
                staffID: staffID,
                sessionHash: token.storageHash,
                keys: keys,
                on: connection
            )
            return live ? signedIn : .wrongCode
        }
        switch outcome {
        case .refused:
            throw refused
        case .paused:
            throw Self.paused
        case .pending:
            throw PendingSecondFactor(token: token)
        case .wrongCode:
            throw Self.wrongCode
        case .signedIn(let practiceID, let staffID, let roles, let enrollmentDue, let absolute):
            let actor = StaffActor(
                staffID: staffID,
                practiceID: practiceID,
                sessionHash: token.storageHash,
                roles: Set(roles.compactMap(StaffActor.Role.init(rawValue:))),
                source: source,
                requestID: requestID,
                totpEnrollmentDue: enrollmentDue
            )
            return SignIn(token: token, actor: actor, absoluteExpiry: absolute)
        }
    }

    /// Checks `code` against the sealed secret and runs `haven_sign_in_second_factor` for the session
    /// whose context the transaction holds: true when it is now a full session; false for a wrong or
    /// reused code, after which the database has ended the pending session (its activity row says the
    /// code was refused, migration 0077) and audited the refusal.
    private static func takeSecondFactor(
        _ code: String,
        sealed: [UInt8],
        lastUsed: Int64?,
        staffID: UUID,
        sessionHash: [UInt8],
        keys: KeyManager,
        on connection: isolated PostgresConnection
    ) async throws -> Bool {
        let totp = try await TOTPService.openPending(sealed, staffID: staffID, keys: keys, on: connection)
        let attested = keys.attestedStep(of: code, on: totp, after: lastUsed, sessionHash: sessionHash)
        // The step moves forward atomically in the database: of two sign-ins racing with one code,
        // one wins; a wrong or reused code ends the waiting session and is audited.
        // The step comes with its attestation: the database then knows a master-key holder checked it.
        return try await KeyManager.checkingAttestation {
            try await connection.query(
                """
                SELECT haven_sign_in_second_factor(\(attested?.step), \(attested?.version), \(attested?.mac))
                """
            )[0].decode(0, as: Bool.self)
        }
    }

    /// The first step of a two-step sign-in (the browser's, docs/web.md): checks the password like
    /// `login` and, for an account with a code app, commits a pending session that can do nothing but
    /// take its code (`completeSecondFactor`) within five minutes. Its token is returned to hold
    /// meanwhile (the password need not be kept for the second step). An account without an app is
    /// signed in at once. Audited and refused exactly as `login`.
    ///
    /// - Throws: `ServiceError.unauthenticated` for an unknown email, a wrong password or a disabled
    ///   account; with reason `totp-unavailable` when codes cannot be checked (no master key).
    public func beginSignIn(
        email: String,
        password: String,
        source: String,
        requestID: String? = nil
    ) async throws -> SignInStep {
        if keys == nil {
            // Without the master key no code can be checked: the one-call path says why.
            return .signedIn(try await login(email: email, password: password, source: source, requestID: requestID))
        }
        do {
            return .signedIn(
                try await login(
                    email: email,
                    password: password,
                    totpCode: nil,
                    commitPending: true,
                    source: source,
                    requestID: requestID
                )
            )
        } catch let pending as PendingSecondFactor {
            return .codeNeeded(pending.token)
        }
    }

    /// What the first step of a two-step sign-in came to.
    public enum SignInStep: Sendable {
        /// Signed in (the account has no code app).
        case signedIn(SignIn)
        /// The password was right; the pending session with this token waits for the app's code.
        case codeNeeded(SessionToken)
    }

    /// Thrown inside `login`'s transaction to commit the pending session instead of rolling it back.
    private struct PendingSecondFactor: Error {
        var token: SessionToken
    }

    /// The email of the account a live pending sign-in belongs to (for the sign-in pause), or nil when
    /// `token` holds none (never was, lapsed after five minutes, ended by a wrong code). Writes nothing.
    public func pendingSignIn(_ token: SessionToken) async throws -> String? {
        try await pool.query("SELECT email FROM haven_pending_sign_in(\(token.storageHash))").singleRow().map {
            try $0.decode(0, as: String.self)
        }
    }

    /// The second step: the app's code for the pending session `token` (from `beginSignIn`). A right
    /// code makes it a full session (same token); a wrong or reused one ends it (audited), and the
    /// sign-in starts again with the password.
    ///
    /// - Throws: `ServiceError.unauthenticated` with reason `totp-invalid` for a wrong code, and
    ///   `sign-in-expired` when no sign-in waits under `token`.
    public func completeSecondFactor(
        token: SessionToken,
        code: String,
        source: String,
        requestID: String? = nil
    ) async throws -> SignIn {
        guard (1...200).contains(source.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "source", "must be 1 to 200 characters")
        }
        if let requestID, requestID.unicodeScalars.count > 100 {
            throw ServiceError(.invalidInput, field: "requestID", "must be at most 100 characters")
        }
        guard let keys else {
            throw ServiceError(
                .unauthenticated,
                reason: "totp-unavailable",
                "this account signs in with a one-time code, which needs the master key loaded"
            )
        }
        let hash = token.storageHash
        let outcome = try await pool.transaction { connection -> SignInOutcome in
            let row: PostgresRow
            do {
                row = try await connection.query(
                    """
                    SELECT practice_id, staff_id, roles, totp_secret, totp_last_used_step, absolute_expires_at
                    FROM haven_open_pending_context(\(hash), \(source), \(requestID))
                    """
                )[0]
            } catch let error as PostgresError where error.sqlState == "28000" {
                throw Self.signInExpired
            }
            let (practiceID, staffID, roles, sealed, lastUsed, absolute) = try row.decode(
                (UUID, UUID, [String], [UInt8], Int64?, Date).self
            )
            let live = try await Self.takeSecondFactor(
                code,
                sealed: sealed,
                lastUsed: lastUsed,
                staffID: staffID,
                sessionHash: hash,
                keys: keys,
                on: connection
            )
            guard live else { return .wrongCode }
            return .signedIn(
                practiceID: practiceID,
                staffID: staffID,
                roles: roles,
                enrollmentDue: false,
                absoluteExpiry: absolute
            )
        }
        switch outcome {
        case .refused, .pending, .paused:
            throw Self.signInExpired
        case .wrongCode:
            throw Self.wrongCode
        case .signedIn(let practiceID, let staffID, let roles, let enrollmentDue, let absolute):
            let actor = StaffActor(
                staffID: staffID,
                practiceID: practiceID,
                sessionHash: hash,
                roles: Set(roles.compactMap(StaffActor.Role.init(rawValue:))),
                source: source,
                requestID: requestID,
                totpEnrollmentDue: enrollmentDue
            )
            return SignIn(token: token, actor: actor, absoluteExpiry: absolute)
        }
    }

    static let signInExpired = ServiceError(
        .unauthenticated,
        reason: "sign-in-expired",
        "this sign-in has lapsed or was ended; sign in again with your password"
    )

    /// Restarts the session's idle clock (the browser's "stay signed in"): opening the actor's context
    /// does it (`haven_open_context`, at most every 30 seconds). Works while enrolment is due.
    public func keepAlive(actor: StaffActor) async throws {
        try actor.validate()
        try await pool.transaction(context: actor) { _ in }
    }

    /// The idle timeout and absolute lifetime new sessions get (what `haven serve` was configured with).
    public var sessionPolicy: Policy { policy }

    private enum SignInOutcome: Sendable {
        case refused
        /// Too many failed tries of the address in the database's window (`haven_sign_in_check`).
        case paused
        /// The password was right and the pending session is committed (`beginSignIn`).
        case pending
        case wrongCode
        case signedIn(practiceID: UUID, staffID: UUID, roles: [String], enrollmentDue: Bool, absoluteExpiry: Date)
    }

    /// The staff member a token belongs to, if the session is live and the account active. Nothing
    /// is written; each use case then opens its own context from the same token.
    ///
    /// - Throws: `ServiceError.unauthenticated` saying to sign in again.
    public func authenticate(_ token: SessionToken, source: String, requestID: String? = nil) async throws -> StaffActor
    {
        let hash = token.storageHash
        let session = try await pool.query(
            "SELECT practice_id, staff_id, roles, totp_enrollment_due FROM haven_session_actor(\(hash))"
        ).singleRow().map { try $0.decode((UUID, UUID, [String], Bool).self) }
        guard let (practiceID, staffID, roles, enrollmentDue) = session else {
            throw ServiceError.sessionExpired
        }
        return StaffActor(
            staffID: staffID,
            practiceID: practiceID,
            sessionHash: hash,
            roles: Set(roles.compactMap(StaffActor.Role.init(rawValue:))),
            source: source,
            requestID: requestID,
            totpEnrollmentDue: enrollmentDue
        )
    }

    /// Ends the actor's session (audited by the database).
    public func logout(actor: StaffActor) async throws {
        try actor.validate()
        // Not `transaction(as:)`: a session that still owes a second factor may always sign out.
        try await pool.transaction(context: actor) { connection in
            _ = try await connection.pipeline(["SELECT haven_sign_out()", "COMMIT"])
        }
    }

    static let wrongCode = ServiceError(
        .unauthenticated,
        field: "totpCode",
        reason: "totp-invalid",
        "the one-time code is wrong, expired or already used; wait for the next one"
    )
}
