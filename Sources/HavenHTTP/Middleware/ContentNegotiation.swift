import Foundation
import Hummingbird

/// Proactive content negotiation on `Accept` (RFC 9110 §12.5.1): which of the media types a route
/// offers the client takes, or none (then 406).
enum ContentNegotiation {
    /// One media range of an `Accept` header: `type/subtype` (either may be `*`) and its weight.
    struct MediaRange: Equatable {
        var type: String
        var subtype: String
        var quality: Double

        /// How specifically this range names `mediaType` (`type/subtype`, no parameters): 3 exactly,
        /// 2 by `type/*`, 1 by `*/*`, nil not at all.
        func specificity(for mediaType: String) -> Int? {
            let parts = mediaType.lowercased().split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            switch (type, subtype) {
            case ("*", "*"): return 1
            case (parts[0], "*"): return 2
            case (parts[0], parts[1]): return 3
            default: return nil
            }
        }
    }

    /// The media ranges of an `Accept` value; malformed members are skipped, as RFC 9110 lets a
    /// server treat them.
    static func ranges(_ accept: String) -> [MediaRange] {
        accept.split(separator: ",").compactMap { member in
            let pieces = member.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let names = pieces[0].lowercased().split(separator: "/", maxSplits: 1).map(String.init)
            guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty, names[0] != "*" || names[1] == "*" else {
                return nil
            }
            var quality = 1.0
            for parameter in pieces.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0].lowercased() == "q" {
                    guard let q = Double(pair[1]), (0...1).contains(q) else { return nil }
                    quality = q
                }
            }
            return MediaRange(type: names[0], subtype: names[1], quality: quality)
        }
    }

    /// The offered media type the client prefers: the highest weight given by the most specific range
    /// that names it, ties going to the route's order. Nil when the client accepts none of them. No
    /// `Accept` (or one with no valid range) accepts anything.
    static func choose(_ offered: [String], accept: String?) -> String? {
        guard let accept else { return offered.first }
        let ranges = ranges(accept)
        guard !ranges.isEmpty else { return offered.first }
        var best: (type: String, quality: Double)?
        for type in offered {
            let matches = ranges.compactMap { range in range.specificity(for: type).map { ($0, range.quality) } }
            guard let quality = matches.max(by: { $0.0 < $1.0 })?.1, quality > 0 else { continue }
            if quality > (best?.quality ?? 0) { best = (type, quality) }
        }
        return best?.type
    }
}

/// Refuses with 406, before the route runs (so nothing is read, written or audited), a request whose
/// `Accept` takes none of what its route answers: `application/json` for every `/v1` route except
/// those in `negotiated`, which offer several formats and negotiate themselves.
struct AcceptMiddleware: RouterMiddleware {
    typealias Context = HavenRequestContext

    /// Routes that choose among several formats themselves (`ContentNegotiation.choose`).
    static let negotiated: Set<String> = [
        "/v1/couples/{coupleId}/report", "/v1/clients/{clientId}/report", "/v1/clients/{clientId}/export",
    ]

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let path = context.endpointPath, !Self.negotiated.contains(path) {
            try Self.require(["application/json"], request)
        }
        return try await next(request, context)
    }

    /// The offered type the request's `Accept` prefers, or a 406 naming what the route offers.
    @discardableResult
    static func require(_ offered: [String], _ request: Request) throws -> String {
        guard let chosen = ContentNegotiation.choose(offered, accept: request.headers[.accept]) else {
            throw APIError(
                status: .notAcceptable,
                kind: "not-acceptable",
                detail: "this resource is available as \(offered.joined(separator: ", ")); "
                    + "send an Accept header that takes one of them (or none)",
                field: "Accept"
            )
        }
        return chosen
    }
}
