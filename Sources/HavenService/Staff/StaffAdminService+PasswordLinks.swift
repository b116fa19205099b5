import Foundation
import HavenStore
import Postgres
import Sealing

extension StaffAdminService {
    /// A one-time set-password link just issued: the token is shown to the admin once (to hand over in
    /// person or by a channel they trust) and never stored or logged; the database keeps its SHA-256.
    public struct PasswordLink: Sendable {
        /// The account whose password the link sets.
        public var staffID: UUID
        /// The token for `/welcome/{token}`. Its description is redacted.
        public var token: SessionToken
        /// How long the link works (migration 0042's `haven_password_link_life`).
        public static let lifetime: Duration = .seconds(72 * 3_600)
    }

    /// Creates an account with no password and issues its welcome link (migration 0042,
    /// `haven_admin_staff_create`). Only `scheduler` is granted here: counselor, supervisor and admin
    /// are proposed afterwards (`setRoles`) for a second admin's approval. Audited `staff.create`.
    ///
    /// - Throws: `invalidInput` naming `email`, `displayName` or `roles` (a clinical or admin role, or
    ///   none); `forbidden` for a non-admin; `conflict` naming `email` when the email has an account.
    public func create(
        email: String,
        displayName: String,
        roles: Set<StaffActor.Role>,
        actor: StaffActor
    ) async throws -> PasswordLink {
        let (email, name) = try StaffService.checkedIdentity(email: email, displayName: displayName)
        guard !roles.isEmpty else { throw StaffService.rolesRequired }
        let token = try SessionToken.generate()
        let names = roles.map(\.rawValue).sorted()
        let (answer, created) = try await pool.transaction(as: actor) { connection in
            try await connection.query(
                """
                SELECT result, staff_id FROM haven_admin_staff_create(\(email), \(name), \(names), \(token.storageHash))
                """
            )[0].decode((String, UUID?).self)
        }
        switch answer {
        case "done":
            guard let created else { throw ServiceError(.conflict, "the account was not created") }
            return PasswordLink(staffID: created, token: token)
        case "widening":
            throw ServiceError(
                .invalidInput,
                field: "roles",
                "a new account starts as scheduler at most: propose counselor, supervisor or admin once it exists "
                    + "(a second admin approves them)"
            )
        case "taken": throw ServiceError(.conflict, field: "email", "a staff member with this email already exists")
        default: throw Self.refusal(answer, field: answer == "invalid" ? "roles" : "staff")
        }
    }

    /// Issues a password-reset link for another account holding no counselor, supervisor or admin role
    /// (whose resets stay the operator's `haven staff reset-password`), supersedes its older links and
    /// ends its sessions; its password works until the link is spent. Audited `staff.password.reset`.
    ///
    /// - Throws: `forbidden` for a non-admin or a clinical or admin account; `invalidInput` for the
    ///   admin's own account; `notFound`.
    public func passwordLink(for staffID: UUID, actor: StaffActor) async throws -> PasswordLink {
        let token = try SessionToken.generate()
        let answer = try await pool.transaction(as: actor) { connection in
            try await connection.query(
                "SELECT haven_admin_staff_password_link(\(staffID), \(token.storageHash))"
            )[0].decode(0, as: String.self)
        }
        switch answer {
        case "done": return PasswordLink(staffID: staffID, token: token)
        case "clinical":
            throw ServiceError(
                .forbidden,
                field: "staff",
                "holds a counselor, supervisor or admin role: an operator resets it (haven staff reset-password)"
            )
        default: throw Self.refusal(answer)
        }
    }
}
