import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How clinical commands reach Haven: HTTP to `haven serve`, with the bearer token `haven login`
/// stored. The CLI holds no database password and no master key for these.
///
/// Plain `http://` is accepted only to a loopback host (the server itself); anything else must be
/// `https://` (TLS in front of `haven serve`, docs/operations.md), since a password and a session
/// token travel in every request.
struct APIClient: Sendable {
    let server: URL
    let token: String?
    /// Sends `Haven-Break-Glass: on`: reads act under the caller's open break-glass grants.
    var breakGlass = false
    /// Further request headers, e.g. `If-Match` naming the version a note edit is based on.
    var headers: [String: String] = [:]

    /// - Throws: `UserError` naming `flag` for a URL that is not http(s), or plain http to a host
    ///   other than loopback.
    init(server text: String, token: String? = nil, flag: String = "--server") throws {
        self.server = try Self.validated(text, flag: flag)
        self.token = token
    }

    static func validated(_ text: String, flag: String) throws -> URL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), let host = url.host,
            !host.isEmpty, scheme == "http" || scheme == "https"
        else {
            throw UserError(message: "\(flag) must be an http(s) URL such as https://haven.example.org")
        }
        guard scheme == "https" || isLoopback(host) else {
            throw UserError(
                message:
                    "\(flag): refusing plain http to \(host), which would send your password and session unencrypted; "
                    + "use https:// (TLS in front of haven serve, docs/operations.md)"
            )
        }
        return url
    }

    /// Whether `host` is this machine: localhost, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `text` as one path segment: percent-encoded, a `/` included, so user text (a measure code)
    /// cannot reach another route.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/;")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A request with no body to send.
    struct Empty: Encodable, Sendable {}

    /// Sends a request and decodes the JSON answer.
    ///
    /// - Throws: `APIFailure` for a problem answer (its detail is the server's message in the user's
    ///   words), `UserError` when the server cannot be reached.
    func send<Body: Encodable & Sendable, Answer: Decodable>(
        _ method: String,
        _ path: String,
        query: [URLQueryItem] = [],
        body: Body? = Empty?.none,
        as answer: Answer.Type
    ) async throws -> Answer {
        let data = try await exchange(method, path, query: query, body: body)
        do {
            return try Self.decoder.decode(Answer.self, from: data)
        } catch {
            throw UserError(message: "\(server.absoluteString) answered in a form this haven does not understand")
        }
    }

    /// Every item of a cursor-paged list (`{"items": [...], "nextCursor": "..."}`), page by page.
    func pages<Item: Decodable>(_ path: String, query: [URLQueryItem] = [], as item: Item.Type) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String?
        repeat {
            let page = try await send(
                "GET",
                path,
                query: query + [URLQueryItem(name: "limit", value: "200")]
                    + (cursor.map { [URLQueryItem(name: "cursor", value: $0)] } ?? []),
                as: APIPage<Item>.self
            )
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }

    /// Sends a request and returns the answer's bytes as they came (reports in Markdown or HTML,
    /// exports written to a file byte for byte).
    func data<Body: Encodable & Sendable>(
        _ method: String,
        _ path: String,
        query: [URLQueryItem] = [],
        body: Body? = Empty?.none,
        accept: String
    ) async throws -> Data {
        try await exchange(method, path, query: query, body: body, accept: accept)
    }

    /// Sends a request whose answer has no body worth reading.
    func send<Body: Encodable & Sendable>(
        _ method: String,
        _ path: String,
        query: [URLQueryItem] = [],
        body: Body? = Empty?.none
    ) async throws {
        _ = try await exchange(method, path, query: query, body: body)
    }

    private func exchange<Body: Encodable & Sendable>(
        _ method: String,
        _ path: String,
        query: [URLQueryItem],
        body: Body?,
        accept: String = "application/json"
    ) async throws -> Data {
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)!
        // `path` is already percent-encoded: fixed words, UUIDs, and user text through `segment(_:)`.
        let base = components.percentEncodedPath
        components.percentEncodedPath = (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
        components.queryItems = query.isEmpty ? nil : query
        guard let url = components.url else { throw UserError(message: "cannot build a request URL for \(path)") }
        var request = URLRequest(url: url, timeoutInterval: 60)
        request.httpMethod = method
        request.setValue(accept, forHTTPHeaderField: "Accept")
        if breakGlass { request.setValue("on", forHTTPHeaderField: "Haven-Break-Glass") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try Self.encoder.encode(body)
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch {
            throw UserError(
                message:
                    "cannot reach Haven at \(server.absoluteString) (\(error.localizedDescription)); is 'haven serve' running there?",
                status: 2
            )
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if (300..<400).contains(status) {
            // Never followed (RedirectRefusal): the token would go wherever the answer points.
            throw UserError(
                message:
                    "\(server.absoluteString) answered with a redirect (\(status)), which haven does not follow with your session; sign in with the server's own address ('haven login --server URL')",
                status: 2
            )
        }
        guard (200..<300).contains(status) else {
            throw APIFailure(
                status: status,
                data: data,
                retryAfter: (response as? HTTPURLResponse)?.retryAfter,
                sentToken: token != nil
            )
        }
        return data
    }

    private static let session: URLSession = {
        bypassProxiesForLoopback()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        return URLSession(configuration: configuration, delegate: RedirectRefusal(), delegateQueue: nil)
    }()

    /// Requests to this machine never go through a proxy named in the environment (`http_proxy`,
    /// `ALL_PROXY`): plain http is allowed only to loopback, and a proxy would see the password and
    /// the token in clear text. Proxies still carry https (TLS is checked end to end through them).
    private static func bypassProxiesForLoopback() {
        let loopback = "localhost,127.0.0.1,127.0.0.0/8,::1"
        for name in ["no_proxy", "NO_PROXY"] {
            let current = ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
            setenv(name, current.map { "\($0),\(loopback)" } ?? loopback, 1)
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            for options: ISO8601DateFormatter.Options in [
                [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
            ] {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = options
                if let date = formatter.date(from: text) { return date }
            }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an instant"))
        }
        return decoder
    }
}

/// Refuses every redirect: URLSession would otherwise follow one with the same headers, the bearer
/// token included, to whatever host (or plain-http address) the answer names.
private final class RedirectRefusal: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

extension HTTPURLResponse {
    fileprivate var retryAfter: String? { value(forHTTPHeaderField: "Retry-After") }
}

/// One page of a cursor-paged list.
struct APIPage<Item: Decodable>: Decodable {
    var items: [Item]
    /// Absent on the last page.
    var nextCursor: String?
}

/// A problem answer from `haven serve` (RFC 9457): what the user sees is the server's own message,
/// prefixed with the field it names, exactly as the service would have said it.
struct APIFailure: Error, CustomStringConvertible {
    var status: Int
    /// The problem type's last path segment (`not-found`, `totp-required`, ...).
    var kind: String
    var detail: String
    var field: String?
    var requestID: String?
    var retryAfter: String?
    /// Whether the request carried the stored session's token: a 401 then means the session is over.
    var sentToken = false

    init(status: Int, data: Data, retryAfter: String?, sentToken: Bool = false) {
        struct Problem: Decodable {
            var type: String?
            var title: String?
            var detail: String?
            var field: String?
            var requestId: String?
        }
        let problem = try? JSONDecoder().decode(Problem.self, from: data)
        self.status = status
        self.kind = problem?.type?.split(separator: "/").last.map(String.init) ?? "http-\(status)"
        self.detail = problem?.detail ?? problem?.title ?? "the server answered \(status)"
        self.field = problem?.field
        self.requestID = problem?.requestId
        self.retryAfter = retryAfter
        self.sentToken = sentToken
    }

    var description: String {
        // The refusals whose remedy is a command: the CLI's own words, not the API's routes.
        if status == 401 && sentToken { return ErrorReport.sessionEnded }
        if kind == "totp-enrollment-required" { return ErrorReport.totpEnrollmentDue }
        var text = field.map { "\($0): \(detail)" } ?? detail
        if let advice = ErrorReport.advice(reason: kind) { text += " (\(advice))" }
        if status == 429, let retryAfter { text += " (retry in \(retryAfter) s)" }
        if status >= 500, let requestID { text += " (request id \(requestID))" }
        return text
    }

    /// 1 for what the user can fix (4xx), 2 for the system's problems.
    var exitStatus: Int32 { (400..<500).contains(status) ? 1 : 2 }
}
