import Foundation
import HavenService
import Hummingbird
import Logging

/// Runs in front of every `/portal` page instead of `WebMiddleware`: resolves the portal cookie (and
/// only it) to the partner's live session (`PortalService.context`), refuses a state-changing request
/// that fails the CSRF checks (the same rules, keyed to the portal's cookies), turns every error into
/// a safe HTML page and sets the same security headers as the staff pages.
struct PortalMiddleware: RouterMiddleware {
    typealias Context = HavenRequestContext
    let portal: PortalService
    let logger: Logger

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        var request = request
        var response: Response
        // A cookie whose session is over: dropped when the browser is sent to sign in.
        var staleCookie = false
        do {
            if let token = PortalSession.token(in: request) {
                let actor = PartnerActor(
                    sessionHash: token.storageHash,
                    source: context.source,
                    requestID: context.requestID
                )
                do {
                    // Opening the context restarts the session's idle clock (`haven_open_partner_context`),
                    // so every portal request, `/portal/session/keepalive` included, keeps it alive.
                    context.partner = SignedInPartner(
                        actor: actor,
                        context: try await portal.context(actor),
                        idleSeconds: Int(portal.sessionPolicy.idleTimeout.components.seconds)
                    )
                } catch let error as ServiceError where error.kind == .unauthenticated {
                    staleCookie = true
                }
            }
            let path = request.uri.path
            if request.method != .get && request.method != .head {
                guard CSRF.sameOrigin(request) else { throw WebRefusal.crossSite }
                let form = try await WebForm(request: &request)
                let preSession = PortalSession.isPreSessionPath(path)
                let key = preSession ? PortalSession.preSession(in: request) : PortalSession.token(in: request)?.value
                // An answer a partner wrote is never lost to an ended session or an old form: it comes back
                // to copy (`KeptText`, with the portal's sign-in). The autosave script gets its own answer.
                let wantsJSON = request.headers[.accept]?.contains("application/json") ?? false
                let written = wantsJSON || preSession ? [] : KeptText.written(in: form)
                if !CSRF.matches(form[CSRF.fieldName], key: key) {
                    guard !written.isEmpty else { throw WebRefusal.badToken }
                    response =
                        context.partner == nil
                        ? try KeptText.signedOutPage(request, written: written, portal: true)
                        : KeptText.expiredFormPage(written: written)
                } else if context.partner == nil, !written.isEmpty {
                    response = try KeptText.signedOutPage(request, written: written, portal: true)
                } else {
                    response = try await next(request, context)
                }
            } else {
                response = try await next(request, context)
            }
        } catch let error as ServiceError where error.kind == .unauthenticated {
            // The session ended between the check above and the page (or the page found it ended).
            response = WebPage.redirect(to: "/portal/sign-in")
            staleCookie = true
        } catch let error as ServiceError where error.kind == .notFound {
            // In the partner's words (the staff page speaks of a caseload).
            response = WebErrorPage.page(.notFound, "Not found", "There is nothing here in your portal.")
        } catch {
            response = WebErrorPage.response(for: error, requestID: context.requestID, logger: logger)
        }
        if staleCookie, response.status == .seeOther,
            response.headers[.location]?.hasPrefix("/portal/sign-in") == true
        {
            response.setCookie(WebSession.expired(named: PortalSession.cookieName))
        }
        SecurityHeaders.apply(to: &response)
        return response
    }
}

/// A partner signed in to the portal: the actor every portal use case takes, what their context
/// held when the request began (the chart chosen), and the idle timeout their pages count down.
struct SignedInPartner: Sendable {
    var actor: PartnerActor
    var context: PartnerContext
    /// The server's idle timeout for portal sessions, in seconds (`<body data-idle-seconds>`).
    var idleSeconds = 900
}
