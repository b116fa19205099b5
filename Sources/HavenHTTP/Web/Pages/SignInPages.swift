import Foundation
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// Signing in and out in the browser (docs/web.md, "The browser session"): the password step
    /// (`AuthService.beginSignIn`), the code step on the pending session (`completeSecondFactor`),
    /// sign-out (`logout`) and "stay signed in" (`keepAlive`). The same sign-in pause and audit as
    /// `POST /v1/auth/sessions`; the session token lives only in the cookie.
    func addSignInPages(to web: RouterGroup<HavenRequestContext>) {
        web.get("/sign-in") { request, context in
            let next = Self.localPath(request.uri.queryParameters["next"].map(String.init))
            if let actor = context.actor { return WebPage.redirect(to: next ?? PageChrome.home(for: actor)) }
            var view = SignInView(next: next ?? "")
            switch request.uri.queryParameters["reason"].map(String.init) ?? "" {
            case "idle":
                let minutes = max(1, Int(auth.sessionPolicy.idleTimeout.components.seconds) / 60)
                view.notice =
                    "You were signed out after \(minutes) minutes without activity; any note in progress was saved as a draft."
            case "code": view.notice = "That code was wrong, expired or already used. Sign in again with your password."
            case "lapsed": view.notice = "That sign-in lapsed before its code came. Sign in again with your password."
            case "password-set": view.notice = "Your password is set. Sign in with it."
            default: break
            }
            return try Self.signInPage(request: request, view: view)
        }
        web.post("/sign-in") { request, context in try await self.signInFromForm(request, context) }
        web.get("/sign-in/code") { request, _ in
            guard let token = WebSession.token(in: request), try await auth.pendingSignIn(token) != nil else {
                return Self.restartSignIn("lapsed")
            }
            let next = Self.localPath(request.uri.queryParameters["next"].map(String.init))
            return Self.codePage(request: request, view: CodeView(next: next ?? ""))
        }
        web.post("/sign-in/code") { request, context in try await self.codeFromForm(request, context) }
        web.post("/sign-out") { request, context in
            var request = request
            if let actor = context.actor { try await auth.logout(actor: actor) }
            let reason = try await WebForm(request: &request)["reason"] == "idle" ? "?reason=idle" : ""
            var response = WebPage.redirect(to: "/sign-in" + reason)
            response.setCookie(WebSession.expired(named: WebSession.cookieName))
            return response
        }
        web.post("/session/keepalive") { request, context in
            let user = try SignedIn(request, context)
            try await auth.keepAlive(actor: user.actor)
            return Response(status: .noContent)
        }
    }

    /// What the sign-in template shows.
    struct SignInView {
        var chrome = PageChrome.signedOut(title: "Sign in")
        var email = ""
        var error: String?
        /// Why the browser is here (signed out when idle, a lapsed code step).
        var notice: String?
        /// The local path to go to after signing in (`localPath`), or empty.
        var next = ""
    }

    /// What the code step's template shows.
    struct CodeView {
        var chrome = PageChrome.signedOut(title: "One-time code")
        var error: String?
        var next = ""
    }

    /// `text` when it is a path on this site to send a browser to after sign-in, else nil: one `/`
    /// followed by a letter (so not `//host`, `/\host` or `https://…`), then only characters a path
    /// and query of Haven's own use (no backslash, no control character, no second scheme).
    static func localPath(_ text: String?) -> String? {
        let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard let text, text.utf8.count <= 500, text.hasPrefix("/"),
            let second = text.unicodeScalars.dropFirst().first, letters.contains(second)
        else { return nil }
        let allowed = letters.union(CharacterSet(charactersIn: "0123456789/-_.~?=&%"))
        guard text.unicodeScalars.allSatisfy(allowed.contains), !text.hasPrefix("/sign-") else { return nil }
        return text
    }

    /// The sign-in page, keyed to the request's pre-session cookie (a new one when it has none).
    static func signInPage(
        request: Request,
        view: SignInView,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        try WebSession.preSessionPage(for: request, status: status) { csrf in
            var view = view
            view.chrome.csrf = csrf
            return WebTemplates.render(view, template: "sign-in")
        }
    }

    /// The code step's page; its form token is keyed to the pending session's cookie.
    static func codePage(request: Request, view: CodeView, status: HTTPResponse.Status = .ok) -> Response {
        var view = view
        view.chrome.csrf = WebSession.token(in: request).map { CSRF.token(forKey: $0.value) } ?? ""
        return WebPage.html(WebTemplates.render(view, template: "sign-in-code"), status: status)
    }

    /// Back to the password step, the pending session's cookie dropped, saying why (`code`: a wrong
    /// code ended it; `lapsed`: it was not there or past its five minutes).
    static func restartSignIn(_ reason: String) -> Response {
        var response = WebPage.redirect(to: "/sign-in?reason=\(reason)")
        response.setCookie(WebSession.expired(named: WebSession.cookieName))
        return response
    }

    func signInFromForm(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        var request = request
        let form = try await WebForm(request: &request)
        let email = form["email"] ?? ""
        let password = form["password"] ?? ""
        let next = Self.localPath(form["next"])
        var view = SignInView(email: email, next: next ?? "")
        let refusedText = "Wrong email or password, or the account is disabled."
        guard email.count <= 320, password.count <= 1024, !email.contains("\u{0}") else {
            view.error = refusedText
            return try Self.signInPage(request: request, view: view, status: .unauthorized)
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if throttle.wait(email: email, address: address) != nil {
            view.error = "Too many failed attempts. Wait a few minutes, then try again."
            return try Self.signInPage(request: request, view: view, status: .tooManyRequests)
        }
        let step: AuthService.SignInStep
        do {
            step = try await auth.beginSignIn(
                email: email,
                password: password,
                source: context.source,
                requestID: context.requestID
            )
        } catch let error as ServiceError where error.kind == .unauthenticated {
            throttle.failed(email: email, address: address)
            view.error = error.reason == "totp-unavailable" ? error.description : refusedText
            return try Self.signInPage(request: request, view: view, status: .unauthorized)
        }
        var response: Response
        switch step {
        case .signedIn(let signIn):
            throttle.succeeded(email: email)
            response = WebPage.redirect(to: next ?? PageChrome.home(for: signIn.actor))
            response.setCookie(WebSession.cookie(named: WebSession.cookieName, value: signIn.token.value))
        case .codeNeeded(let token):
            // The pause is cleared only when the code is right too.
            let query = next.map { "?next=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
            response = WebPage.redirect(to: "/sign-in/code" + (query ?? ""))
            response.setCookie(WebSession.cookie(named: WebSession.cookieName, value: token.value))
        }
        response.setCookie(WebSession.expired(named: WebSession.preSessionCookieName))
        return response
    }

    func codeFromForm(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        var request = request
        let form = try await WebForm(request: &request)
        let code = (form["code"] ?? "").trimmingCharacters(in: .whitespaces)
        let next = Self.localPath(form["next"])
        guard let token = WebSession.token(in: request), let email = try await auth.pendingSignIn(token) else {
            return Self.restartSignIn("lapsed")
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if throttle.wait(email: email, address: address) != nil {
            var view = CodeView(next: next ?? "")
            view.error = "Too many failed attempts. Wait a few minutes, then try again."
            return Self.codePage(request: request, view: view, status: .tooManyRequests)
        }
        let signIn: AuthService.SignIn
        do {
            signIn = try await auth.completeSecondFactor(
                token: token,
                code: String(code.prefix(20)),
                source: context.source,
                requestID: context.requestID
            )
        } catch let error as ServiceError where error.kind == .unauthenticated {
            if error.reason == "totp-invalid" || error.reason == nil { throttle.failed(email: email, address: address) }
            // A wrong code ended the pending session: the sign-in starts again with the password.
            return Self.restartSignIn(error.reason == "totp-invalid" ? "code" : "lapsed")
        }
        throttle.succeeded(email: email)
        var response = WebPage.redirect(to: next ?? PageChrome.home(for: signIn.actor))
        // The same token, now a full session (set again so the browser's copy is current).
        response.setCookie(WebSession.cookie(named: WebSession.cookieName, value: signIn.token.value))
        return response
    }
}
