import Foundation
import HavenService
import Hummingbird
import Logging

/// Runs in front of every page: resolves the session cookie to the acting staff member (the API's
/// `AuthService.authenticate`, so the two share one session) and what the page chrome shows about it
/// (`WebSessionFacts`), sends a session that owes the practice a code app to enrol one, refuses a
/// state-changing request that fails the CSRF checks before its page runs, turns every error into
/// an HTML page that says no more than is safe, and sets the security headers on every response.
struct WebMiddleware: RouterMiddleware {
    typealias Context = HavenRequestContext
    let auth: AuthService
    let logger: Logger

    /// Paths a session that must first enrol a code app may open (`StaffActor.totpEnrollmentDue`).
    static let openWhileEnrolmentDue: Set<String> = [
        "/account/code-app", "/account/code-app/start", "/sign-out", "/session/keepalive",
    ]

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var context = context
        var request = request
        var response: Response
        // A cookie whose session is over (or still waits for its code): dropped when the browser is
        // sent to sign in.
        var staleCookie = false
        do {
            if let token = WebSession.token(in: request) {
                do {
                    var actor = try await auth.authenticate(token, source: context.source, requestID: context.requestID)
                    let staffID = actor.staffID
                    context.notes.actorID.withLock { $0 = staffID }
                    let facts = await WebSessionFacts.gather(
                        for: actor,
                        auth: auth,
                        idleSeconds: Int(auth.sessionPolicy.idleTimeout.components.seconds)
                    )
                    // While a grant is open the browser acts under it (the banner on every page says so):
                    // the database widens only the granted charts, and flags each audit entry.
                    actor.breakGlass = !facts.grants.isEmpty
                    context.actor = actor
                    context.webSession = facts
                } catch let error as ServiceError where error.kind == .unauthenticated {
                    context.actor = nil
                    staleCookie = true
                }
            }
            let path = request.uri.path
            if let actor = context.actor, actor.totpEnrollmentDue, !Self.openWhileEnrolmentDue.contains(path) {
                response = WebPage.redirect(to: "/account/code-app")
            } else if request.method != .get && request.method != .head {
                guard CSRF.sameOrigin(request) else { throw WebRefusal.crossSite }
                let form = try await WebForm(request: &request)
                // The password step's and the welcome link's forms (no session yet) are keyed to the
                // pre-session cookie; every other form (the code step's too) to the session cookie.
                let preSessionForm = path == "/sign-in" || path.hasPrefix("/welcome/")
                let key = preSessionForm ? WebSession.preSession(in: request) : WebSession.token(in: request)?.value
                // Text a person wrote is never lost to an ended session: it comes back to copy
                // (`KeptText`). A script's request (autosave) gets its own answer from its page.
                let wantsJSON = request.headers[.accept]?.contains("application/json") ?? false
                let written = wantsJSON ? [] : KeptText.written(in: form)
                if !CSRF.matches(form[CSRF.fieldName], key: key) {
                    guard !written.isEmpty else { throw WebRefusal.badToken }
                    response =
                        context.actor == nil
                        ? try KeptText.signedOutPage(request, written: written)
                        : KeptText.expiredFormPage(written: written)
                } else if context.actor == nil, !written.isEmpty {
                    response = try KeptText.signedOutPage(request, written: written)
                } else {
                    response = try await next(request, context)
                }
            } else {
                response = try await next(request, context)
            }
        } catch {
            response = WebErrorPage.response(for: error, requestID: context.requestID, logger: logger)
        }
        if response.status == .seeOther, response.headers[.location] == "/sign-in" {
            if staleCookie { response.setCookie(WebSession.expired(named: WebSession.cookieName)) }
            // Back to the page after signing in (a GET only; its path and query carry ids only).
            if request.method == .get, let back = HavenAPI.localPath(request.uri.description) {
                let encoded = back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                response.headers[.location] = "/sign-in?next=\(encoded)"
            }
        }
        SecurityHeaders.apply(to: &response)
        return response
    }
}
