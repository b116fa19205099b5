import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// Signing in and out in the browser: the same `AuthService` calls as `POST /v1/auth/sessions` and
    /// `DELETE /v1/auth/sessions/current`, the same sign-in pause, and the token in the session cookie.
    func addSignInPages(to web: RouterGroup<HavenRequestContext>) {
        web.get("/sign-in") { request, context in
            if context.actor != nil { return WebPage.redirect(to: "/today") }
            return try Self.signInPage(request: request, view: SignInView())
        }
        web.post("/sign-in") { request, context in try await self.signInFromForm(request, context) }
        web.post("/sign-out") { _, context in
            if let actor = context.actor { try await auth.logout(actor: actor) }
            var response = WebPage.redirect(to: "/sign-in")
            response.setCookie(WebSession.expired(named: WebSession.cookieName))
            return response
        }
    }

    /// What the sign-in template shows.
    struct SignInView {
        var chrome = PageChrome.signedOut(title: "Sign in")
        var email = ""
        var error: String?
        /// The account needs its one-time code (asked with the password until the two-step page of
        /// docs/web.md lands).
        var askCode = false
    }

    /// The sign-in page, keyed to the request's pre-session cookie (a new one when it has none).
    static func signInPage(
        request: Request,
        view: SignInView,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        var view = view
        let existing = WebSession.preSession(in: request)
        let preSession = try existing ?? WebSession.newPreSession()
        view.chrome.csrf = CSRF.token(forKey: preSession)
        var response = WebPage.html(WebTemplates.render(view, template: "sign-in"), status: status)
        if existing == nil {
            response.setCookie(WebSession.cookie(named: WebSession.preSessionCookieName, value: preSession))
        }
        return response
    }

    func signInFromForm(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        var request = request
        let form = try await WebForm(request: &request)
        let email = form["email"] ?? ""
        let password = form["password"] ?? ""
        let code = form["code"].flatMap { $0.isEmpty ? nil : $0 }
        var view = SignInView(email: email)
        let refusedText = "Wrong email or password, or the account is disabled."
        guard email.count <= 320, password.count <= 1024, !email.contains("\u{0}"), (code ?? "").count <= 20 else {
            view.error = refusedText
            return try Self.signInPage(request: request, view: view, status: .unauthorized)
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if throttle.wait(email: email, address: address) != nil {
            view.error = "Too many failed attempts. Wait a few minutes, then try again."
            return try Self.signInPage(request: request, view: view, status: .tooManyRequests)
        }
        let signIn: AuthService.SignIn
        do {
            signIn = try await auth.login(
                email: email,
                password: password,
                totpCode: code,
                source: context.source,
                requestID: context.requestID
            )
        } catch let error as ServiceError where error.kind == .unauthenticated {
            if error.reason == "totp-required" {
                view.askCode = true
                view.error = "This account also needs the 6-digit code from its authenticator app."
            } else {
                throttle.failed(email: email, address: address)
                view.askCode = error.reason == "totp-invalid"
                view.error =
                    error.reason == "totp-invalid" ? "That code is wrong, expired or already used." : refusedText
            }
            return try Self.signInPage(request: request, view: view, status: .unauthorized)
        }
        throttle.succeeded(email: email)
        var response = WebPage.redirect(to: "/today")
        response.setCookie(WebSession.cookie(named: WebSession.cookieName, value: signIn.token.value))
        response.setCookie(WebSession.expired(named: WebSession.preSessionCookieName))
        return response
    }
}
