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
    /// An account with a confirmed TOTP app also needs `totpCode`, a code not used before. When the
    /// practice requires a second factor the account has not enrolled, the session opens restricted
    /// to enrolling one (`StaffActor.totpEnrollmentDue`).
    ///
    /// - Throws: `ServiceError.unauthenticated` for an unknown email, a wrong password or a disabled
    ///   account (one message for all: no account oracle); with reason `totp-required` when the
    ///   password was right but no code came, and `totp-invalid` for a wrong or reused code.
    public func login(
        email: String,
        password: String,
        totpCode: String? = nil,
        source: String,
        requestID: String? = nil
    ) async throws -> SignIn {
        guard (1...200).contains(source.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "source", "must be 1 to 200 characters")
        }
        if let requestID, requestID.unicodeScalars.count > 100 {
            throw ServiceError(.invalidInput, field: "requestID", "must be at most 100 characters")
        }
        let refused = ServiceError(.unauthenticated, "wrong email or password, or the account is disabled")
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        let account = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT staff_id, practice_id, password_hash, active FROM haven_login_lookup(\(normalized))"
            )
            .singleRow()
            .map { try $0.decode((UUID, UUID, String, Bool).self) }
        }
        guard let (staffID, practiceID, storedHash, active) = account else {
            // Spend the same time as a real check, so timing does not reveal which emails exist.
            _ = await hasher.verify(password, against: Self.decoyHash)
            throw refused
        }
        let verified = await hasher.verify(password, against: storedHash)
        guard verified, active else {
            try await auditLoginDenied(staffID: staffID, practiceID: practiceID, source: source, requestID: requestID)
            throw refused
        }
        let factor = try await secondFactor(staffID: staffID, practiceID: practiceID)
        var acceptedStep: Int64?
        if let totp = factor.totp {
            guard let totpCode, !totpCode.isEmpty else {
                throw ServiceError(
                    .unauthenticated,
                    field: "totpCode",
                    reason: "totp-required",
                    "this account needs the 6-digit code from its authenticator app"
                )
            }
            guard let step = totp.matchingStep(for: totpCode, at: Date()), step > factor.lastUsedStep ?? .min else {
                try await auditLoginDenied(
                    staffID: staffID,
                    practiceID: practiceID,
                    source: source,
                    requestID: requestID
                )
                throw Self.wrongCode
            }
            acceptedStep = step
        }
        let rehash = hasher.needsRehash(storedHash) ? try await hasher.hash(password) : nil
        let token = try SessionToken.generate()
        let idleSeconds = Int32(policy.idleTimeout.components.seconds)
        let absolute = Date().addingTimeInterval(Double(policy.absoluteLifetime.components.seconds))
        let roles = factor.roles
        let step = acceptedStep
        do {
            try await pool.transaction(practiceID: practiceID, staffID: staffID) { connection in
                if let acceptedStep = step {
                    // The step moves forward atomically: of two sign-ins racing with one code, one wins.
                    let moved = try await connection.execute(
                        """
                        UPDATE staff_totp SET last_used_step = \(acceptedStep)
                        WHERE practice_id = \(practiceID) AND staff_id = \(staffID) AND last_used_step < \(acceptedStep)
                        """
                    )
                    guard moved == 1 else { throw Self.wrongCode }
                }
                var statements: [PostgresQuery] = [
                    """
                    INSERT INTO staff_sessions (token_hash, practice_id, staff_id, idle_timeout_seconds, absolute_expires_at)
                    VALUES (\(token.storageHash), \(practiceID), \(staffID), \(idleSeconds), \(absolute))
                    """
                ]
                if let rehash {
                    statements.append("UPDATE staff SET password_hash = \(rehash) WHERE id = \(staffID)")
                }
                statements += AuditStore.appendStatements(
                    AuditEntry(
                        practiceID: practiceID,
                        staffID: staffID,
                        staffRoles: roles.sorted(),
                        action: "staff.login",
                        entityType: "staff",
                        entityID: staffID,
                        outcome: .success,
                        source: source,
                        requestID: requestID
                    )
                )
                _ = try await connection.pipeline(statements + ["COMMIT"])
            }
        } catch let error as ServiceError where error == Self.wrongCode {
            try await auditLoginDenied(staffID: staffID, practiceID: practiceID, source: source, requestID: requestID)
            throw error
        }
        let actor = StaffActor(
            staffID: staffID,
            practiceID: practiceID,
            roles: Set(roles.compactMap(StaffActor.Role.init(rawValue:))),
            source: source,
            requestID: requestID,
            totpEnrollmentDue: factor.required && factor.totp == nil
        )
        return SignIn(token: token, actor: actor, absoluteExpiry: absolute)
    }

    /// The staff member a token belongs to, if the session is live and the account active.
    ///
    /// - Throws: `ServiceError.unauthenticated` saying to sign in again.
    public func authenticate(_ token: SessionToken, source: String, requestID: String? = nil) async throws -> StaffActor
    {
        let expired = ServiceError(
            .unauthenticated,
            "the session has expired or was ended; sign in again with 'haven login'"
        )
        let hash = token.storageHash
        let session = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT practice_id, staff_id, last_seen_at, idle_timeout_seconds, absolute_expires_at, revoked_at, active, roles,
                       totp_enrollment_due
                FROM haven_session_lookup(\(hash))
                """
            ).singleRow().map { try $0.decode((UUID, UUID, Date, Int, Date, Date?, Bool, [String], Bool).self) }
        }
        guard
            let (practiceID, staffID, lastSeen, idleSeconds, absolute, revoked, active, roles, enrollmentDue) = session
        else {
            throw expired
        }
        let now = Date()
        guard revoked == nil, active, now < absolute, now.timeIntervalSince(lastSeen) < Double(idleSeconds) else {
            throw expired
        }
        // Refresh the idle clock at most every 30 seconds: one write per half-minute, not per request.
        if now.timeIntervalSince(lastSeen) > 30 {
            try await pool.transaction(practiceID: practiceID, staffID: staffID) { connection in
                try await connection.execute(
                    "UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = \(hash)"
                )
            }
        }
        return StaffActor(
            staffID: staffID,
            practiceID: practiceID,
            roles: Set(roles.compactMap(StaffActor.Role.init(rawValue:))),
            source: source,
            requestID: requestID,
            totpEnrollmentDue: enrollmentDue
        )
    }

    /// Ends the session the token belongs to (audited).
    public func logout(_ token: SessionToken, actor: StaffActor) async throws {
        let hash = token.storageHash
        try actor.validate()
        // Not `transaction(as:)`: a session that still owes a second factor may always sign out.
        try await pool.transaction(practiceID: actor.practiceID, staffID: actor.staffID) { connection in
            var statements: [PostgresQuery] = [
                "UPDATE staff_sessions SET revoked_at = now() WHERE token_hash = \(hash) AND revoked_at IS NULL"
            ]
            statements += AuditStore.appendStatements(
                AuditEntry(
                    practiceID: actor.practiceID,
                    staffID: actor.staffID,
                    staffRoles: actor.roleNames,
                    action: "staff.logout",
                    entityType: "staff",
                    entityID: actor.staffID,
                    outcome: .success,
                    source: actor.source,
                    requestID: actor.requestID
                )
            )
            _ = try await connection.pipeline(statements + ["COMMIT"])
        }
    }

    static let wrongCode = ServiceError(
        .unauthenticated,
        field: "totpCode",
        reason: "totp-invalid",
        "the one-time code is wrong, expired or already used; wait for the next one"
    )

    /// Records a refused sign-in of an existing account.
    private func auditLoginDenied(staffID: UUID, practiceID: UUID, source: String, requestID: String?) async throws {
        try await pool.transaction(practiceID: practiceID, staffID: staffID) { connection in
            try AuditStore.appendAtCommit(
                AuditEntry(
                    practiceID: practiceID,
                    staffID: staffID,
                    action: "staff.login",
                    entityType: "staff",
                    entityID: staffID,
                    outcome: .denied,
                    source: source,
                    requestID: requestID
                ),
                on: connection
            )
        }
    }

    /// What sign-in needs after the password: the roles, the practice's policy and the staff member's
    /// confirmed TOTP secret, opened (one transaction).
    private func secondFactor(
        staffID: UUID,
        practiceID: UUID
    ) async throws -> (roles: [String], required: Bool, totp: TOTP?, lastUsedStep: Int64?) {
        let keys = self.keys
        return try await pool.transaction(practiceID: practiceID, staffID: staffID) { connection in
            let row = try await connection.query(
                """
                SELECT st.roles, p.require_totp, t.secret, t.last_used_step
                FROM staff st
                JOIN practices p ON p.id = st.practice_id
                LEFT JOIN staff_totp t ON t.practice_id = st.practice_id AND t.staff_id = st.id AND t.confirmed_at IS NOT NULL
                WHERE st.id = \(staffID)
                """
            )[0]
            let (roles, required, sealed, lastUsed) = try row.decode(([String], Bool, [UInt8]?, Int64?).self)
            guard let sealed else { return (roles, required, nil, nil) }
            guard let keys else {
                throw ServiceError(
                    .unauthenticated,
                    reason: "totp-unavailable",
                    "this account signs in with a one-time code, which needs the master key loaded"
                )
            }
            let totp = try await TOTPService.open(sealed, staffID: staffID, keys: keys, on: connection)
            return (roles, required, totp, lastUsed)
        }
    }

    /// A valid hash of a random password, verified against when the email is unknown.
    static let decoyHash = "$scrypt$ln=17,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
}
