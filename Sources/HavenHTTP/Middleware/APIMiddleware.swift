import Foundation
import HTTPTypes
import HavenService
import Hummingbird
import Logging
import Postgres
import Sealing

extension HTTPField.Name {
    /// The request id every response carries and every log line names.
    public static let requestID = HTTPField.Name("X-Request-ID")!
    /// `on` acts under the caller's break-glass grants (`StaffActor.breakGlass`): reads reach the
    /// granted charts and every audit entry is flagged; the service refuses writes under it.
    public static let havenBreakGlass = HTTPField.Name("Haven-Break-Glass")!
    /// RFC 9745: when a path was deprecated (`@` and seconds since 1970).
    public static let deprecation = HTTPField.Name("Deprecation")!
    /// RFC 8288 links (here: a deprecated path's `successor-version`).
    public static let link = HTTPField.Name("Link")!
}

/// Gives every request an id (the caller's `X-Request-ID` when `acceptsRequestID` takes it, else a
/// new UUID), turns every error into a problem document, marks every `/v1` response
/// `Cache-Control: no-store` (they carry clinical data, tokens or who-saw-whom), and logs one line per
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
        context.requestID = Self.acceptsRequestID(inbound) ? inbound : UUID().uuidString.lowercased()
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
            } else if problem.status == 503, let error = error as? PostgresError {
                // The kind only ("could not connect", "timed out waiting for a connection"): no message.
                logger.warning(
                    "database unavailable",
                    metadata: ["request_id": "\(context.requestID)", "db.error": "\(error.code)"]
                )
            }
            if problem.status == 404 && !Self.isAPIPath(request.uri.path) {
                // A browser's wrong address: the web app's page, with its headers (docs/web.md).
                response = WebErrorPage.page(.notFound, "Not found", "There is nothing here.")
                SecurityHeaders.apply(to: &response)
            } else {
                response = problem.response
            }
            if problem.status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
        }
        if let actor = context.notes.actorID.withLock({ $0 }) { actorID = actor.uuidString.lowercased() }
        response.headers[.requestID] = context.requestID
        if request.uri.path == "/v1" || request.uri.path.hasPrefix("/v1/") {
            response.headers[.cacheControl] = "no-store"
        }
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

    /// Whether `path` belongs to the API and its operations (JSON problems), not the web app.
    static func isAPIPath(_ path: String) -> Bool {
        path == "/v1" || path.hasPrefix("/v1/") || ["/openapi.yaml", "/health", "/ready"].contains(path)
    }

    /// The longest caller-chosen request id kept (a UUID is 36 characters, nginx's `$request_id` 32).
    static let maximumRequestIDLength = 64

    /// Whether a caller's `X-Request-ID` is kept: 1 to 64 ASCII letters, digits, `-`, `.` or `_`, so
    /// it cannot forge log lines or carry anything but an id into logs and the audit log.
    static func acceptsRequestID(_ value: String) -> Bool {
        (1...maximumRequestIDLength).contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }
}

/// Authenticates `Authorization: Bearer <token>` for everything under `/v1` but signing in: the
/// token's session must be live and its staff member active (a disabled account's tokens stop at
/// once). Sets the context's actor with the request id and address for the audit log, in break-glass
/// mode when the request says `Haven-Break-Glass: on` (`off` or no header: not).
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
            throw ServiceError(.unauthenticated, "send 'Authorization: Bearer <token>' from POST /v1/auth/sessions")
        }
        let breakGlass: Bool
        switch request.headers[.havenBreakGlass] {
        case nil, "off": breakGlass = false
        case "on": breakGlass = true
        default:
            throw APIError(
                status: .badRequest,
                kind: "bad-header",
                detail: "Haven-Break-Glass is on or off",
                field: "Haven-Break-Glass"
            )
        }
        var context = context
        var actor = try await auth.authenticate(
            SessionToken(value: token),
            source: context.source,
            requestID: context.requestID
        )
        actor.breakGlass = breakGlass
        context.actor = actor
        if let actor = context.actor { context.notes.actorID.withLock { $0 = actor.staffID } }
        return try await next(request, context)
    }
}
