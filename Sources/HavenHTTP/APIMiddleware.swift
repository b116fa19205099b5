import Foundation
import HTTPTypes
import HavenService
import Hummingbird
import Logging
import Sealing

extension HTTPField.Name {
    /// The request id every response carries and every log line names.
    public static let requestID = HTTPField.Name("X-Request-ID")!
}

/// Gives every request an id (the caller's `X-Request-ID` when it is a plain token of at most 100
/// characters, else a new UUID), turns every error into a problem document, and logs one line per
/// request: id, method, route, status, duration and actor id — never a body, a query or a value.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = HavenRequestContext
    let logger: Logger

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var context = context
        let inbound = request.headers[.requestID] ?? ""
        context.requestID =
            (1...100).contains(inbound.count)
                && inbound.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
            ? inbound : UUID().uuidString.lowercased()
        let started = ContinuousClock.now
        var response: Response
        var actorID = "-"
        do {
            response = try await next(request, context)
        } catch {
            let problem = APIProblem.from(error, requestID: context.requestID)
            if problem.status == 500 {
                logger.error(
                    "request failed",
                    metadata: ["request_id": "\(context.requestID)", "error_type": "\(type(of: error))"]
                )
            }
            response = problem.response
            if problem.status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
        }
        if let actor = context.notes.actorID.withLock({ $0 }) { actorID = actor.uuidString.lowercased() }
        response.headers[.requestID] = context.requestID
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        logger.info(
            "request",
            metadata: [
                "request_id": "\(context.requestID)",
                "method": "\(request.method.rawValue)",
                "route": "\(context.endpointPath ?? "unmatched")",
                "status": "\(response.status.code)",
                "duration_ms": "\(String(format: "%.2f", milliseconds))",
                "actor_id": "\(actorID)",
            ]
        )
        return response
    }
}

/// Authenticates `Authorization: Bearer <token>` for everything under `/v1` but signing in: the
/// token's session must be live and its staff member active (a disabled account's tokens stop at
/// once). Sets the context's actor with the request id and address for the audit log.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = HavenRequestContext
    let auth: AuthService

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            case let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), !token.isEmpty,
            token.count <= 200
        else {
            throw ServiceError(.unauthenticated, "send 'Authorization: Bearer <token>' from POST /v1/sessions")
        }
        var context = context
        context.actor = try await auth.authenticate(
            SessionToken(value: token),
            source: context.source,
            requestID: context.requestID
        )
        if let actor = context.actor { context.notes.actorID.withLock { $0 = actor.staffID } }
        return try await next(request, context)
    }
}
