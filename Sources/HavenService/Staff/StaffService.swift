import Foundation
import HavenStore
import Logging
import Postgres
import Sealing

/// Practices and staff accounts, as an operator sets them up (owner role): create a practice, add
/// staff with a password, disable an account (its sessions end at once), link a supervisor.
public struct StaffService: Sendable {
    let pool: ConnectionPool
    let hasher: PasswordHasher

    /// - Parameter pool: connections as the owner role (operator commands).
    public init(pool: ConnectionPool, hasher: PasswordHasher = PasswordHasher()) {
        self.pool = pool
        self.hasher = hasher
    }

    /// Creates a practice.
    ///
    /// - Throws: `ServiceError.invalidInput` naming `name` or `timeZone`.
    public func createPractice(name: String, timeZone: String = "UTC") async throws -> UUID {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(trimmed.count) else {
            throw ServiceError(.invalidInput, field: "name", "must be 1 to 200 characters")
        }
        guard TimeZone(identifier: timeZone) != nil else {
            throw ServiceError(
                .invalidInput,
                field: "timeZone",
                "'\(timeZone)' is not an IANA time zone (e.g. America/Chicago)"
            )
        }
        let id = UUID()
        try await pool.query("INSERT INTO practices (id, name, time_zone) VALUES (\(id), \(trimmed), \(timeZone))")
        return id
    }

    /// What a new staff account needs.
    public struct NewStaff: Sendable {
        public var email: String
        public var displayName: String
        public var credentials: String
        public var roles: Set<StaffActor.Role>
        public var preLicensed: Bool
        public var password: String

        public init(
            email: String,
            displayName: String,
            credentials: String = "",
            roles: Set<StaffActor.Role>,
            preLicensed: Bool = false,
            password: String
        ) {
            self.email = email
            self.displayName = displayName
            self.credentials = credentials
            self.roles = roles
            self.preLicensed = preLicensed
            self.password = password
        }
    }

    /// The refusal of an account without a role (operators and admins alike).
    public static let rolesRequired = ServiceError(
        .invalidInput,
        field: "roles",
        "give at least one of " + StaffActor.Role.allCases.map(\.rawValue).sorted().joined(separator: ", ")
    )

    /// The shortest password accepted.
    public static let minimumPasswordLength = 12

    /// The password rule, for every way a password is set (operators, set-password links).
    ///
    /// - Throws: `invalidInput` naming `password`.
    public static func checkPassword(_ password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw ServiceError(.invalidInput, field: "password", "must be at least \(minimumPasswordLength) characters")
        }
    }

    /// A new account's email (trimmed, lower case) and display name (trimmed), checked as the
    /// database's constraints check them, for operators and admins alike.
    ///
    /// - Throws: `invalidInput` naming `email` or `displayName`.
    public static func checkedIdentity(email: String, displayName: String) throws -> (email: String, name: String) {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.count <= 254, email.split(separator: "@", omittingEmptySubsequences: false).count == 2,
            !email.hasPrefix("@"), !email.hasSuffix("@"), !email.contains(where: \.isWhitespace)
        else { throw ServiceError(.invalidInput, field: "email", "is not an email address") }
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "displayName", "must be 1 to 200 characters")
        }
        return (email, name)
    }

    /// Adds a staff member with a password (stored as an scrypt hash). Audited.
    ///
    /// - Throws: `ServiceError.invalidInput` naming the field; `conflict` if the email is taken.
    public func createStaff(_ new: NewStaff, practiceID: UUID, source: String) async throws -> UUID {
        let (email, name) = try Self.checkedIdentity(email: new.email, displayName: new.displayName)
        guard new.credentials.unicodeScalars.count <= 100 else {
            throw ServiceError(.invalidInput, field: "credentials", "must be at most 100 characters")
        }
        guard !new.roles.isEmpty else { throw Self.rolesRequired }
        try Self.checkPassword(new.password)
        let hash = try await hasher.hash(new.password)
        let id = UUID()
        let roles = new.roles.map(\.rawValue).sorted()
        do {
            try await pool.transaction(operatorIn: practiceID, source: source) { connection in
                let statements: [PostgresQuery] = [
                    """
                    INSERT INTO staff (id, practice_id, email, display_name, credentials, roles, pre_licensed, password_hash)
                    VALUES (\(id), \(practiceID), \(email), \(name), \(new.credentials), \(roles), \(new.preLicensed), \(hash))
                    """
                ]
                try await connection.commit(
                    statements,
                    audited: AuditEvent(action: .staffCreate, entityType: .staff, entityID: id, outcome: .success)
                )
            }
        } catch let error as PostgresError where error.code == .uniqueViolation {
            throw ServiceError(.conflict, field: "email", "a staff member with this email already exists")
        } catch let error as PostgresError where error.code == .foreignKeyViolation {
            throw ServiceError(.notFound, field: "practice", "no such practice")
        }
        return id
    }

    /// Disables an account: it can no longer sign in, and its open sessions stop working at once.
    public func disable(staffID: UUID, practiceID: UUID, source: String) async throws {
        try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            let updated = try await connection.execute(
                "UPDATE staff SET active = false, disabled_at = now() WHERE id = \(staffID) AND practice_id = \(practiceID) AND active"
            )
            guard updated == 1 else {
                throw ServiceError(.notFound, field: "staff", "no active staff member with this id")
            }
            let statements: [PostgresQuery] = [
                "UPDATE staff_sessions SET revoked_at = now() WHERE staff_id = \(staffID) AND revoked_at IS NULL"
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .staffDisable, entityType: .staff, entityID: staffID, outcome: .success)
            )
        }
    }

    /// Opens a session for a staff member on the operator's authority, for work an operator does on
    /// the server host in that member's name (the demo seed, benchmarks). Audited as
    /// `staff.session.open` with the operator's source. The session ends by itself after `lifetime`;
    /// `endSessions` ends it sooner.
    ///
    /// - Throws: `notFound` naming `staff` for no active staff member with this id in the practice.
    public func openSession(
        for staffID: UUID,
        practiceID: UUID,
        lifetime: Duration = .seconds(3_600),
        source: String
    ) async throws -> StaffActor {
        let token = try SessionToken.generate()
        let seconds = Int32(lifetime.components.seconds)
        let roles = try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            guard
                let row = try await connection.query(
                    "SELECT roles FROM staff WHERE id = \(staffID) AND practice_id = \(practiceID) AND active"
                ).singleRow()
            else { throw ServiceError(.notFound, field: "staff", "no active staff member with this id") }
            let roles = try row.decode(0, as: [String].self)
            let statements: [PostgresQuery] = [
                """
                INSERT INTO staff_sessions (token_hash, practice_id, staff_id, idle_timeout_seconds, absolute_expires_at)
                VALUES (\(token.storageHash), \(practiceID), \(staffID), \(seconds), now() + make_interval(secs => \(seconds)))
                """
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .staffSessionOpen, entityType: .staff, entityID: staffID)
            )
            return roles
        }
        return StaffActor(
            staffID: staffID,
            practiceID: practiceID,
            sessionHash: token.storageHash,
            roles: Set(roles.compactMap(StaffActor.Role.init(rawValue:))),
            source: source
        )
    }

    /// Ends every open session of a staff member (after an operator's seeding run, say). Audited.
    public func endSessions(of staffID: UUID, practiceID: UUID, source: String) async throws {
        try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            let statements: [PostgresQuery] = [
                """
                UPDATE staff_sessions SET revoked_at = now()
                WHERE practice_id = \(practiceID) AND staff_id = \(staffID) AND revoked_at IS NULL
                """
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .staffSessionEnd, entityType: .staff, entityID: staffID)
            )
        }
    }
}
