import Foundation
import HavenStore
import Postgres

/// Staff changes an admin makes from their own session (the admin pages, `/v1/staff/...`), each one
/// call of a `SECURITY DEFINER` function of migration 0040 that takes the actor from the database's
/// context, refuses anyone but an admin, refuses the admin's own account, and audits itself (denials
/// included). Narrowing changes apply at once; widening ones (a clinical or admin role, a supervision
/// link, an optional TOTP policy) wait for a second admin's approval, so an admin alone gets no
/// clinical reach (docs/security.md, "Staff changes from an admin's session").
public struct StaffAdminService: Sendable {
    let pool: ConnectionPool

    /// - Parameter pool: connections as the application role.
    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// What a change did.
    public enum Outcome: String, Sendable, Equatable {
        /// Applied now.
        case applied
        /// Waiting for a second admin (what could be applied at once was).
        case proposed
    }

    /// Disables an account; its sessions (API and browser) end at once. Audited `staff.disable`.
    ///
    /// - Throws: `forbidden` for a non-admin; `invalidInput` naming `staff` for the admin's own account;
    ///   `notFound`; `conflict` when already disabled.
    public func disable(_ staffID: UUID, actor: StaffActor) async throws {
        try await run("haven_admin_staff_disable(\(staffID))", actor: actor, unchanged: "is already disabled")
    }

    /// Re-enables a disabled account (its password is unchanged; the admin never knows it). Audited
    /// `staff.enable`.
    ///
    /// - Throws: as `disable`; `conflict` when the account is active.
    public func enable(_ staffID: UUID, actor: StaffActor) async throws {
        try await run("haven_admin_staff_enable(\(staffID))", actor: actor, unchanged: "is already active")
    }

    /// Ends every open session of another staff member. Audited `staff.session.end`.
    ///
    /// - Throws: as `disable`.
    public func endSessions(of staffID: UUID, actor: StaffActor) async throws {
        try await run("haven_admin_staff_end_sessions(\(staffID))", actor: actor)
    }

    /// Ends a supervision link (neither end may be the admin). Audited `staff.unsupervise`.
    ///
    /// - Throws: as `disable`; `conflict` naming `supervisee` when there is no such link.
    public func removeSupervision(supervisor: UUID, supervisee: UUID, actor: StaffActor) async throws {
        try await run(
            "haven_admin_staff_unsupervise(\(supervisor), \(supervisee))",
            actor: actor,
            field: "supervisee",
            unchanged: "is not supervised by this supervisor"
        )
    }

    /// Sets an account's roles: removing roles and granting `scheduler` apply at once (audited
    /// `staff.roles.set`); granting `admin`, `counselor` or `supervisor` becomes a proposal for a
    /// second admin (audited `staff.change.propose`), and until it is approved the account keeps at
    /// least one of its current roles.
    ///
    /// - Throws: `invalidInput` naming `roles` for an empty set; as `disable`; `conflict` when nothing
    ///   changes.
    @discardableResult
    public func setRoles(_ roles: Set<StaffActor.Role>, of staffID: UUID, actor: StaffActor) async throws -> Outcome {
        guard !roles.isEmpty else { throw StaffService.rolesRequired }
        let names = roles.map(\.rawValue).sorted()
        return try await run(
            "haven_admin_staff_set_roles(\(staffID), \(names))",
            actor: actor,
            field: "roles",
            unchanged: "are already these (or a grant of them is already waiting for a second admin)"
        )
    }

    /// Proposes a supervision link; a second admin approves it. The supervisor must be active and
    /// hold the supervisor role.
    ///
    /// - Throws: `invalidInput` naming `supervisor`; as `disable`; `conflict` when the link exists or
    ///   is already proposed.
    public func proposeSupervision(supervisor: UUID, supervisee: UUID, actor: StaffActor) async throws {
        try await run(
            "haven_admin_propose_supervision(\(supervisor), \(supervisee))",
            actor: actor,
            field: "supervisor",
            invalid: "must be another active staff member holding the supervisor role",
            unchanged: "already supervises this person (or the link is already waiting for a second admin)"
        )
    }

    /// Sets the practice's TOTP policy: requiring an app applies at once (`practice.totp.require`);
    /// making it optional waits for a second admin.
    ///
    /// - Throws: `forbidden` for a non-admin; `conflict` when the policy already is so (or the change
    ///   is already waiting).
    @discardableResult
    public func setTOTPRequired(_ required: Bool, actor: StaffActor) async throws -> Outcome {
        try await run(
            required ? "haven_admin_practice_require_totp()" : "haven_admin_propose_totp_optional()",
            actor: actor,
            field: "required",
            unchanged: required
                ? "the practice already requires a one-time-code app"
                : "the policy is already optional (or the change is already waiting for a second admin)"
        )
    }

    /// Sets the practice's safety page, the plain text the portal shows partners in safety mode (blank
    /// clears it: the portal's default text shows again). Audited `practice.safety_page.set`.
    ///
    /// - Throws: `forbidden` for a non-admin; `invalidInput` naming `safetyPage` past 8000 characters.
    public func setSafetyPage(_ text: String, actor: StaffActor) async throws {
        guard text.count <= Self.maximumSafetyPageLength else {
            throw ServiceError(.invalidInput, field: "safetyPage", "is longer than 8000 characters")
        }
        _ = try await run(
            "haven_admin_practice_set_safety_page(\(text))",
            actor: actor,
            field: "safetyPage",
            invalid: "is longer than 8000 characters"
        )
    }

    /// Sets how many hours before an appointment the practice's reminder goes out; the reminders still
    /// waiting are re-timed to it. Audited `practice.reminder_hours.set`.
    ///
    /// - Throws: `forbidden` for a non-admin; `invalidInput` naming `appointmentReminderHours` outside
    ///   `PracticeService.appointmentReminderHours`.
    public func setAppointmentReminderHours(_ hours: Int, actor: StaffActor) async throws {
        _ = try await run(
            "haven_admin_practice_set_reminder_hours(\(Int32(clamping: hours)))",
            actor: actor,
            field: "appointmentReminderHours",
            invalid: PracticeService.appointmentReminderHoursRule
        )
    }

    /// The longest safety page (the `practices_safety_page_length` CHECK, migration 0048).
    public static let maximumSafetyPageLength = 8000

    /// Approves another admin's waiting proposal, which applies it (audited `staff.change.approve`,
    /// then the change's own action).
    ///
    /// - Throws: `forbidden` for a non-admin or the proposer; `invalidInput` when the change is about
    ///   the approver; `notFound`; `conflict` once decided or expired.
    public func approve(_ changeID: UUID, actor: StaffActor) async throws {
        try await run("haven_admin_approve(\(changeID))", actor: actor, field: "change")
    }

    /// Declines a waiting proposal: the proposer withdraws it, another admin rejects it.
    ///
    /// - Throws: `forbidden` for a non-admin; `notFound`; `conflict` once decided or expired.
    public func decline(_ changeID: UUID, actor: StaffActor) async throws {
        try await run("haven_admin_decline(\(changeID))", actor: actor, field: "change")
    }

    /// Calls one function and turns its answer into an outcome or a refusal (already audited by it).
    @discardableResult
    private func run(
        _ call: PostgresQuery,
        actor: StaffActor,
        field: String = "staff",
        invalid: String = "",
        unchanged: String = "nothing to change"
    ) async throws -> Outcome {
        let select = PostgresQuery(sql: "SELECT " + call.sql, bindings: call.bindings)
        let answer = try await pool.transaction(as: actor) { connection in
            try await connection.query(select)[0].decode(0, as: String.self)
        }
        switch answer {
        case "done": return .applied
        case "proposed": return .proposed
        default: throw Self.refusal(answer, field: field, invalid: invalid, unchanged: unchanged)
        }
    }

    /// The refusal a function's answer says (migrations 0040 and 0042), in words.
    static func refusal(
        _ answer: String,
        field: String = "staff",
        invalid: String = "",
        unchanged: String = "nothing to change"
    ) -> ServiceError {
        switch answer {
        case "forbidden": return ServiceError(.forbidden, "only the practice's admins change staff accounts")
        case "self" where field == "change":
            return ServiceError(.invalidInput, field: field, "is about your own account: another admin approves it")
        case "self":
            return ServiceError(
                .invalidInput,
                field: "staff",
                "is your own account: another admin or an operator (haven staff) changes it"
            )
        case "not-found": return ServiceError(.notFound, field: field, "no such staff member or change in the practice")
        case "invalid" where field == "roles": return StaffService.rolesRequired
        case "invalid": return ServiceError(.invalidInput, field: field, invalid)
        case "own-proposal":
            return ServiceError(.forbidden, field: field, "you proposed this change: a second admin must approve it")
        case "expired": return ServiceError(.conflict, field: field, "expired unapproved; propose it again")
        case "decided": return ServiceError(.conflict, field: field, "was already approved, declined or withdrawn")
        default: return ServiceError(.conflict, field: field, unchanged)
        }
    }
}
