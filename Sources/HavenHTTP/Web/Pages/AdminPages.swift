import Foundation
import HTTPTypes
import HavenService
import HavenStore
import Hummingbird

extension HavenAPI {
    /// The admin pages (docs/web.md, "Admin pages"), read-only: the practice's staff, its TOTP policy,
    /// key status, and the audit log with its chain check. The same service calls as `GET /v1/staff`,
    /// `GET /v1/audit` and `GET /v1/audit/verification`; each refuses anyone but an admin and audits
    /// the refusal, which these pages show as a 403 page.
    func addAdminPages(to web: RouterGroup<HavenRequestContext>) {
        let audit = AuditService(pool: pool)
        let practice = PracticeService(pool: pool)
        web.get("/admin") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                let administration = try await practice.administration(actor: user.actor)
                return Self.overviewPage(
                    user,
                    administration,
                    notice: AdminViews.notice(Self.queryText(request, "done"))
                )
            }
        }
        web.post("/admin/safety-page") { request, context in
            try await Self.adminOnly {
                var request = request
                let user = try SignedIn(request, context)
                let form = try await WebForm(request: &request)
                let text = form["text"] ?? ""
                do {
                    try await StaffAdminService(pool: pool).setSafetyPage(text, actor: user.actor)
                    return WebPage.redirect(to: "/admin?done=safety-page")
                } catch let error as ServiceError where error.kind == .invalidInput {
                    let administration = try await practice.administration(actor: user.actor)
                    return Self.overviewPage(
                        user,
                        administration,
                        typed: text,
                        error: "The safety page \(error.message): shorten it and save again.",
                        status: .unprocessableContent
                    )
                }
            }
        }
        web.get("/admin/staff") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                let administration = try await practice.administration(actor: user.actor)
                var view = AdminViews.Staff(
                    administration,
                    viewer: user.actor.staffID,
                    chrome: user.chrome("Staff", section: "/admin")
                )
                view.notice = AdminViews.notice(Self.queryText(request, "done"))
                return WebPage.html(WebTemplates.render(view, template: "admin-staff"))
            }
        }
        web.get("/admin/security") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                let administration = try await practice.administration(actor: user.actor)
                return Self.securityPage(
                    user,
                    administration,
                    notice: AdminViews.notice(Self.queryText(request, "done"))
                )
            }
        }
        web.get("/admin/keys") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                let status = try await practice.keyStatus(actor: user.actor)
                let view = AdminViews.Keys(chrome: user.chrome("Keys", section: "/admin"), status: status)
                return WebPage.html(WebTemplates.render(view, template: "admin-keys"))
            }
        }
        web.get("/admin/audit") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                // The role first, as GET /v1/audit: a refused caller is on record as an audit read.
                try await audit.authorize(action: .auditList, actor: user.actor)
                return try await auditPage(request, user: user, audit: audit, practice: practice)
            }
        }
        web.get("/admin/audit/verification") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                let result = try await audit.verify(actor: user.actor)
                let view = AdminViews.Verification(result, chrome: user.chrome("Audit chain", section: "/admin"))
                return WebPage.html(WebTemplates.render(view, template: "admin-verification"))
            }
        }
        addAdminStaffPages(to: web, practice: practice)
        addAdminLinkPages(to: web, practice: practice)
    }

    /// Entries on one audit page.
    static let auditPageSize = 50

    /// The audit page: the filter as asked (kept when refused) and the newest matching entries.
    private func auditPage(
        _ request: Request,
        user: SignedIn,
        audit: AuditService,
        practice: PracticeService
    ) async throws -> Response {
        let administration = try await practice.administration(actor: user.actor)
        var query: [String: String] = [:]
        for name in ["action", "outcome", "staffId", "breakGlass", "from", "to", "cursor"] {
            if let value = Self.queryText(request, name) { query[name] = value }
        }
        var view = AdminViews.Audit(
            query: query,
            staff: administration.staff,
            timeZone: administration.practice.timeZone,
            chrome: user.chrome("Audit log", section: "/admin")
        )
        let entries: [StoredAuditEntry]
        do {
            let zone = TimeZone(identifier: administration.practice.timeZone) ?? .gmt
            entries = try await audit.list(
                try AuditQuery.filter(
                    request,
                    practiceID: user.actor.practiceID,
                    limit: Self.auditPageSize + 1,
                    dates: .days(zone),
                    paging: .newestFirst
                ),
                actor: user.actor
            )
        } catch let error as APIError {
            view.error = error.detail
            return WebPage.html(WebTemplates.render(view, template: "admin-audit"), status: .badRequest)
        } catch let error as ServiceError where error.kind == .invalidInput {
            view.error = error.description
            return WebPage.html(WebTemplates.render(view, template: "admin-audit"), status: .unprocessableContent)
        }
        let names = Dictionary(
            administration.staff.map { ($0.id, $0.displayName) },
            uniquingKeysWith: { first, _ in first }
        )
        view.show(
            Array(entries.prefix(Self.auditPageSize)),
            more: entries.count > Self.auditPageSize,
            query: query,
            staffNames: names
        )
        return WebPage.html(WebTemplates.render(view, template: "admin-audit"))
    }

    /// The TOTP policy in words.
    /// The sign-in security page: the code-app policy in words, its waiting changes, and a notice
    /// (after a change) or an error (a change refused, with `status`).
    static func securityPage(
        _ user: SignedIn,
        _ administration: PracticeService.Administration,
        notice: String? = nil,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var view = AdminViews.Security(
            administration,
            viewer: user.actor.staffID,
            policy: totpPolicy(required: administration.requireTOTP),
            chrome: user.chrome("Sign-in security", section: "/admin")
        )
        view.notice = notice
        view.error = error
        return WebPage.html(WebTemplates.render(view, template: "admin-security"), status: status)
    }

    static func totpPolicy(required: Bool) -> String {
        required
            ? "Every staff member must use a one-time-code app to sign in."
            : "A one-time-code app is optional: each staff member may enrol one."
    }

    /// Runs an admin page; the services' role refusal (already audited) becomes a 403 page.
    /// `GET /admin`: the practice's facts and its portal safety page form (`typed`: a refused form's text).
    static func overviewPage(
        _ user: SignedIn,
        _ administration: PracticeService.Administration,
        typed: String? = nil,
        notice: String? = nil,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let active = administration.staff.filter(\.active).count
        let view = AdminViews.Overview(
            chrome: user.chrome("Administration", section: "/admin"),
            practiceName: administration.practice.name,
            timeZone: administration.practice.timeZone,
            activeStaff: "\(active)",
            disabledStaff: "\(administration.staff.count - active)",
            totpPolicy: Self.totpPolicy(required: administration.requireTOTP),
            safetyPage: typed ?? administration.safetyPage ?? "",
            safetyPageSet: administration.safetyPage != nil,
            notice: notice,
            error: error
        )
        return WebPage.html(WebTemplates.render(view, template: "admin"), status: status)
    }

    static func adminOnly(_ page: () async throws -> Response) async throws -> Response {
        do {
            return try await page()
        } catch let error as ServiceError where error.kind == .forbidden && error != .totpEnrollmentDue {
            return WebErrorPage.page(
                .forbidden,
                "Not for your role",
                "These pages are for the practice's administrators."
            )
        }
    }
}
