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
        WebSession.token(in: request, cookie: cookieName)
    }

    /// The portal pre-session value the request carries, if any.
    static func preSession(in request: Request) -> String? {
        WebSession.preSession(in: request, cookie: preSessionCookieName)
    }

    /// Paths whose forms are posted before a portal session exists (keyed to the pre-session cookie).
    static func isPreSessionPath(_ path: String) -> Bool {
        path == "/portal/sign-in" || path == "/portal/sign-in-link" || path.hasPrefix("/portal/sign-in/")
            || path == "/portal/welcome" || path.hasPrefix("/portal/welcome/")
    }
}
