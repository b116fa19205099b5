import ArgumentParser
import Foundation
import HavenHTTP
import HavenService

/// What every clinical command takes besides its own options.
struct ClinicalOptions: ParsableArguments {
    @Flag(
        name: .customLong("break-glass"),
        help: "Act under your break-glass grants (read-only; every audit entry is flagged). See 'haven break-glass'."
    )
    var breakGlass = false
}

/// A clinical command's line to Haven: HTTP to the `haven serve` the stored session was opened on,
/// presenting that session's token. It holds no database password and no master key; the server
/// authorises, seals and audits every call.
struct Clinic: Sendable {
    let api: APIClient

    /// The signed-in session's client, sending `Haven-Break-Glass: on` when `--break-glass` was given.
    ///
    /// - Throws: `UserError` when nobody is signed in.
    static func open(_ options: ClinicalOptions) throws -> Clinic {
        var api = try SessionFile.required().client()
        api.breakGlass = options.breakGlass
        return Clinic(api: api)
    }

    /// Runs `body` with the signed-in session's clinic.
    static func with<Value>(_ options: ClinicalOptions, _ body: (Clinic) async throws -> Value) async throws -> Value {
        try await body(try open(options))
    }

    /// Resolves a typed id or prefix (8+ hex digits) within the caller's reach: a full UUID as it is
    /// (the server checks reach when it is used), a prefix through `GET /v1/references`.
    ///
    /// - Parameters:
    ///   - text: what the user typed.
    ///   - kind: the kind of record; it names the problem (`client: 'xyz' is not a UUID ...`).
    /// - Throws: `APIFailure` naming `kind` for a malformed, ambiguous or unknown reference.
    func resolve(_ text: String, as kind: ReferenceResolver.Kind) async throws -> UUID {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let id = UUID(uuidString: trimmed) { return id }
        // Checked here first, so nothing but hex digits ever travels in the URL (a name typed by
        // mistake stays on this machine).
        guard let digits = ReferenceResolver.prefixDigits(trimmed) else {
            throw UserError(
                message:
                    "\(kind.rawValue): '\(text.prefix(40))' is not a UUID or a prefix of at least \(ReferenceResolver.minimumPrefix) hex digits"
            )
        }
        struct Reference: Decodable { var id: UUID }
        do {
            return try await api.send(
                "GET",
                "/v1/references",
                query: [
                    URLQueryItem(name: "kind", value: kind.rawValue.replacingOccurrences(of: " ", with: "-")),
                    URLQueryItem(name: "prefix", value: digits),
                ],
                as: Reference.self
            ).id
        } catch var failure as APIFailure where failure.field == "prefix" {
            failure.field = kind.rawValue
            throw failure
        }
    }

    /// Resolves a reference when one was given (an optional flag).
    func resolveIfGiven(_ text: String?, as kind: ReferenceResolver.Kind) async throws -> UUID? {
        guard let text else { return nil }
        return try await resolve(text, as: kind)
    }

    /// Runs `body`, naming the flags the user typed instead of the API's JSON fields in a problem
    /// (`durationMinutes: ...` becomes `--minutes: ...`).
    static func naming<Value>(_ flags: [String: String], _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch var failure as APIFailure {
            if let field = failure.field, let flag = flags[field] { failure.field = flag }
            throw failure
        }
    }

    /// A chart's resource path in the API: `/v1/couples/{id}` or `/v1/clients/{id}`.
    static func path(of chart: ChartReference) -> String {
        switch chart {
        case .couple(let id): "/v1/couples/\(full(id))"
        case .client(let id): "/v1/clients/\(full(id))"
        }
    }

    /// How dates are shown and read: in the practice's time zone (`GET /v1/me`).
    func dateStyle() async throws -> DateStyle {
        DateStyle(timeZoneName: try await api.send("GET", "/v1/me", as: HavenAPI.MeResponse.self).timeZone)
    }
}
