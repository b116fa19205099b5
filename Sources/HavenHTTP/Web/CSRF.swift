import Foundation
import HTTPTypes
import Hummingbird
import Sealing

/// Cross-site request forgery defence for every state-changing web request (docs/web.md, "CSRF"):
/// fetch metadata and `Origin` must say same origin, and the form must carry the synchronizer token
/// derived from the cookie that authenticates it (the session token, or before sign-in the
/// pre-session value). The token is `HMAC-SHA256(key: cookie value, "haven-csrf-v1")`, base64url: it
/// belongs to that one session, is stored nowhere, and reveals nothing of the cookie.
enum CSRF {
    /// The form field every state-changing form carries.
    static let fieldName = "csrf"

    /// The token for forms of the session (or pre-session) whose cookie value is `key`.
    static func token(forKey key: String) -> String {
        let mac = HMAC.authenticate(
            Array("haven-csrf-v1".utf8),
            key: SecureBytes(copying: Array(key.utf8)),
            digest: .sha256
        )
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Whether `presented` is the token for `key`, compared in constant time.
    static func matches(_ presented: String?, key: String?) -> Bool {
        guard let presented, let key else { return false }
        let expected = SecureBytes(copying: Array(token(forKey: key).utf8))
        return expected.constantTimeEquals(SecureBytes(copying: Array(presented.utf8)))
    }

    /// Whether the request's fetch metadata and `Origin` allow it to change state: `Sec-Fetch-Site`
    /// absent or `same-origin`, and `Origin` absent or the origin the request was sent to. Under
    /// `Referrer-Policy: no-referrer` Chromium sends `Origin: null` with a same-origin form POST (seen
    /// with Chromium 156), so `null` passes only when `Sec-Fetch-Site` says `same-origin`.
    static func sameOrigin(_ request: Request) -> Bool {
        let site = request.headers[.secFetchSite]
        if let site, site != "same-origin" { return false }
        guard let origin = request.headers[.origin] else { return true }
        if origin == "null" { return site == "same-origin" }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}
