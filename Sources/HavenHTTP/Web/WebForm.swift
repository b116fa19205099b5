import Foundation
import Hummingbird

/// The fields of an `application/x-www-form-urlencoded` body, the only body the web app's forms
/// send. The body is collected once (by the CSRF check) and stays readable by the page after it.
struct WebForm: Sendable {
    /// The largest form the pages accept (a note's text is the largest field).
    static let maximumSize = 1 << 20

    private var fields: [String: String] = [:]

    /// Reads the form from `request`, leaving the collected body in place for the next reader.
    /// - Throws: `WebRefusal.notAForm` for another content type.
    init(request: inout Request) async throws {
        guard let type = request.headers[.contentType]?.lowercased(),
            type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
                == "application/x-www-form-urlencoded"
        else { throw WebRefusal.notAForm }
        let body = try await request.collectBody(upTo: Self.maximumSize)
        self.init(encoded: String(buffer: body))
    }

    /// Parses `name=value&...` (`+` is a space, `%XX` a byte); the first of repeated names wins.
    init(encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if fields[name] == nil, let value { fields[name] = value }
        }
    }

    subscript(_ name: String) -> String? { fields[name] }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// Requests the web app refuses before any page runs, each answered by an error page.
enum WebRefusal: Error {
    /// A state-changing request from another site (fetch metadata or `Origin`).
    case crossSite
    /// A form without this session's CSRF token.
    case badToken
    /// A POST whose body is not a form.
    case notAForm
    /// A page that needs a signed-in session, without one.
    case signedOut
}
