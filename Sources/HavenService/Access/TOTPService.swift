import Foundation
import HavenStore
import Postgres
import Sealing

/// A staff member's second sign-in factor: a TOTP app (RFC 6238) they enrol, confirm with a code
/// and may remove; the operator's reset and the practice policy that requires one.
///
/// Works for a session that still owes the practice its second factor, so it does not use
/// `transaction(as:)`. The secret is sealed for the staff member (`staff:<id>`) and shown once.
public struct TOTPService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager
    /// The name authenticator apps show beside the account.
    public static let issuer = "Haven"

    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// Where a staff member stands.
    public struct Status: Sendable, Equatable, Codable {
        /// A confirmed app: sign-in asks for its code.
        public var enrolled: Bool
        /// An app was enrolled but its first code not yet given.
        public var pending: Bool
        /// The practice requires every staff member to have one.
        public var required: Bool

        public init(enrolled: Bool, pending: Bool, required: Bool) {
            self.enrolled = enrolled
            self.pending = pending
            self.required = required
        }
    }

    /// A new, unconfirmed enrolment: what to type or scan into the app. Shown once; never logged.
    public struct Enrollment: Sendable {
        /// The secret in base32.
        public var secret: String
        /// The `otpauth://` URI (scan as a QR code).
        public var uri: String
    }

    /// The actor's status.
    public func status(actor: StaffActor) async throws -> Status {
        try actor.validate()
        // Not `transaction(as:)`: a session that owes the practice a factor may always look and enrol.
        return try await pool.transaction(context: actor) { connection in
            let (required, hasSecret, confirmed) = try await connection.query(
                "SELECT require_totp, secret IS NOT NULL, confirmed FROM haven_totp_own()"
            )[0].decode((Bool, Bool, Bool).self)
            return Status(enrolled: confirmed, pending: hasSecret && !confirmed, required: required)
        }
    }

    /// Starts enrolling a new app (replacing an unconfirmed one). Sign-in does not ask for its codes
    /// until `confirm` gets one.
    ///
    /// - Throws: `conflict` if an app is already confirmed (remove it first).
    public func begin(actor: StaffActor) async throws -> Enrollment {
        try actor.validate()
        let totp = try TOTP.generate()
        let keys = self.keys
        let email = try await pool.transaction(context: actor) { connection in
            let (email, confirmed) = try await connection.query("SELECT email, confirmed FROM haven_totp_own()")[0]
                .decode((String, Bool).self)
            guard !confirmed else { throw Self.alreadyEnrolled }
            var plaintext = totp.secret.withUnsafeBytes { Array($0) }
            defer { wipe(&plaintext) }
            let (sealed, keyID) = try await keys.seal(
                secret: plaintext,
                practiceID: actor.practiceID,
                at: SealedPlace(
                    subject: Self.subject(actor.staffID),
                    table: "staff_totp",
                    column: "secret",
                    rowID: actor.staffID
                ),
                on: connection
            )
            // The database stores it as the context's own and audits it.
            _ = try await connection.pipeline(["SELECT haven_totp_enroll(\(sealed), \(keyID))", "COMMIT"])
            return email
        }
        return Enrollment(
            secret: totp.base32Secret,
            uri: totp.provisioningURI(issuer: Self.issuer, account: email)
        )
    }

    static let alreadyEnrolled = ServiceError(
        .conflict,
        "a one-time-code app is already enrolled; remove it first (with a current code) to enrol another"
    )

    /// Confirms the pending app with a code it shows: from now on sign-in asks for its codes.
    ///
    /// - Throws: `notFound` with nothing pending; `invalidInput` (field `code`) for a wrong code.
    public func confirm(code: String, actor: StaffActor) async throws {
        try await withCheckedCode(code, confirmed: false, action: .staffTOTPConfirm, actor: actor) {
            connection,
            attested in
            let confirmed = try await connection.query(
                "SELECT haven_totp_confirm(\(attested.step), \(attested.version), \(attested.mac))"
            )[0].decode(0, as: Bool.self)
            guard confirmed else {
                throw ServiceError(.notFound, "no enrolment is waiting for confirmation; start one first")
            }
        }
    }

    /// Removes the actor's app, proven with a current code.
    ///
    /// - Throws: `forbidden` when the practice requires one (an operator can reset a lost app);
    ///   `notFound` with none enrolled; `invalidInput` (field `code`) for a wrong or used code.
    public func remove(code: String, actor: StaffActor) async throws {
        try await withCheckedCode(code, confirmed: true, action: .staffTOTPRemove, actor: actor) {
            connection,
            attested in
            // The database refuses (and audits the refusal) when the practice requires an app.
            switch try await connection.query(
                "SELECT haven_totp_remove(\(attested.step), \(attested.version), \(attested.mac))"
            )[0].decode(0, as: String.self)
            {
            case "removed":
                return
            case "required":
                throw ServiceError(
                    .forbidden,
                    "your practice requires a one-time-code app; to replace a lost one, ask an operator to reset it"
                )
            default:
                throw Self.wrongCodeError
            }
        }
    }

    /// Verifies `code` against the actor's pending (or confirmed) secret, not reusing a step, then
    /// runs `apply` with the code's attested time step in the same transaction and commits it (a refusal
    /// that `apply` throws after the database audited it is still committed). A wrong code is audited;
    /// without the attestation key the answer is `KeyManager.codesUnavailable`, nothing changed.
    private func withCheckedCode(
        _ code: String,
        confirmed: Bool,
        action: AuditEvent.Action,
        actor: StaffActor,
        apply: @Sendable @escaping (isolated PostgresConnection, KeyManager.AttestedStep) async throws -> Void
    ) async throws {
        try actor.validate()
        let keys = self.keys
        let outcome = try await KeyManager.checkingAttestation {
            try await pool.transaction(context: actor) { connection -> ServiceError? in
                let (sealed, isConfirmed, lastUsed) = try await connection.query(
                    "SELECT secret, confirmed, last_used_step FROM haven_totp_own()"
                )[0].decode(([UInt8]?, Bool, Int64?).self)
                guard let sealed, isConfirmed == confirmed else {
                    throw ServiceError(
                        .notFound,
                        confirmed
                            ? "no one-time-code app is enrolled"
                            : "no enrolment is waiting for confirmation; start one first"
                    )
                }
                let totp = try await Self.open(sealed, staffID: actor.staffID, keys: keys, on: connection)
                guard
                    let attested = keys.attestedStep(
                        of: code,
                        on: totp,
                        after: lastUsed,
                        sessionHash: actor.sessionHash
                    )
                else {
                    try AuditStore.appendAtCommit(
                        AuditEvent(action: action, entityType: .staff, entityID: actor.staffID, outcome: .denied),
                        on: connection
                    )
                    return Self.wrongCodeError
                }
                do {
                    try await apply(connection, attested)
                    return nil
                } catch let refusal as ServiceError {
                    return refusal
                }
            }
        }
        if let outcome { throw outcome }
    }

    static let wrongCodeError = ServiceError(
        .invalidInput,
        field: "code",
        "does not match the app's current code (or was already used); check the device's clock and try the next code"
    )

    // MARK: - Operators (owner role)

    /// Removes a staff member's app (lost device), so they sign in with the password alone and, if the
    /// practice requires it, enrol again. Acts through an owner pool; audited without an actor.
    public static func reset(staffID: UUID, practiceID: UUID, source: String, pool: ConnectionPool) async throws {
        try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            let removed = try await connection.execute(
                "DELETE FROM staff_totp WHERE practice_id = \(practiceID) AND staff_id = \(staffID)"
            )
            guard removed == 1 else {
                throw ServiceError(.notFound, field: "staff", "this staff member has no one-time-code app")
            }
            try AuditStore.appendAtCommit(
                AuditEvent(action: .staffTOTPReset, entityType: .staff, entityID: staffID, outcome: .success),
                on: connection
            )
        }
    }

    /// Turns the practice's policy on or off. With it on, a staff member without a confirmed app can
    /// only enrol one, at once, in every live session. Acts through an owner pool; audited.
    public static func setRequired(
        _ required: Bool,
        practiceID: UUID,
        source: String,
        pool: ConnectionPool
    ) async throws {
        try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            let updated = try await connection.execute(
                "UPDATE practices SET require_totp = \(required) WHERE id = \(practiceID)"
            )
            guard updated == 1 else { throw ServiceError(.notFound, field: "practice", "no such practice") }
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: required ? .practiceTOTPRequire : .practiceTOTPOptional,
                    entityType: .practice,
                    entityID: practiceID,
                    outcome: .success
                ),
                on: connection
            )
        }
    }

    // MARK: - Sealing

    static func subject(_ staffID: UUID) -> KeySubject {
        KeySubject(kind: .staff, id: staffID.uuidString.lowercased())
    }

    /// Where a staff member's sealed secret lives.
    static func place(_ staffID: UUID) -> SealedPlace {
        SealedPlace(subject: subject(staffID), table: "staff_totp", column: "secret", rowID: staffID)
    }

    /// Opens a sealed secret read from `staff_totp`.
    static func open(
        _ sealed: [UInt8],
        staffID: UUID,
        keys: KeyManager,
        on connection: isolated PostgresConnection
    ) async throws -> TOTP {
        TOTP(secret: try await keys.openSecret(sealed, at: place(staffID), on: connection))
    }

    /// Opens the sealed secret of the sign-in the transaction's pending context waits for (its code step;
    /// `KeyManager.openSecondFactorSecret`).
    static func openPending(
        _ sealed: [UInt8],
        staffID: UUID,
        keys: KeyManager,
        on connection: isolated PostgresConnection
    ) async throws -> TOTP {
        TOTP(secret: try await keys.openSecondFactorSecret(sealed, at: place(staffID), on: connection))
    }
}
