import Foundation
import HavenService

/// The admin pages' change forms (docs/web.md, "Staff changes from the web"): one staff member's
/// page, the changes waiting for a second admin, and the words for what just happened. Every value is
/// a string ready to print; the service and the database decide what is allowed.
extension AdminViews {
    /// A widening change waiting for a second admin, with the buttons the viewer may use.
    struct PendingChange {
        var id: String
        var summary: String
        var proposedBy: String
        var proposedAt: String
        var expiresAt: String
        /// The viewer may approve it (they did not propose it and it is not about them).
        var canApprove: Bool
        /// "Withdraw" for the proposer, "Decline" for another admin.
        var declineLabel: String
        /// For a change that widens someone's reach: who could have chosen that person's password
        /// (an admin's set-password link, migration 0042), or nil when no admin could have.
        var passwordNote: String?
    }

    /// The practice's waiting changes as `viewer` sees them.
    static func pendingChanges(
        _ administration: PracticeService.Administration,
        viewer: UUID,
        where include: (PracticeService.StaffChange) -> Bool = { _ in true }
    ) -> [PendingChange] {
        let zone = TimeZone(identifier: administration.practice.timeZone) ?? .gmt
        let format = Date.FormatStyle(timeZone: zone).year().month(.abbreviated).day().hour().minute()
        return administration.pendingChanges.filter(include).map { change in
            let summary =
                switch change.kind {
                case .grantRoles:
                    "Grant \(change.roles.joined(separator: " and ")) to \(change.target?.displayName ?? "")"
                case .supervise:
                    "Make \(change.supervisor?.displayName ?? "") the supervisor of \(change.target?.displayName ?? "")"
                case .totpOptional:
                    "Make the one-time-code app optional for the practice"
                }
            // The account that gains reach: the grantee, or the supervisor of a new link.
            let gaining = change.kind == .supervise ? change.supervisor : change.target
            let account = administration.staff.first { $0.id == gaining?.id }
            let passwordNote: String? =
                if let account, !account.hasPassword {
                    "\(account.displayName) has no password yet: whoever holds their one-time link sets it."
                } else if let issuer = account?.passwordLinkIssuer {
                    "\(account?.displayName ?? "")'s password was set through a link \(issuer.displayName) issued."
                } else {
                    nil
                }
            let mine = change.proposedBy.id == viewer
            let aboutViewer = change.target?.id == viewer || change.supervisor?.id == viewer
            return PendingChange(
                id: change.id.uuidString.lowercased(),
                summary: summary,
                proposedBy: change.proposedBy.displayName,
                proposedAt: change.proposedAt.formatted(format),
                expiresAt: change.expiresAt.formatted(format),
                canApprove: !mine && !aboutViewer,
                declineLabel: mine ? "Withdraw" : "Decline",
                passwordNote: passwordNote
            )
        }
    }

    /// What to say when no other active admin can approve the viewer's proposals, else nil.
    static func secondAdminNote(_ administration: PracticeService.Administration, viewer: UUID) -> String? {
        let others = administration.staff.filter { $0.active && $0.roles.contains("admin") && $0.id != viewer }
        guard others.isEmpty else { return nil }
        return "You are the practice's only active admin, so no one can approve what you propose: ask an operator "
            + "to make the change on the server host (haven staff set-roles, haven staff supervise, "
            + "haven staff require-totp off), or to add a second admin."
    }

    /// The words for `?done=` after a change (an unknown word says nothing).
    static func notice(_ done: String?) -> String? {
        switch done {
        case "disabled": "Disabled: the account's sessions have ended."
        case "enabled": "Re-enabled: the account can sign in again with its own password."
        case "sessions": "Every session of the account has ended."
        case "roles": "Roles saved."
        case "proposed": "Saved what applies now; the rest waits for a second admin's approval (7 days)."
        case "unsupervised": "The supervision link has ended."
        case "approved": "Approved and applied."
        case "declined": "Declined."
        case "withdrawn": "Withdrawn."
        case "required": "Every staff member must now use a one-time-code app."
        case "safety-page": "The portal's safety page is saved."
        default: nil
        }
    }

    /// `GET /admin/staff/{id}`: one staff member and the changes an admin may make to them.
    struct Person {
        var chrome: PageChrome
        var id: String
        var name: String
        var email: String
        var roles: String
        var licence: String
        var codeApp: String
        var status: String
        var active: Bool
        /// The viewer's own account: no forms.
        var own: Bool
        var notice: String?
        var error: String?
        var roleChoices: [RoleChoice]
        var supervisors: [Link]
        var supervisees: [Link]
        var supervisorChoices: [Option]
        var secondAdminNote: String?
        var pending: [PendingChange]
        /// Stored, not computed: the templates read values by reflection.
        var hasPending: Bool
        var hasSupervisorChoices: Bool
        /// Whether an admin may issue a password link for the account (another account holding no
        /// counselor, supervisor or admin role: migration 0042).
        var resettable: Bool

        struct RoleChoice {
            var value: String
            var label: String
            var checked: Bool
        }

        struct Link {
            var name: String
            var supervisor: String
            var supervisee: String
        }

        struct Option {
            var value: String
            var label: String
            var selected: Bool
        }

        /// `member` as `viewer` sees them; `typed` is a refused form's fields (kept as typed).
        init(
            _ member: PracticeService.Account,
            in administration: PracticeService.Administration,
            viewer: UUID,
            typed: [String: String]? = nil,
            typedRoles: Bool = false,
            chrome: PageChrome
        ) {
            self.chrome = chrome
            let lower = { (id: UUID) in id.uuidString.lowercased() }
            let memberID = lower(member.id)
            id = memberID
            name = member.displayName
            email = member.email
            roles = member.roles.joined(separator: ", ")
            licence = member.preLicensed ? "pre-licensed" : "licensed"
            codeApp = member.totpEnrolled ? "enrolled" : "none"
            status = member.active ? "active" : "disabled"
            active = member.active
            own = member.id == viewer
            roleChoices = StaffActor.Role.allCases.map { role in
                RoleChoice(
                    value: role.rawValue,
                    label: role.rawValue,
                    checked: typedRoles
                        ? typed?["role-\(role.rawValue)"] != nil : member.roles.contains(role.rawValue)
                )
            }
            supervisors = member.supervisors.map {
                Link(name: $0.displayName, supervisor: lower($0.id), supervisee: memberID)
            }
            supervisees = member.supervisees.map {
                Link(name: $0.displayName, supervisor: memberID, supervisee: lower($0.id))
            }
            let linked = Set(member.supervisors.map(\.id))
            supervisorChoices = administration.staff.filter {
                $0.active && $0.roles.contains("supervisor") && $0.id != member.id && $0.id != viewer
                    && !linked.contains($0.id)
            }.map { Option(value: lower($0.id), label: $0.displayName, selected: typed?["supervisor"] == lower($0.id)) }
            secondAdminNote = AdminViews.secondAdminNote(administration, viewer: viewer)
            pending = AdminViews.pendingChanges(administration, viewer: viewer) { $0.target?.id == member.id }
            hasPending = !pending.isEmpty
            hasSupervisorChoices = !supervisorChoices.isEmpty
            resettable = !own && member.roles.allSatisfy { $0 == StaffActor.Role.scheduler.rawValue }
        }
    }

    /// The page that shows a one-time set-password link, once (the page is `no-store`).
    struct PasswordLinkPage {
        var chrome: PageChrome
        var name: String
        var staffID: String
        var url: String
        var created: Bool
        var proposed: String?
    }
}
