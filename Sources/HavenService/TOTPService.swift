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
        return try await pool.transaction(practiceID: actor.practiceID, staffID: actor.staffID) { connection in
            let (required, confirmed) = try await connection.query(
                """
                SELECT p.require_totp, CASE WHEN t.staff_id IS NOT NULL THEN t.confirmed_at IS NOT NULL END
                FROM practices p LEFT JOIN staff_totp t ON t.practice_id = p.id AND t.staff_id = \(actor.staffID)
                WHERE p.id = \(actor.practiceID)
                """
            )[0].decode((Bool, Bool?).self)
            return Status(enrolled: confirmed == true, pending: confirmed == false, required: required)
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
        let email = try await pool.transaction(practiceID: actor.practiceID, staffID: actor.staffID) { connection in
            let rows = try await connection.query(
                """
                SELECT st.email, t.confirmed_at IS NOT NULL
                FROM staff st LEFT JOIN staff_totp t ON t.practice_id = st.practice_id AND t.staff_id = st.id
                WHERE st.id = \(actor.staffID)
                """
            )
            let (email, confirmed) = try rows[0].decode((String, Bool?).self)
            guard confirmed != true else {
                throw ServiceError(
                    .conflict,
                    "a one-time-code app is already enrolled; remove it first (with a current code) to enrol another"
                )
            }
            var plaintext = totp.secret.withUnsafeBytes { Array($0) }
            defer { wipe(&plaintext) }
            let (sealed, keyID) = try await keys.seal(
                plaintext,
                practiceID: actor.practiceID,
                subject: Self.subject(actor.staffID),
                table: "staff_totp",
                column: "secret",
                rowID: actor.staffID.uuidString.lowercased(),
                on: connection
            )
            var statements: [PostgresQuery] = [
                """
                INSERT INTO staff_totp (practice_id, staff_id, secret, secret_key_id)
                VALUES (\(actor.practiceID), \(actor.staffID), \(sealed), \(keyID))
                ON CONFLICT (practice_id, staff_id) DO UPDATE
                SET secret = EXCLUDED.secret, secret_key_id = EXCLUDED.secret_key_id, created_at = now(),
                    confirmed_at = NULL, last_used_step = NULL
                """
            ]
            statements += AuditStore.appendStatements(Self.entry(actor, action: "staff.totp.begin", outcome: .success))
            _ = try await connection.pipeline(statements + ["COMMIT"])
            return email
        }
        return Enrollment(
            secret: totp.base32Secret,
            uri: totp.provisioningURI(issuer: Self.issuer, account: email)
        )
    }

    /// Confirms the pending app with a code it shows: from now on sign-in asks for its codes.
    ///
    /// - Throws: `notFound` with nothing pending; `invalidInput` (field `code`) for a wrong code.
    public func confirm(code: String, actor: StaffActor) async throws {
        try await checkCode(code, confirmed: false, actor: actor) { connection, step in
            let confirm: PostgresQuery = """
                UPDATE staff_totp SET confirmed_at = now(), last_used_step = \(step)
                WHERE practice_id = \(actor.practiceID) AND staff_id = \(actor.staffID) AND confirmed_at IS NULL
                """
            return [confirm]
                + AuditStore.appendStatements(Self.entry(actor, action: "staff.totp.confirm", outcome: .success))
        }
    }

    /// Removes the actor's app, proven with a current code.
    ///
    /// - Throws: `forbidden` when the practice requires one (an operator can reset a lost app);
    ///   `notFound` with none enrolled; `invalidInput` (field `code`) for a wrong or used code.
    public func remove(code: String, actor: StaffActor) async throws {
        do {
            try await removeChecked(code: code, actor: actor)
        } catch let error as ServiceError where error.kind == .forbidden {
            try await pool.transaction(practiceID: actor.practiceID, staffID: actor.staffID) { connection in
                try AuditStore.appendAtCommit(
                    Self.entry(actor, action: "staff.totp.remove", outcome: .denied),
                    on: connection
                )
            }
            throw error
        }
    }

    private func removeChecked(code: String, actor: StaffActor) async throws {
        try await checkCode(code, confirmed: true, actor: actor) { connection, _ in
            let required = try await connection.query(
                "SELECT require_totp FROM practices WHERE id = \(actor.practiceID)"
            )[0].decode(0, as: Bool.self)
            guard !required else {
                throw ServiceError(
                    .forbidden,
                    "your practice requires a one-time-code app; to replace a lost one, ask an operator to reset it"
                )
            }
            let delete: PostgresQuery =
                "DELETE FROM staff_totp WHERE practice_id = \(actor.practiceID) AND staff_id = \(actor.staffID)"
            return [delete]
                + AuditStore.appendStatements(Self.entry(actor, action: "staff.totp.remove", outcome: .success))
        }
    }

    /// Verifies `code` against the actor's pending (or confirmed) secret, not reusing a step, then
    /// runs the statements `change` returns in the same transaction. A wrong code is audited.
    private func checkCode(
        _ code: String,
        confirmed: Bool,
        actor: StaffActor,
        change: @Sendable @escaping (isolated PostgresConnection, Int64) async throws -> [PostgresQuery]
    ) async throws {
        try actor.validate()
        let keys = self.keys
        let accepted = try await pool.transaction(practiceID: actor.practiceID, staffID: actor.staffID) { connection in
            let row = try await connection.query(
                """
                SELECT secret, last_used_step FROM staff_totp
                WHERE practice_id = \(actor.practiceID) AND staff_id = \(actor.staffID)
                  AND (confirmed_at IS NOT NULL) = \(confirmed)
                FOR UPDATE
                """
            ).singleRow()
            guard let row else {
                throw ServiceError(
                    .notFound,
                    confirmed
                        ? "no one-time-code app is enrolled"
                        : "no enrolment is waiting for confirmation; start one first"
                )
            }
            let (sealed, lastUsed) = try row.decode(([UInt8], Int64?).self)
            let totp = try await Self.open(sealed, staffID: actor.staffID, keys: keys, on: connection)
            guard let step = totp.matchingStep(for: code, at: Date()), step > lastUsed ?? .min else { return false }
            _ = try await connection.pipeline(try await change(connection, step) + ["COMMIT"])
            return true
        }
        guard accepted else {
            try await pool.transaction(practiceID: actor.practiceID, staffID: actor.staffID) { connection in
                try AuditStore.appendAtCommit(
                    Self.entry(actor, action: confirmed ? "staff.totp.remove" : "staff.totp.confirm", outcome: .denied),
                    on: connection
                )
            }
            throw ServiceError(
                .invalidInput,
                field: "code",
                "does not match the app's current code (or was already used); check the device's clock and try the next code"
            )
        }
    }

    // MARK: - Operators (owner role)

    /// Removes a staff member's app (lost device), so they sign in with the password alone and, if the
    /// practice requires it, enrol again. Acts through an owner pool; audited without an actor.
    public static func reset(staffID: UUID, practiceID: UUID, source: String, pool: ConnectionPool) async throws {
        try await pool.transaction(practiceID: practiceID, staffID: nil) { connection in
            let removed = try await connection.execute(
                "DELETE FROM staff_totp WHERE practice_id = \(practiceID) AND staff_id = \(staffID)"
            )
            guard removed == 1 else {
                throw ServiceError(.notFound, field: "staff", "this staff member has no one-time-code app")
            }
            try AuditStore.appendAtCommit(
                AuditEntry(
                    practiceID: practiceID,
                    staffID: nil,
                    action: "staff.totp.reset",
                    entityType: "staff",
                    entityID: staffID,
                    outcome: .success,
                    source: source
                ),
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
        try await pool.transaction(practiceID: practiceID, staffID: nil) { connection in
            let updated = try await connection.execute(
                "UPDATE practices SET require_totp = \(required) WHERE id = \(practiceID)"
            )
            guard updated == 1 else { throw ServiceError(.notFound, field: "practice", "no such practice") }
            try AuditStore.appendAtCommit(
                AuditEntry(
                    practiceID: practiceID,
                    staffID: nil,
                    action: required ? "practice.totp.require" : "practice.totp.optional",
                    entityType: "practice",
                    entityID: practiceID,
                    outcome: .success,
                    source: source
                ),
                on: connection
            )
        }
    }

    // MARK: - Sealing

    static func subject(_ staffID: UUID) -> KeySubject {
        KeySubject(kind: .staff, id: staffID.uuidString.lowercased())
    }

    /// Opens a sealed secret read from `staff_totp`.
    static func open(
        _ sealed: [UInt8],
        staffID: UUID,
        keys: KeyManager,
        on connection: isolated PostgresConnection
    ) async throws -> TOTP {
        let context = SealContext(
            table: "staff_totp",
            column: "secret",
            rowID: staffID.uuidString.lowercased(),
            subject: subject(staffID).description
        )
        var plaintext = try await keys.open(sealed, context: context, on: connection)
        defer { wipe(&plaintext) }
        return TOTP(secret: SecureBytes(copying: plaintext))
    }

    static func entry(_ actor: StaffActor, action: String, outcome: AuditEntry.Outcome) -> AuditEntry {
        AuditEntry(actor: actor, action: action, entityType: "staff", entityID: actor.staffID, outcome: outcome)
    }
}
