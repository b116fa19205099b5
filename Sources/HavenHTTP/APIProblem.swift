import Foundation
import HTTPTypes
import HavenService
import Hummingbird
import NIOCore
import Postgres

/// An RFC 9457 problem document: a stable `type` per kind of failure, the HTTP status, a message
/// that never holds clinical data, the field at fault, and the request id.
struct APIProblem: Encodable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var field: String?
    var requestId: String

    static let base = "https://haven.invalid/problems/"

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
                case .conflict:
                    (error.field == "version" ? 409 : 409, error.field == "version" ? "stale-version" : "conflict")
                case .integrity: (500, "integrity")
                }
            return APIProblem(
                type: base + (error.reason ?? kind),
                title: HTTPResponse.Status(code: status).reasonPhrase,
                status: status,
                detail: error.message,
                field: error.field,
                requestId: requestID
            )
        case let error as APIError:
            return APIProblem(
                type: base + error.kind,
                title: error.status.reasonPhrase,
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
                title: error.status.reasonPhrase,
                status: error.status.code,
                detail: error.status.code == 413 ? "the request body is larger than 1 MiB" : error.status.reasonPhrase,
                field: nil,
                requestId: requestID
            )
        case let error as PostgresError where error.sqlState == "22021" || error.sqlState == "22P05":
            // Text with a NUL or bytes the database's encoding cannot hold: the input's fault.
            return APIProblem(
                type: base + "invalid-input",
                title: "Unprocessable Content",
                status: 422,
                detail: "the text holds characters that cannot be stored (such as NUL)",
                field: error.column,
                requestId: requestID
            )
        case is NIOTooManyBytesError:
            return from(HTTPError(.contentTooLarge), requestID: requestID)
        case is DecodingError:
            return APIProblem(
                type: base + "malformed-body",
                title: "Bad Request",
                status: 400,
                detail: "the body is not the JSON this endpoint takes (see /openapi.yaml)",
                field: (error as? DecodingError).flatMap(Self.field),
                requestId: requestID
            )
        default:
            return APIProblem(
                type: base + "internal",
                title: "Internal Server Error",
                status: 500,
                detail: "something went wrong on our side; quote the request id when reporting it",
                field: nil,
                requestId: requestID
            )
        }
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
