import Foundation
import HTTPTypes
import HavenService
import Hummingbird
import NIOCore
import NIOHTTP1
import Postgres

/// An RFC 9457 problem document: a stable `type` per kind of failure, the HTTP status and its title,
/// a message that never holds clinical data, the field at fault, and the request id.
struct APIProblem: Encodable {
    var type: String
    /// Always the status's reason phrase (`APIProblem.title(for:)`), never empty.
    let title: String
    var status: Int
    var detail: String
    var field: String?
    var requestId: String
    /// For a stale `If-Match` (412): the record's current version, also sent as its `ETag`.
    var currentVersion: Int?

    static let base = "https://haven.invalid/problems/"

    /// Seconds a client waits before retrying while the database is unavailable (503).
    static let retryAfterSeconds = 5

    init(type: String, status: Int, detail: String, field: String?, requestId: String) {
        self.type = type
        self.title = Self.title(for: status)
        self.status = status
        self.detail = detail
        self.field = field
        self.requestId = requestId
    }

    /// The reason phrase of `status` (`HTTPResponse.Status(code:)` alone carries none).
    static func title(for status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 409: "Conflict"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: status < 500 ? "Client Error" : "Server Error"
        }
    }

    /// Whether `error` means the database cannot be reached just now (down, restarting, every
    /// connection busy, shutting down): the request may succeed later, so 503 rather than 500.
    static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        (error as? PostgresError)?.isUnavailable == true
    }

    /// The problem for any error a route or middleware threw.
    static func from(_ error: any Error, requestID: String) -> APIProblem {
        switch error {
        case let error as ServiceError:
            let (status, kind): (Int, String) =
                switch error.kind {
                case .invalidInput: (422, "invalid-input")
                case .unauthenticated: (401, "unauthenticated")
                case .forbidden: (403, "forbidden")
                case .notFound: (404, "not-found")
                case .conflict where error.currentVersion != nil:
                    // The version came as If-Match: a failed precondition (RFC 9110 §13.1.1).
                    (412, "stale-version")
                case .conflict: (409, "conflict")
                case .integrity: (500, "integrity")
                }
            var problem = APIProblem(
                type: base + (error.reason ?? kind),
                status: status,
                detail: advice(for: error).map { "\(error.message); \($0)" } ?? error.message,
                field: error.currentVersion == nil ? error.field : "If-Match",
                requestId: requestID
            )
            problem.currentVersion = error.currentVersion
            return problem
        case let error as APIError:
            return APIProblem(
                type: base + error.kind,
                status: error.status.code,
                detail: error.detail,
                field: error.field,
                requestId: requestID
            )
        case let error as HTTPError:
            let kind =
                switch error.status.code {
                case 413: "too-large"
                case 404: "no-route"
                case 405: "method-not-allowed"
                default: "bad-request"
                }
            return APIProblem(
                type: base + kind,
                status: error.status.code,
                detail: error.status.code == 413
                    ? "the request body is larger than 1 MiB" : Self.title(for: error.status.code),
                field: nil,
                requestId: requestID
            )
        case let error as PostgresError where error.isUnstorableText:
            // Text with a NUL or bytes the database's encoding cannot hold: the input's fault.
            return APIProblem(
                type: base + "invalid-input",
                status: 422,
                detail: "the text holds characters that cannot be stored (such as NUL)",
                field: error.column,
                requestId: requestID
            )
        case is NIOTooManyBytesError:
            return from(HTTPError(.contentTooLarge), requestID: requestID)
        case is HTTPParserError:
            // A body the HTTP parser refused while the route read it (e.g. a malformed chunk).
            return APIProblem(
                type: base + "malformed-body",
                status: 400,
                detail: "the request body is not well-formed HTTP (chunked encoding or length)",
                field: nil,
                requestId: requestID
            )
        case let error where isDatabaseUnavailable(error):
            return APIProblem(
                type: base + "unavailable",
                status: 503,
                detail: "the service cannot reach its database just now; retry after the time in Retry-After",
                field: nil,
                requestId: requestID
            )
        case is DecodingError:
            return APIProblem(
                type: base + "malformed-body",
                status: 400,
                detail: "the body is not the JSON this endpoint takes (see /openapi.yaml)",
                field: (error as? DecodingError).flatMap(Self.field),
                requestId: requestID
            )
        default:
            return APIProblem(
                type: base + "internal",
                status: 500,
                detail: "something went wrong on our side; quote the request id when reporting it",
                field: nil,
                requestId: requestID
            )
        }
    }

    /// What an HTTP client does next, for the refusals whose remedy is a route: the services say only
    /// what happened (the CLI names its own commands for the same refusals).
    static func advice(for error: ServiceError) -> String? {
        if error == .sessionExpired { return "sign in again (POST /v1/auth/sessions) and send the new bearer token" }
        if error == .totpEnrollmentDue {
            return "enrol one first (POST /v1/me/totp, then POST /v1/me/totp/confirmation with a code)"
        }
        return nil
    }

    private static func field(_ error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, _): key.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.last?.stringValue
        @unknown default: nil
        }
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == 503 { headers[.retryAfter] = "\(Self.retryAfterSeconds)" }
        if let currentVersion { headers[.eTag] = "\"\(currentVersion)\"" }
        let body = (try? APIJSON.encoder.encode(self)) ?? Data()
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}

/// A refusal made by the HTTP layer itself (a header missing or malformed, a cursor that does not
/// parse); the service layer's refusals are `ServiceError`s.
struct APIError: Error {
    var status: HTTPResponse.Status
    var kind: String
    var detail: String
    var field: String?
}
