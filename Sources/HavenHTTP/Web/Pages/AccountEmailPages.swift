import Foundation
import HavenMail
import HavenService
import Hummingbird

extension HavenAPI {
    /// A staff member's own "Email me about" page (`/account/email`): one box per kind of email that goes
    /// to staff (the counselor's digest of new homework answers); the POST (CSRF-checked by
    /// `WebMiddleware`) turns on or off only the kinds whose box changed, each audited
    /// (`staff.notification.on|off`). A kind the practice turned off is shown as such and stays off.
    func addAccountEmailPages(to web: RouterGroup<HavenRequestContext>) {
        let practice = PracticeService(pool: pool)
        web.get("/account/email") { request, context in
            let user = try SignedIn(request, context)
            var view = AccountEmailView(
                chrome: user.chrome("Email settings", section: "/account/email"),
                settings: try await practice.ownNotificationSettings(actor: user.actor)
            )
            if Self.queryText(request, "done") == "saved" { view.notice = "Your email settings are saved." }
            return WebPage.html(WebTemplates.render(view, template: "account-email"))
        }
        web.post("/account/email") { request, context in
            var request = request
            let user = try SignedIn(request, context)
            let form = try await WebForm(request: &request)
            let settings = try await practice.ownNotificationSettings(actor: user.actor)
            for (kind, send) in NotificationSwitch.changes(settings, in: form) {
                try await practice.setOwnNotification(kind, send: send, actor: user.actor)
            }
            return WebPage.redirect(to: "/account/email?done=saved")
        }
    }
}

/// `GET /account/email`.
struct AccountEmailView {
    var chrome: PageChrome
    var kinds: [NotificationSwitch]
    var notice: String?

    init(chrome: PageChrome, settings: [NotificationSetting]) {
        self.chrome = chrome
        kinds = settings.map(NotificationSwitch.init)
    }
}
