import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// New staff and password resets from the admin pages (migration 0042; docs/web.md, "Staff changes
    /// from the web"): `POST /admin/staff` creates a front-desk account with no password (and proposes
    /// the clinical or admin roles ticked, for a second admin), `POST /admin/staff/{id}/password-link`
    /// issues a reset link for a non-clinical account. Both answer the one page that shows the link,
    /// once (every web page is `no-store`); the same `StaffAdminService` calls as `/v1/staff`.
    func addAdminLinkPages(to web: RouterGroup<HavenRequestContext>, practice: PracticeService) {
        let service = StaffAdminService(pool: pool)
        web.post("/admin/staff") { request, context in
            try await Self.adminOnly {
                var request = request
                let user = try SignedIn(request, context)
                let form = try await WebForm(request: &request)
                let email = form["email"] ?? ""
                let name = form["displayName"] ?? ""
                let propose = Set(
                    StaffActor.Role.allCases.filter { $0 != .scheduler && form["role-\($0.rawValue)"] != nil }
                )
                let link: StaffAdminService.PasswordLink
                do {
                    link = try await service.create(
                        email: email,
                        displayName: name,
                        roles: [.scheduler],
                        actor: user.actor
                    )
                } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                    let administration = try await practice.administration(actor: user.actor)
                    var view = AdminViews.Staff(
                        administration,
                        viewer: user.actor.staffID,
                        chrome: user.chrome("Staff", section: "/admin")
                    )
                    view.error =
                        "New staff member: \(error.field.map { $0 == "displayName" ? "name" : $0 } ?? "") \(error.message)."
                    view.newEmail = email
                    view.newName = name
                    let status: HTTPResponse.Status = error.kind == .conflict ? .conflict : .unprocessableContent
                    return WebPage.html(WebTemplates.render(view, template: "admin-staff"), status: status)
                }
                var proposed: String?
                if !propose.isEmpty {
                    // The link is shown now or never: a refused proposal is said, not thrown.
                    let roles = propose.map(\.rawValue).sorted().joined(separator: ", ")
                    do {
                        try await service.setRoles(propose, of: link.staffID, actor: user.actor)
                        proposed = "Proposed for a second admin's approval: \(roles)."
                    } catch let error as ServiceError {
                        proposed = "Not proposed (\(roles)): \(error.message). Propose them on their page."
                    }
                }
                return Self.linkPage(link, name: name, created: true, proposed: proposed, request: request, user: user)
            }
        }
        web.post("/admin/staff/{staffId}/password-link") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                let staffID = try Self.pageID("staffId", context)
                let link = try await service.passwordLink(for: staffID, actor: user.actor)
                let administration = try await practice.administration(actor: user.actor)
                let name = administration.staff.first { $0.id == staffID }?.displayName ?? ""
                return Self.linkPage(link, name: name, created: false, proposed: nil, request: request, user: user)
            }
        }
    }

    /// The page that shows `link` once: the full address on the host the admin reached.
    private static func linkPage(
        _ link: StaffAdminService.PasswordLink,
        name: String,
        created: Bool,
        proposed: String?,
        request: Request,
        user: SignedIn
    ) -> Response {
        let host = request.head.authority ?? ""
        let view = AdminViews.PasswordLinkPage(
            chrome: user.chrome(created ? "Account created" : "Password link", section: "/admin"),
            name: name,
            staffID: link.staffID.uuidString.lowercased(),
            url: "https://\(host)/welcome/\(link.token.value)",
            created: created,
            proposed: proposed
        )
        return WebPage.html(WebTemplates.render(view, template: "admin-link"), status: created ? .created : .ok)
    }
}
