import Foundation
import HavenStore
import Postgres

extension PracticeService {
    /// The practice as its admins see it: settings, and every staff account with roles and
    /// supervision. No clinical record, no credential.
    public struct Administration: Sendable, Equatable {
        public var practice: Practice
        /// Whether the practice requires a one-time-code app of every staff member.
        public var requireTOTP: Bool
        /// The practice's own safety page for the portal (migration 0048); nil: the portal's default.
        public var safetyPage: String?
        public var staff: [Account]
        /// Widening changes waiting for a second admin (not yet expired), oldest first.
        public var pendingChanges: [StaffChange]
    }

    /// A widening staff change one admin proposed and a second admin must approve (migration 0040),
    /// named by ids and staff names.
    public struct StaffChange: Sendable, Equatable {
        /// What the change is.
        public enum Kind: String, Sendable, Equatable {
            /// Grant `roles` to `target`.
            case grantRoles = "grant_roles"
            /// Make `supervisor` the supervisor of `target`.
            case supervise
            /// Make the practice's TOTP policy optional.
            case totpOptional = "totp_optional"
        }

        public var id: UUID
        public var kind: Kind
        public var target: StaffService.Colleague?
        public var supervisor: StaffService.Colleague?
        public var roles: [String]
        public var proposedBy: StaffService.Colleague
        public var proposedAt: Date
        public var expiresAt: Date
    }

    /// One staff account as admins see it: no credential, and of the one-time-code app only whether
    /// one is confirmed (`haven_admin_staff_totp`, migration 0038).
    public struct Account: Sendable, Equatable {
        public var id: UUID
        public var displayName: String
        public var email: String
        public var roles: [String]
        public var preLicensed: Bool
        public var active: Bool
        /// Whether the account has a confirmed one-time-code app.
        public var totpEnrolled: Bool
        public var supervisors: [StaffService.Colleague]
        public var supervisees: [StaffService.Colleague]
        /// Whether the account has a password (false: created by an admin, its welcome link unspent).
        public var hasPassword: Bool
        /// The admin whose one-time link set the current password (migration 0042), nil when the
        /// staff member's password was set otherwise: who could have chosen it, for the second admin
        /// approving a clinical role or a supervision link for the account.
        public var passwordLinkIssuer: StaffService.Colleague?
    }

    /// The practice's settings and staff for an admin, in one snapshot; the read is audited as
    /// `staff.list`.
    ///
    /// - Throws: `forbidden` unless the actor is an admin (audited as `staff.list` denied).
    public func administration(actor: StaffActor) async throws -> Administration {
        try await requireAdmin(actor, action: .staffList, "only admins see the practice's administration")
        let entry = AuditEvent(action: .staffList, entityType: .practice, entityID: actor.practiceID)
        return try await pool.snapshot(as: actor) { connection in
            guard
                let row = try await connection.query(
                    "SELECT id, name, time_zone, require_totp, safety_page FROM practices WHERE id = \(actor.practiceID)"
                ).singleRow()
            else { throw ServiceError(.notFound, field: "practice", "no such practice") }
            let (id, name, zone, requireTOTP, safetyPage) = try row.decode((UUID, String, String, Bool, String?).self)
            let links = try await connection.query(
                "SELECT supervisor_id, supervisee_id FROM supervision_links ORDER BY supervisor_id, supervisee_id"
            ).map { try $0.decode((UUID, UUID).self) }
            let rows = try await connection.query(
                """
                SELECT id, display_name, email, roles, pre_licensed, active, has_password, password_link_issuer FROM staff
                ORDER BY display_name, id
                """
            ).map { try $0.decode((UUID, String, String, [String], Bool, Bool, Bool, UUID?).self) }
            let enrolled = Set(
                try await connection.query("SELECT haven_admin_staff_totp()").map { try $0.decode(0, as: UUID.self) }
            )
            let names = Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
            func colleague(_ id: UUID) -> StaffService.Colleague {
                StaffService.Colleague(id: id, displayName: names[id] ?? "")
            }
            let changes = try await connection.query(
                """
                SELECT id, kind, target_staff_id, supervisor_id, roles, proposed_by, proposed_at, expires_at
                FROM staff_change_proposals WHERE decision IS NULL AND expires_at > now()
                ORDER BY proposed_at, id
                """
            ).compactMap { row -> StaffChange? in
                let (id, kind, target, supervisor, roles, proposer, proposedAt, expiresAt) = try row.decode(
                    (UUID, String, UUID?, UUID?, [String], UUID, Date, Date).self
                )
                guard let kind = StaffChange.Kind(rawValue: kind) else { return nil }
                return StaffChange(
                    id: id,
                    kind: kind,
                    target: target.map(colleague),
                    supervisor: supervisor.map(colleague),
                    roles: roles,
                    proposedBy: colleague(proposer),
                    proposedAt: proposedAt,
                    expiresAt: expiresAt
                )
            }
            let staff = rows.map { id, name, email, roles, preLicensed, active, hasPassword, issuer in
                Account(
                    id: id,
                    displayName: name,
                    email: email,
                    roles: roles,
                    preLicensed: preLicensed,
                    active: active,
                    totpEnrolled: enrolled.contains(id),
                    supervisors: links.filter { $0.1 == id }.map { colleague($0.0) },
                    supervisees: links.filter { $0.0 == id }.map { colleague($0.1) },
                    hasPassword: hasPassword,
                    passwordLinkIssuer: issuer.map(colleague)
                )
            }
            return (
                Administration(
                    practice: Practice(id: id, name: name, timeZone: zone),
                    requireTOTP: requireTOTP,
                    safetyPage: safetyPage,
                    staff: staff,
                    pendingChanges: changes
                ),
                AuditStore.appendStatements(entry)
            )
        }
    }

    /// Refuses anyone but an admin with `refusal`, the refusal audited as `action` denied about the
    /// practice: the admin reads check this before anything else, so a refused caller is on record.
    func requireAdmin(_ actor: StaffActor, action: AuditEvent.Action, _ refusal: String) async throws {
        guard !actor.roles.contains(.admin) else { return }
        throw try await pool.recordingDenial(
            ServiceError(.forbidden, refusal),
            action: action,
            entityType: .practice,
            entityID: actor.practiceID,
            actor: actor
        )
    }
}
