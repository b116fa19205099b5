import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// A query parameter's text, nil when absent or empty.
    static func queryText(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name).map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// An instant query parameter: ISO 8601 with an offset, fractional seconds allowed.
    ///
    /// - Throws: 400 `bad-parameter` naming `name`.
    static func instant(_ request: Request, _ name: String) throws -> Date? {
        try queryText(request, name).map { value in
            let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            guard let date = (try? Date(value, strategy: .iso8601)) ?? (try? fractional.parse(value)) else {
                throw badParameter(name, "must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z")
            }
            return date
        }
    }

    /// A boolean query parameter, `true` or `false`.
    ///
    /// - Throws: 400 `bad-parameter` naming `name`.
    static func flag(_ request: Request, _ name: String, default value: Bool = false) throws -> Bool {
        switch queryText(request, name) {
        case nil: value
        case "false": false
        case "true": true
        default: throw badParameter(name, "is true or false")
        }
    }

    /// A 400 for a query parameter that is not what the route takes.
    static func badParameter(_ name: String, _ problem: String) -> APIError {
        APIError(status: .badRequest, kind: "bad-parameter", detail: "\(name) \(problem)", field: name)
    }

    /// Runs `body`, renaming the field of a `ServiceError` it throws from the service's name to the
    /// one this route's request uses (e.g. `duration` → `durationMinutes`), so the problem names what
    /// the caller sent.
    static func naming<Value>(_ fields: [String: String], _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch var error as ServiceError {
            if let field = error.field, let renamed = fields[field] { error.field = renamed }
            throw error
        }
    }
}
