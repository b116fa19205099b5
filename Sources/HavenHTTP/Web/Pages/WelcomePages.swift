import Foundation
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// `/welcome/{token}`: a new staff member (or one whose password an admin reset) sets their own
    /// password with the one-time link an admin was given (migration 0042). Open without a session.
    /// The GET only shows the form (mail scanners fetch links: it spends nothing); the POST, whose CSRF
    /// token is keyed to the pre-session cookie as `/sign-in`'s is, spends the link
    /// (`AuthService.setPassword`) and sends the browser to sign in. The token is in the path only,
    /// which the request log never prints (it logs the route pattern), and the page has no referrer.
    func addWelcomePages(to web: RouterGroup<HavenRequestContext>) {
        web.get("/welcome/{token}") { request, context in
            let token = SessionToken(value: context.parameters.get("token") ?? "")
            guard let email = try await auth.passwordLinkAccount(token) else { return try Self.deadLinkPage() }
            return try Self.welcomePage(request: request, view: WelcomeView(email: email, token: token.value))
        }
        web.post("/welcome/{token}") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            let token = SessionToken(value: context.parameters.get("token") ?? "")
            guard let email = try await auth.passwordLinkAccount(token) else { return try Self.deadLinkPage() }
            var view = WelcomeView(email: email, token: token.value)
            let password = form["password"] ?? ""
            guard password == form["confirm"] else {
                view.error = "The two passwords differ. Type the same password twice."
                return try Self.welcomePage(request: request, view: view, status: .unprocessableContent)
            }
            do {
                try await auth.setPassword(
                    with: token,
                    to: password,
                    source: context.source,
                    requestID: context.requestID
                )
            } catch let error as ServiceError where error.field == "password" {
                view.error = "The password \(error.message)."
                return try Self.welcomePage(request: request, view: view, status: .unprocessableContent)
            } catch let error as ServiceError where error.field == "link" {
                return try Self.deadLinkPage()
            }
            return WebPage.redirect(to: "/sign-in?reason=password-set")
        }
    }

    /// What the welcome template shows: the account's email (never a password), the error in words.
    struct WelcomeView {
        var chrome = PageChrome.signedOut(title: "Set your password")
        var email: String
        /// The link's token, for the form's action (the page is `no-store`).
        var token: String
        var error: String?
        var deadLink = false
        var minimumLength = StaffService.minimumPasswordLength
    }

    /// The form, keyed to the request's pre-session cookie (a new one when it has none).
    static func welcomePage(
        request: Request,
        view: WelcomeView,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        try WebSession.preSessionPage(for: request, status: status) { csrf in
            var view = view
            view.chrome.csrf = csrf
            return WebTemplates.render(view, template: "welcome")
        }
    }

    /// One page for every link that does not work (unknown, spent, replaced, expired, disabled account).
    static func deadLinkPage() throws -> Response {
        let view = WelcomeView(email: "", token: "", deadLink: true)
        return WebPage.html(WebTemplates.render(view, template: "welcome"), status: .notFound)
    }
}
