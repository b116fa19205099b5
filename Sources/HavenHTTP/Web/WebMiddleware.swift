import Foundation
import HavenService
import Hummingbird
import Logging
import Sealing

/// Runs in front of every page: resolves the session cookie to the acting staff member (the API's
/// `AuthService.authenticate`, so the two share one session), refuses a state-changing request that
/// fails the CSRF checks before its page runs, turns every error into an HTML page that says no more
/// than is safe, and sets the security headers on every response.
struct WebMiddleware: RouterMiddleware {
    typealias Context = HavenRequestContext
    let auth: AuthService
    let logger: Logger

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
        do {
            if let token = WebSession.token(in: request) {
                do {
                    context.actor = try await auth.authenticate(
                        token,
                        source: context.source,
                        requestID: context.requestID
                    )
                    if let actor = context.actor { context.notes.actorID.withLock { $0 = actor.staffID } }
                } catch let error as ServiceError where error.kind == .unauthenticated {
                    context.actor = nil
                }
            }
            if request.method != .get && request.method != .head {
                guard CSRF.sameOrigin(request) else { throw WebRefusal.crossSite }
                let form = try await WebForm(request: &request)
                let key =
                    request.uri.path.hasPrefix("/sign-in")
                    ? WebSession.preSession(in: request) : WebSession.token(in: request)?.value
                guard CSRF.matches(form[CSRF.fieldName], key: key) else { throw WebRefusal.badToken }
            }
            response = try await next(request, context)
        } catch {
            response = WebErrorPage.response(for: error, requestID: context.requestID, logger: logger)
        }
        SecurityHeaders.apply(to: &response)
        return response
    }
}
