import Foundation
import HavenMail
import HavenService
import Hummingbird

extension HavenAPI {
    /// The partner's "Email me about" page (`/portal/settings`): one checkbox per kind of reminder; the
    /// POST (CSRF-checked by `PortalMiddleware`) turns on or off only the kinds whose box changed, each
    /// audited. A kind the practice turned off is shown as such and cannot be turned on here.
    func addPortalSettingsPages(to pages: RouterGroup<HavenRequestContext>) {
        pages.get("/settings") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            var view = PortalSettingsView(settings: try await self.portal.notificationSettings(partner.actor))
            if request.uri.queryParameters["reason"] == "saved" { view.notice = "Your email settings are saved." }
            return try Self.portalPage(request, "/portal/settings", view, template: "portal-settings")
        }
        pages.post("/settings") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            var request = request
            let form = try await WebForm(request: &request)
            let settings = try await self.portal.notificationSettings(partner.actor)
            for (kind, send) in NotificationSwitch.changes(settings, in: form) {
                try await self.portal.setNotification(kind, send: send, actor: partner.actor)
            }
            return WebPage.redirect(to: "/portal/settings?reason=saved")
        }
    }
}

struct PortalSettingsView: PortalView {
    var chrome = PageChrome.signedOut(title: "Email settings")
    var kinds: [NotificationSwitch]
    var notice: String?

    init(settings: [NotificationSetting]) {
        kinds = settings.map(NotificationSwitch.init)
    }
}
