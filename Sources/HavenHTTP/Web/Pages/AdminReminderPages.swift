import Foundation
import HavenMail
import HavenService
import Hummingbird

extension HavenAPI {
    /// The practice's reminder switches (`/admin/reminders`): one box per kind, the partners' and then
    /// the counselors' (the digest of new answers); the POST turns on or off
    /// only the kinds whose box changed, each audited (`practice.notification.on|off`). Admins only (a
    /// refusal is audited and shown as a 403 page).
    func addAdminReminderPages(to web: RouterGroup<HavenRequestContext>) {
        let practice = PracticeService(pool: pool)
        web.get("/admin/reminders") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                // The admin check (audited as the other admin pages' is).
                _ = try await practice.administration(actor: user.actor)
                var view = AdminReminderView(
                    chrome: user.chrome("Reminders", section: "/admin"),
                    settings: try await practice.notificationSettings(actor: user.actor)
                )
                if Self.queryText(request, "done") == "saved" { view.notice = "The practice's reminders are saved." }
                return WebPage.html(WebTemplates.render(view, template: "admin-reminders"))
            }
        }
        web.post("/admin/reminders") { request, context in
            try await Self.adminOnly {
                var request = request
                let user = try SignedIn(request, context)
                let form = try await WebForm(request: &request)
                _ = try await practice.administration(actor: user.actor)
                for setting in try await practice.notificationSettings(actor: user.actor) {
                    let send = form["send-\(setting.kind.rawValue)"] == "yes"
                    if send == setting.practiceOff {
                        try await practice.setNotification(setting.kind, send: send, actor: user.actor)
                    }
                }
                return WebPage.redirect(to: "/admin/reminders?done=saved")
            }
        }
    }
}

/// `GET /admin/reminders`.
struct AdminReminderView {
    struct Kind {
        var name: String
        var label: String
        var send: Bool
    }

    var chrome: PageChrome
    /// The partners' kinds, then the staff's (the counselor's digest), each in its own fieldset.
    var kinds: [Kind]
    var staffKinds: [Kind]
    var notice: String?

    init(chrome: PageChrome, settings: [NotificationSetting]) {
        self.chrome = chrome
        let all = settings.map {
            ($0.kind.isForStaff, Kind(name: $0.kind.rawValue, label: $0.label, send: !$0.practiceOff))
        }
        kinds = all.filter { !$0.0 }.map(\.1)
        staffKinds = all.filter(\.0).map(\.1)
    }
}
