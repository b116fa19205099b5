import Foundation
import HavenMail
import HavenService
import Hummingbird

extension HavenAPI {
    /// The partner's settings page (`/portal/settings`): "Email me about", one checkbox per kind of
    /// reminder, and "One-time codes" (`addPortalCodeAppPages`). The "Email me about" form's
    /// POST (CSRF-checked by `PortalMiddleware`) turns on or off only the kinds whose box changed, each
    /// audited. A kind the practice turned off is shown as such and cannot be turned on here.
    func addPortalSettingsPages(to pages: RouterGroup<HavenRequestContext>) {
        pages.get("/settings") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            var view = try await self.portalSettingsView(partner)
            switch request.uri.queryParameters["reason"].map(String.init) ?? "" {
            case "saved": view.notice = "Your email settings are saved."
            case "code-app-on": view.codeNotice = "Your code app is set up: signing in now asks for its code."
            case "code-app-removed": view.codeNotice = "Your code app is removed: signing in asks for no code."
            default: break
            }
            return try Self.portalPage(request, context.partner, "/portal/settings", view, template: "portal-settings")
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
    /// The partner's code app: confirmed, or set up and waiting for its first code.
    var codeEnrolled = false
    var codePending = false
    /// Right after "Set up": the key in groups of four and its QR code (shown once, this response only).
    var codeSecret: String?
    var codeQR: String?
    var codeError: String?
    var codeNotice: String?

    init(settings: [NotificationSetting]) {
        kinds = settings.map(NotificationSwitch.init)
    }
}
