import Foundation
import HavenService
import Hummingbird

/// One staff-change form's call: the service, the staff member of the page, the form, the actor; it
/// answers the `?done=` word for what happened.
typealias StaffChangeForm = @Sendable (StaffAdminService, UUID, WebForm, StaffActor) async throws -> String

extension HavenAPI {
    /// The admin's staff changes in the browser (docs/web.md, "Staff changes from the web"): one
    /// staff member's page (`GET /admin/staff/{id}`) and its forms, the approval of changes waiting
    /// for a second admin, and the TOTP policy. Each POST is one `StaffAdminService` call (the calls
    /// behind `/v1/staff/...`), then `303` back to the page with `?done=`; a refusal of kind invalid
    /// or conflict re-renders the page with the service's words and the form as typed.
    func addAdminStaffPages(to web: RouterGroup<HavenRequestContext>, practice: PracticeService) {
        let service = StaffAdminService(pool: pool)
        web.get("/admin/staff/{staffId}") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                let staffID = try Self.pageID("staffId", context)
                return try await personPage(
                    staffID,
                    user: user,
                    practice: practice,
                    notice: AdminViews.notice(Self.queryText(request, "done"))
                )
            }
        }
        // One form per change; `change` calls the service, `done` names what happened.
        let changes: [(path: String, change: StaffChangeForm)] = [
            (
                "disable",
                {
                    try await $0.disable($1, actor: $3)
                    return "disabled"
                }
            ),
            (
                "enable",
                {
                    try await $0.enable($1, actor: $3)
                    return "enabled"
                }
            ),
            (
                "end-sessions",
                {
                    try await $0.endSessions(of: $1, actor: $3)
                    return "sessions"
                }
            ),
            (
                "roles",
                { service, id, form, actor in
                    let roles = Set(StaffActor.Role.allCases.filter { form["role-\($0.rawValue)"] != nil })
                    return try await service.setRoles(roles, of: id, actor: actor) == .applied ? "roles" : "proposed"
                }
            ),
            (
                "supervisors",
                { service, id, form, actor in
                    guard let supervisor = form["supervisor"].flatMap(UUID.init(uuidString:)) else {
                        throw ServiceError(.invalidInput, field: "supervisor", "choose a supervisor")
                    }
                    try await service.proposeSupervision(supervisor: supervisor, supervisee: id, actor: actor)
                    return "proposed"
                }
            ),
            (
                "supervision/end",
                { service, _, form, actor in
                    guard let supervisor = form["supervisor"].flatMap(UUID.init(uuidString:)),
                        let supervisee = form["supervisee"].flatMap(UUID.init(uuidString:))
                    else { throw ServiceError(.notFound, field: "supervisee", "no such supervision link") }
                    try await service.removeSupervision(supervisor: supervisor, supervisee: supervisee, actor: actor)
                    return "unsupervised"
                }
            ),
        ]
        for (path, change) in changes {
            web.post("/admin/staff/{staffId}/\(path)") { request, context in
                try await Self.adminOnly {
                    var request = request
                    let user = try SignedIn(request, context)
                    let staffID = try Self.pageID("staffId", context)
                    let form = try await WebForm(request: &request)
                    do {
                        let done = try await change(service, staffID, form, user.actor)
                        return WebPage.redirect(to: "/admin/staff/\(Self.text(staffID))?done=\(done)")
                    } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                        return try await personPage(
                            staffID,
                            user: user,
                            practice: practice,
                            error: error,
                            typed: ["supervisor": form["supervisor"] ?? ""].merging(
                                StaffActor.Role.allCases.compactMap { role in
                                    form["role-\(role.rawValue)"].map { ("role-\(role.rawValue)", $0) }
                                },
                                uniquingKeysWith: { first, _ in first }
                            ),
                            typedRoles: path == "roles"
                        )
                    }
                }
            }
        }
        for (path, done) in [("approve", "approved"), ("decline", "declined")] {
            web.post("/admin/changes/{changeId}/\(path)") { request, context in
                try await Self.adminOnly {
                    let user = try SignedIn(request, context)
                    let changeID = try Self.pageID("changeId", context)
                    let back = "/admin/staff"
                    do {
                        if path == "approve" {
                            try await service.approve(changeID, actor: user.actor)
                        } else {
                            try await service.decline(changeID, actor: user.actor)
                        }
                        return WebPage.redirect(to: "\(back)?done=\(done)")
                    } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                        let administration = try await practice.administration(actor: user.actor)
                        var view = AdminViews.Staff(
                            administration,
                            viewer: user.actor.staffID,
                            chrome: user.chrome("Staff", section: "/admin")
                        )
                        view.error = "This change \(error.message)."
                        return WebPage.html(
                            WebTemplates.render(view, template: "admin-staff"),
                            status: error.kind == .conflict ? .conflict : .unprocessableContent
                        )
                    }
                }
            }
        }
        web.post("/admin/security/totp") { request, context in
            try await Self.adminOnly {
                var request = request
                let user = try SignedIn(request, context)
                let form = try await WebForm(request: &request)
                let required = form["required"] == "yes"
                do {
                    let outcome = try await service.setTOTPRequired(required, actor: user.actor)
                    return WebPage.redirect(to: "/admin/security?done=\(outcome == .applied ? "required" : "proposed")")
                } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                    let administration = try await practice.administration(actor: user.actor)
                    let sentence = error.message.prefix(1).uppercased() + error.message.dropFirst() + "."
                    return Self.securityPage(user, administration, error: sentence, status: .conflict)
                }
            }
        }
    }

    /// One staff member's page; with `error`, the refused form's words and fields as typed.
    private func personPage(
        _ staffID: UUID,
        user: SignedIn,
        practice: PracticeService,
        notice: String? = nil,
        error: ServiceError? = nil,
        typed: [String: String]? = nil,
        typedRoles: Bool = false
    ) async throws -> Response {
        let administration = try await practice.administration(actor: user.actor)
        guard let member = administration.staff.first(where: { $0.id == staffID }) else {
            throw ServiceError(.notFound, field: "staff", "no such staff member")
        }
        var view = AdminViews.Person(
            member,
            in: administration,
            viewer: user.actor.staffID,
            typed: typed,
            typedRoles: typedRoles,
            chrome: user.chrome(member.displayName, section: "/admin")
        )
        view.notice = notice
        if let error {
            let subject =
                switch error.field {
                case "roles": "Roles: "
                case "supervisor": "Supervisor: "
                case "supervisee": "Supervision: "
                default: "This account "
                }
            view.error = subject + error.message + "."
            let status: HTTPResponse.Status = error.kind == .conflict ? .conflict : .unprocessableContent
            return WebPage.html(WebTemplates.render(view, template: "admin-person"), status: status)
        }
        return WebPage.html(WebTemplates.render(view, template: "admin-person"))
    }
}
