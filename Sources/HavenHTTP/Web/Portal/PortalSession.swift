import Foundation
import HavenService
import Hummingbird
import Sealing

/// The browser's hold on a partner's portal session (docs/portal.md): its own cookie, never the staff
/// one. The staff middleware reads only `WebSession`'s cookies and the portal's only these, so a
/// browser holding both (a counselor trying the portal) reaches neither side with the other's.
enum PortalSession {
    /// The portal session token's cookie (same flags as the staff cookie: `WebSession.cookie`).
    static let cookieName = "__Host-haven-portal"
    /// The pre-session cookie that keys the portal's sign-in and welcome forms' CSRF tokens.
    static let preSessionCookieName = "__Host-haven-portal-pre"

    /// The portal token the request carries, if any (its shape only; the database decides).
    static func token(in request: Request) -> SessionToken? {
        guard let value = request.cookies[cookieName]?.value, (1...200).contains(value.utf8.count) else { return nil }
        return SessionToken(value: value)
    }

    /// The portal pre-session value the request carries, if any.
    static func preSession(in request: Request) -> String? {
        guard let value = request.cookies[preSessionCookieName]?.value, (32...200).contains(value.utf8.count) else {
            return nil
        }
        return value
    }

    /// Paths whose forms are posted before a portal session exists (keyed to the pre-session cookie).
    static func isPreSessionPath(_ path: String) -> Bool {
        path == "/portal/sign-in" || path == "/portal/welcome" || path.hasPrefix("/portal/welcome/")
    }

    /// The CSRF token for a page at `path` of `request`, and the pre-session cookie to set when the
    /// request had none (only for the pre-session pages).
    static func csrf(for request: Request, path: String) throws -> (token: String, newCookie: Cookie?) {
        if isPreSessionPath(path) {
            let existing = preSession(in: request)
            let value = try existing ?? WebSession.newPreSession()
            return (
                CSRF.token(forKey: value),
                existing == nil ? WebSession.cookie(named: preSessionCookieName, value: value) : nil
            )
        }
        return (token(in: request).map { CSRF.token(forKey: $0.value) } ?? "", nil)
    }
}
