import Foundation
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// A partner's one-time-code app (docs/portal.md "Access"): the sign-in's code step
    /// (`/portal/code`, after the passphrase or a sign-in link, under the portal cookie that names the
    /// waiting sign-in) and the "One-time codes" section of `/portal/settings` (set up with a QR code and
    /// the key as text, shown once; confirm; remove with a current code). POSTs only change anything,
    /// each CSRF-checked by `PortalMiddleware`.
    func addPortalCodeAppPages(to pages: RouterGroup<HavenRequestContext>) {
        pages.get("/code") { request, context in
            guard let token = PortalSession.token(in: request), try await self.portal.codeAwaited(token) else {
                return WebPage.redirect(to: "/portal/sign-in?reason=code-expired")
            }
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/code",
                PortalCodeView(),
                template: "portal-code"
            )
        }
        pages.post("/code") { request, context in try await self.portalCode(request, context) }
        pages.post("/settings/code-app/start") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            var view = try await self.portalSettingsView(partner)
            do {
                let enrollment = try await self.portal.beginCodeApp(partner.actor)
                view.codePending = true
                view.codeSecret = Self.grouped(enrollment.secret)
                view.codeQR = QRCodeSVG.svg(for: enrollment.uri, label: "QR code to scan with your authenticator app")
            } catch let error as ServiceError where error.kind == .conflict || error.reason == "totp-unavailable" {
                let unavailable = error.reason == "totp-unavailable"
                view.codeError =
                    unavailable
                    ? Self.codeAppUnavailable
                    : "You already have a code app. Remove it first (with a current code) to set up another."
                return try Self.portalPage(
                    request,
                    context.partner,
                    "/portal/settings",
                    view,
                    template: "portal-settings",
                    status: unavailable ? .serviceUnavailable : .conflict
                )
            }
            return try Self.portalPage(request, context.partner, "/portal/settings", view, template: "portal-settings")
        }
        pages.post("/settings/code-app/confirm") { request, context in
            try await self.portalCodeAppChange(request, context, remove: false)
        }
        pages.post("/settings/code-app/remove") { request, context in
            try await self.portalCodeAppChange(request, context, remove: true)
        }
    }

    /// The settings page's view: the email kinds and where the partner's code app stands.
    func portalSettingsView(_ partner: SignedInPartner) async throws -> PortalSettingsView {
        var view = PortalSettingsView(settings: try await portal.notificationSettings(partner.actor))
        let status = try await portal.codeAppStatus(partner.actor)
        view.codeEnrolled = status.enrolled
        view.codePending = status.pending
        return view
    }

    /// Confirms (or removes) the partner's app with the code typed. Wrong codes are counted in the
    /// database with the sign-in's code step (migration 0061): five pause the account's codes.
    private func portalCodeAppChange(
        _ request: Request,
        _ context: HavenRequestContext,
        remove: Bool
    ) async throws -> Response {
        guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
        var request = request
        let code = (try await WebForm(request: &request)["code"] ?? "").filter { !$0.isWhitespace }
        do {
            if remove {
                try await portal.removeCodeApp(code: String(code.prefix(20)), actor: partner.actor)
            } else {
                try await portal.confirmCodeApp(code: String(code.prefix(20)), actor: partner.actor)
            }
        } catch let error as ServiceError
            where error.field == "code" || error.kind == .notFound || error.reason == "totp-unavailable"
        {
            var view = try await portalSettingsView(partner)
            let status: HTTPResponse.Status
            switch error.reason {
            case "code-paused":
                view.codeError = "Too many codes did not match. Wait 15 minutes, then try again."
                status = .tooManyRequests
            case "totp-unavailable":
                view.codeError = Self.codeAppUnavailable
                status = .serviceUnavailable
            default:
                view.codeError =
                    error.field == "code"
                    ? "That code did not match. Check your phone's clock and enter the next code your app shows."
                    : remove
                        ? "You have no code app to remove." : "No code app is waiting to be confirmed. Start again."
                status = .unprocessableContent
            }
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/settings",
                view,
                template: "portal-settings",
                status: status
            )
        }
        return WebPage.redirect(to: "/portal/settings?reason=" + (remove ? "code-app-removed" : "code-app-on"))
    }

    /// What the portal says when one-time codes cannot be checked (no master key, or its attestation key
    /// not recorded): nothing was changed, and the partner can try later.
    static let codeAppUnavailable =
        "Codes from your app cannot be checked right now, so nothing was changed. Please try again later."

    /// The code step: a right code makes the waiting sign-in a live session (same cookie); a wrong one
    /// asks again; past five wrong codes, or after five minutes, the partner signs in again.
    private func portalCode(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        var request = request
        let code = (try await WebForm(request: &request)["code"] ?? "").filter { !$0.isWhitespace }
        guard let token = PortalSession.token(in: request) else {
            return WebPage.redirect(to: "/portal/sign-in?reason=code-expired")
        }
        var view = PortalCodeView()
        do {
            let signIn = try await portal.completeSignIn(
                token: token,
                code: String(code.prefix(20)),
                source: context.source,
                requestID: context.requestID
            )
            return Self.portalSignedIn(signIn)
        } catch let error as ServiceError where error.field == "code" || error.reason == "totp-unavailable" {
            // Unavailable: the sign-in still waits (its cookie kept), and the same page can try again later.
            let unavailable = error.reason == "totp-unavailable"
            view.error =
                unavailable
                ? "Codes from your app cannot be checked right now, so you are not signed in yet. Please try again later."
                : "That code did not match. Check your phone's clock and enter the next code your app shows."
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/code",
                view,
                template: "portal-code",
                status: unavailable ? .serviceUnavailable : .unprocessableContent
            )
        } catch let error as ServiceError where error.reason == "sign-in-paused" {
            var response = WebPage.redirect(to: "/portal/sign-in?reason=code-paused")
            response.setCookie(WebSession.expired(named: PortalSession.cookieName))
            return response
        } catch let error as ServiceError where error.kind == .unauthenticated {
            var response = WebPage.redirect(to: "/portal/sign-in?reason=code-expired")
            response.setCookie(WebSession.expired(named: PortalSession.cookieName))
            return response
        }
    }

    /// The counselor's reset of a partner's code app (a lost phone), from the chart's "Portal access".
    func addPortalCodeAppReset(to web: RouterGroup<HavenRequestContext>) {
        for (path, kind) in [
            ("/couples/{id}/portal/code-app/reset", "couple"), ("/clients/{id}/portal/code-app/reset", "client"),
        ] {
            web.post(RouterPath(path)) { request, context in
                let user = try SignedIn(request, context)
                let id = try Self.pageID("id", context)
                let chart: ChartReference = kind == "couple" ? .couple(id) : .client(id)
                var request = request
                let form = try await WebForm(request: &request)
                try await self.portal.resetCodeApp(of: try Self.person(in: form), on: chart, actor: user.actor)
                return WebPage.redirect(to: Self.chartPath(chart) + "#portal")
            }
        }
    }
}

/// `GET /portal/code`: the one-time code after the passphrase or a sign-in link.
struct PortalCodeView: PortalView {
    var chrome = PageChrome.signedOut(title: "Your one-time code")
    var error: String?
}
