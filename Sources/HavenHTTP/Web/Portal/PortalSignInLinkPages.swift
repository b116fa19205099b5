import Foundation
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// Sign-in links by email, the portal's everyday way in (docs/portal.md "Access"): the sign-in page
    /// asks the address and `POST /portal/sign-in-link` answers the same whether or not it is known
    /// (the message goes out on a task of its own); `/portal/sign-in/{token}` shows a page whose POST
    /// spends the link (mail scanners fetch GETs, which spend and check nothing).
    func addPortalSignInLinkPages(to pages: RouterGroup<HavenRequestContext>) {
        pages.post("/sign-in-link") { request, context in try await self.portalRequestLink(request, context) }
        pages.get("/sign-in/{token}") { request, context in
            if context.partner != nil { return WebPage.redirect(to: "/portal") }
            let view = PortalSignInLinkView(action: Self.signInLinkPath(context))
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/sign-in/x",
                view,
                template: "portal-sign-in-link"
            )
        }
        pages.post("/sign-in/{token}") { request, context in
            let token = SessionToken(value: context.parameters.get("token") ?? "")
            let signIn: PortalService.SignIn
            do {
                signIn = try await portal.signIn(link: token, source: context.source, requestID: context.requestID)
            } catch let error as ServiceError where error.field == "link" {
                var view = PortalSignInLinkView(action: Self.signInLinkPath(context))
                view.dead = true
                return try Self.portalPage(
                    request,
                    context.partner,
                    "/portal/sign-in/x",
                    view,
                    template: "portal-sign-in-link",
                    status: .notFound
                )
            }
            return Self.portalSignedIn(signIn)
        }
    }

    /// The page's own path (the token as it came, percent-encoded where needed).
    static func signInLinkPath(_ context: HavenRequestContext) -> String {
        let token = context.parameters.get("token") ?? ""
        return "/portal/sign-in/" + (token.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "")
    }

    /// The redirect to the portal with the new session's cookie (the pre-session cookie ends); to the
    /// code page when the account has a code app (the cookie then names the waiting sign-in).
    static func portalSignedIn(_ signIn: PortalService.SignIn) -> Response {
        var response = WebPage.redirect(to: signIn.codeNeeded ? "/portal/code" : "/portal")
        response.setCookie(WebSession.cookie(named: PortalSession.cookieName, value: signIn.token.value))
        response.setCookie(WebSession.expired(named: PortalSession.preSessionCookieName))
        return response
    }

    private func portalRequestLink(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        var request = request
        let form = try await WebForm(request: &request)
        let email = String((form["email"] ?? "").prefix(320))
        var view = PortalSignInView(linksAvailable: portal.sendsSignInLinks)
        view.email = email
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        // Every request counts towards the pause (per address typed and per network address), known
        // address or not; the database counts them too.
        let key = "sign-in-link:" + email.trimmingCharacters(in: .whitespaces).lowercased()
        if portalThrottle.wait(email: key, address: address) != nil {
            view.error = "Too many sign-in links asked for. Wait a few minutes, then try again."
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/sign-in",
                view,
                template: "portal-sign-in",
                status: .tooManyRequests
            )
        }
        portalThrottle.failed(email: key, address: address)
        if let host = request.head.authority, let base = URL(string: "https://\(host)/portal"), base.host != nil {
            try await portal.requestSignInLink(
                email: email,
                portal: base,
                source: context.source,
                requestID: context.requestID
            )
        }
        view.notice =
            "If this address has portal access, a sign-in link is on its way to it. It works for 15 minutes, once; only the newest link works."
        return try Self.portalPage(request, context.partner, "/portal/sign-in", view, template: "portal-sign-in")
    }
}

/// A sign-in link's page: one button whose POST spends the link, or the page of a link that does not
/// work.
struct PortalSignInLinkView: PortalView {
    var chrome = PageChrome.signedOut(title: "Sign in to your portal")
    var action: String
    var dead = false
}
