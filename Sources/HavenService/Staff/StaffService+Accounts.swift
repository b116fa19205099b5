import Foundation
import HavenStore
import Postgres

extension StaffService {
    /// A colleague named in an account's supervision links.
    public struct Colleague: Sendable, Equatable {
        public var id: UUID
        public var displayName: String

        /// A colleague by id and display name.
        public init(id: UUID, displayName: String) {
            self.id = id
            self.displayName = displayName
        }
    }

    /// One staff account as operators see it (no password hash, no TOTP secret).
    public struct Account: Sendable, Equatable {
        public var id: UUID
        public var displayName: String
        public var email: String
        public var roles: [String]
        public var preLicensed: Bool
        public var active: Bool
        /// Whether the account has a confirmed one-time-code app.
        public var totpEnrolled: Bool
        public var supervisors: [Colleague]
        public var supervisees: [Colleague]
    }

    /// One practice's staff accounts with their supervision links, by name (operators).
    public func accounts(practiceID: UUID) async throws -> [Account] {
        try await accounts(practiceID: practiceID, only: nil)
    }

    /// One staff account with its supervision links (operators).
    ///
    /// - Throws: `notFound` naming `staff` for no staff member with this id in the practice.
    public func account(_ staffID: UUID, practiceID: UUID) async throws -> Account {
        guard let account = try await accounts(practiceID: practiceID, only: staffID).first else {
            throw ServiceError(.notFound, field: "staff", "no staff member with this id")
        }
        return account
    }

    private func accounts(practiceID: UUID, only: UUID?) async throws -> [Account] {
        let rows = try await pool.query(
            """
            SELECT s.id, s.display_name, s.email, s.roles, s.pre_licensed, s.active,
                   EXISTS (SELECT 1 FROM staff_totp t WHERE t.staff_id = s.id AND t.confirmed_at IS NOT NULL)
            FROM staff s
            WHERE s.practice_id = \(practiceID) AND (\(only)::uuid IS NULL OR s.id = \(only))
            ORDER BY s.display_name, s.id
            """
        ).map { row in
            let (id, name, email, roles, preLicensed, active, totp) = try row.decode(
                (UUID, String, String, [String], Bool, Bool, Bool).self
            )
            return Account(
                id: id,
                displayName: name,
                email: email,
                roles: roles,
                preLicensed: preLicensed,
                active: active,
                totpEnrolled: totp,
                supervisors: [],
                supervisees: []
            )
        }
        let links = try await pool.query(
            """
            SELECT l.supervisor_id, a.display_name, l.supervisee_id, b.display_name
            FROM supervision_links l
            JOIN staff a ON a.id = l.supervisor_id
            JOIN staff b ON b.id = l.supervisee_id
            WHERE l.practice_id = \(practiceID)
            ORDER BY a.display_name, b.display_name, l.supervisor_id, l.supervisee_id
            """
        ).map { row in try row.decode((UUID, String, UUID, String).self) }
        return rows.map { account in
            var account = account
            account.supervisors = links.filter { $0.2 == account.id }.map { Colleague(id: $0.0, displayName: $0.1) }
            account.supervisees = links.filter { $0.0 == account.id }.map { Colleague(id: $0.2, displayName: $0.3) }
            return account
        }
    }

    /// Ends a supervision link (operators): the supervisor no longer reaches the supervisee's
    /// caseload from their next request on. Audited as `staff.unsupervise` on the supervisee.
    ///
    /// - Throws: `notFound` naming `supervisee` when the supervisor does not supervise them.
    public func removeSupervision(supervisor: UUID, supervisee: UUID, practiceID: UUID, source: String) async throws {
        try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            let removed = try await connection.execute(
                """
                DELETE FROM supervision_links
                WHERE practice_id = \(practiceID) AND supervisor_id = \(supervisor) AND supervisee_id = \(supervisee)
                """
            )
            guard removed == 1 else {
                throw ServiceError(.notFound, field: "supervisee", "is not supervised by this supervisor")
            }
            try await connection.commit(
                audited: AuditEvent(
                    action: .staffUnsupervise,
                    entityType: .staff,
                    entityID: supervisee,
                    outcome: .success
                )
            )
        }
    }

    /// Replaces a staff member's roles (operators); takes effect from their next request. Audited as
    /// `staff.roles.set`.
    ///
    /// - Throws: `invalidInput` naming `roles` for an empty set; `notFound` naming `staff`.
    public func setRoles(_ roles: Set<StaffActor.Role>, of staffID: UUID, practiceID: UUID, source: String) async throws
    {
        guard !roles.isEmpty else { throw Self.rolesRequired }
        let names = roles.map(\.rawValue).sorted()
        try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            let updated = try await connection.execute(
                "UPDATE staff SET roles = \(names) WHERE id = \(staffID) AND practice_id = \(practiceID)"
            )
            guard updated == 1 else { throw ServiceError(.notFound, field: "staff", "no staff member with this id") }
            try await connection.commit(
                audited: AuditEvent(action: .staffRolesSet, entityType: .staff, entityID: staffID, outcome: .success)
            )
        }
    }

    /// Sets a new password (operators; stored as an scrypt hash like `createStaff`'s) and ends every
    /// open session of the account. Audited as `staff.password.reset`.
    ///
    /// - Throws: `invalidInput` naming `password`; `notFound` naming `staff`.
    public func resetPassword(of staffID: UUID, to password: String, practiceID: UUID, source: String) async throws {
        try Self.checkPassword(password)
        let hash = try await hasher.hash(password)
        try await pool.transaction(operatorIn: practiceID, source: source) { connection in
            let updated = try await connection.execute(
                """
                UPDATE staff SET password_hash = \(hash), password_link_issuer = NULL
                WHERE id = \(staffID) AND practice_id = \(practiceID)
                """
            )
            guard updated == 1 else { throw ServiceError(.notFound, field: "staff", "no staff member with this id") }
            let statements: [PostgresQuery] = [
                "UPDATE staff_sessions SET revoked_at = now() WHERE staff_id = \(staffID) AND revoked_at IS NULL",
                """
                UPDATE staff_password_links SET superseded_at = now()
                WHERE staff_id = \(staffID) AND spent_at IS NULL AND superseded_at IS NULL
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: .staffPasswordReset,
                    entityType: .staff,
                    entityID: staffID,
                    outcome: .success
                )
            )
        }
    }
}
