import Foundation
import HavenService
import HavenStore

/// The admin pages' content (docs/web.md, "Admin pages"): the practice's staff, settings and audit
/// log, every value a string ready to print. Ids, roles and staff names only: no client's name and
/// no clinical record (an audit entry names clients by id, as `GET /v1/audit` does).
enum AdminViews {
    /// `GET /admin`: what the practice is and where each admin page is.
    struct Overview {
        var chrome: PageChrome
        var practiceName: String
        var timeZone: String
        var activeStaff: String
        var disabledStaff: String
        var totpPolicy: String
        /// The practice's safety page for the portal as it stands (or as typed when refused); empty: the
        /// portal shows `PortalService.defaultSafetyPage`.
        var safetyPage: String
        var safetyPageSet: Bool
        var defaultSafetyPage = PortalService.defaultSafetyPage
        var notice: String?
        var error: String?
    }

    /// `GET /admin/staff`.
    struct Staff {
        var chrome: PageChrome
        var members: [Member]
        var pending: [PendingChange]
        var secondAdminNote: String?
        var notice: String?
        var error: String?
        /// The "New staff member" form as typed (after a refusal).
        var newEmail = ""
        var newName = ""

        struct Member {
            var id: String
            var name: String
            var email: String
            var roles: String
            var licence: String
            var codeApp: String
            var supervisors: String
            var supervisees: String
            var status: String
        }

        init(_ administration: PracticeService.Administration, viewer: UUID, chrome: PageChrome) {
            self.chrome = chrome
            pending = AdminViews.pendingChanges(administration, viewer: viewer)
            secondAdminNote = AdminViews.secondAdminNote(administration, viewer: viewer)
            func names(_ colleagues: [StaffService.Colleague]) -> String {
                colleagues.isEmpty ? "—" : colleagues.map(\.displayName).joined(separator: ", ")
            }
            members = administration.staff.map { member in
                Member(
                    id: member.id.uuidString.lowercased(),
                    name: member.displayName,
                    email: member.email,
                    roles: member.roles.joined(separator: ", "),
                    licence: member.preLicensed ? "pre-licensed" : "licensed",
                    codeApp: member.totpEnrolled ? "enrolled" : "none",
                    supervisors: names(member.supervisors),
                    supervisees: names(member.supervisees),
                    status: member.active ? "active" : "disabled"
                )
            }
        }
    }

    /// `GET /admin/security`.
    struct Security {
        var chrome: PageChrome
        var required: Bool
        var policy: String
        var pending: [PendingChange]
        var hasPending: Bool
        var secondAdminNote: String?
        var notice: String?
        var error: String?

        init(_ administration: PracticeService.Administration, viewer: UUID, policy: String, chrome: PageChrome) {
            self.chrome = chrome
            required = administration.requireTOTP
            self.policy = policy
            pending = AdminViews.pendingChanges(administration, viewer: viewer) { $0.kind == .totpOptional }
            hasPending = !pending.isEmpty
            secondAdminNote = AdminViews.secondAdminNote(administration, viewer: viewer)
        }
    }

    /// `GET /admin/keys`.
    struct Keys {
        var chrome: PageChrome
        var masterKeys: [Row]
        var dataKeys: [Row]
        var minimumMasterKeyVersion: String
        var rotationPending: Bool

        /// A table row as the page prints it.
        struct Row {
            var state: String
            var version: String
            var count: String
            var pending: String
        }

        init(chrome: PageChrome, status: PracticeService.KeyStatus) {
            self.chrome = chrome
            masterKeys = status.masterKeys.map {
                Row(state: $0.state, version: "\($0.version)", count: "\($0.dataKeys)", pending: "")
            }
            dataKeys = status.dataKeys.map {
                Row(
                    state: $0.state,
                    version: $0.masterKeyVersion.map { "\($0)" } ?? "none (shredded)",
                    count: "\($0.count)",
                    pending: "\($0.rotationPending)"
                )
            }
            minimumMasterKeyVersion = "\(status.minimumMasterKeyVersion)"
            rotationPending = status.dataKeys.contains { $0.rotationPending > 0 }
        }
    }

    /// `GET /admin/audit/verification`.
    struct Verification {
        var chrome: PageChrome
        var intact: Bool
        var entries: String
        var head: String
        var breakSeq: String
        var breakReason: String

        init(_ result: AuditService.Verification, chrome: PageChrome) {
            self.chrome = chrome
            intact = result.firstBreak == nil
            entries = "\(result.count)"
            head = result.headSeq.map { "entry \($0)" } ?? "no entries"
            breakSeq = result.firstBreak.map { "\($0.seq)" } ?? ""
            breakReason = result.firstBreak?.reason ?? ""
        }
    }

    /// `GET /admin/audit`: the filter form (what was asked, kept as typed) and one page of entries.
    struct Audit {
        var chrome: PageChrome
        var error: String?
        var actions: [Option]
        var outcomes: [Option]
        var staff: [Option]
        var breakGlass: Bool
        var from: String
        var to: String
        var rows: [Row] = []
        /// The next page's address (ids, enums and dates only), when there are older entries.
        var olderHref: String?
        var timeZone: String

        struct Option {
            var value: String
            var label: String
            var selected: Bool
        }

        struct Row {
            var seq: String
            var when: String
            var staff: String
            var roles: String
            var action: String
            var entity: String
            var clients: String
            var outcome: String
            var breakGlass: String
            var source: String
        }

        /// The form as the query asked (valid or not: nothing typed is lost).
        init(query: [String: String], staff: [PracticeService.Account], timeZone: String, chrome: PageChrome) {
            self.chrome = chrome
            self.timeZone = timeZone
            func options(_ values: [(String, String)], selected: String?) -> [Option] {
                [Option(value: "", label: "Any", selected: selected == nil)]
                    + values.map { Option(value: $0.0, label: $0.1, selected: $0.0 == selected) }
            }
            actions = options(
                AuditEvent.Action.allCases.map(\.rawValue).sorted().map { ($0, $0) },
                selected: query["action"]
            )
            outcomes = options(
                [AuditEntry.Outcome.success, .denied, .failed].map { ($0.rawValue, $0.rawValue) },
                selected: query["outcome"]
            )
            self.staff = options(
                staff.map { ($0.id.uuidString.lowercased(), $0.displayName) },
                selected: query["staffId"]?.lowercased()
            )
            breakGlass = query["breakGlass"] == "true"
            from = query["from"] ?? ""
            to = query["to"] ?? ""
        }

        /// Fills in one page of `entries` (newest first); `more` when older ones match too.
        mutating func show(
            _ entries: [StoredAuditEntry],
            more: Bool,
            query: [String: String],
            staffNames: [UUID: String]
        ) {
            let zone = TimeZone(identifier: timeZone) ?? .gmt
            let format = Date.FormatStyle(timeZone: zone).year().month(.twoDigits).day(.twoDigits).hour().minute()
                .second()
            func short(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }
            rows = entries.map { stored in
                let entry = stored.entry
                return Row(
                    seq: "\(stored.seq)",
                    when: entry.occurredAt.formatted(format),
                    staff: entry.staffID.map { staffNames[$0] ?? short($0) } ?? "operator",
                    roles: entry.staffRoles.joined(separator: ", "),
                    action: entry.action,
                    entity: [entry.entityType, entry.entityID.map(short)].compactMap { $0 }.joined(separator: " "),
                    clients: entry.clientIDs.map(short).joined(separator: ", "),
                    outcome: entry.outcome.rawValue,
                    breakGlass: entry.breakGlass ? "break-glass" : "",
                    source: entry.source
                )
            }
            if more, let last = entries.last {
                var next = query.filter {
                    ["action", "outcome", "staffId", "breakGlass", "from", "to"].contains($0.key)
                }
                next["cursor"] = "\(last.seq)"
                let allowed = CharacterSet.alphanumerics.union(.init(charactersIn: "-._"))
                olderHref =
                    "/admin/audit?"
                    + next.sorted { $0.key < $1.key }.map {
                        "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
                    }.joined(separator: "&")
            }
        }
    }
}
