import Foundation
import Hummingbird
import Sealing

/// The browser's hold on a staff session: the same opaque token `POST /v1/auth/sessions` returns,
/// in a `__Host-` cookie the page's scripts cannot read (docs/web.md, "The browser session").
enum WebSession {
    /// The session token's cookie.
    static let cookieName = "__Host-haven-session"
    /// The pre-session cookie that keys the sign-in form's CSRF token (login CSRF).
    static let preSessionCookieName = "__Host-haven-pre"

    /// The cookie carrying `value`: `Secure`, `HttpOnly`, `SameSite=Strict`, `Path=/`, no `Domain`
    /// (what `__Host-` demands), no lifetime of its own (the server's idle and absolute expiry rule).
    static func cookie(named name: String, value: String) -> Cookie {
        Cookie(name: name, value: value, path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }

    /// The cookie that makes the browser drop `name` at once.
    static func expired(named name: String) -> Cookie {
        Cookie(
            name: name,
            value: "",
            expires: Date(timeIntervalSince1970: 0),
            maxAge: 0,
            path: "/",
            secure: true,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// The session token the request carries, if any (its shape only; the database decides whether
    /// it is live). `cookie` names the session kind's cookie (the portal has its own).
    static func token(in request: Request, cookie: String = cookieName) -> SessionToken? {
        guard let value = request.cookies[cookie]?.value, (1...200).contains(value.utf8.count) else { return nil }
        return SessionToken(value: value)
    }

    /// The pre-session value the request carries in `cookie`, if any.
    static func preSession(in request: Request, cookie: String = preSessionCookieName) -> String? {
        guard let value = request.cookies[cookie]?.value, (32...200).contains(value.utf8.count) else {
            return nil
        }
        return value
    }

    /// A new random pre-session value (256 bits, base64url).
    static func newPreSession() throws -> String {
        try SessionToken.generate().value
    }

    /// A page whose form comes before any session (sign-in, a welcome link): its CSRF token keyed to
    /// the request's pre-session cookie (`cookie`: the staff one, or the portal's), a new cookie set
    /// when the request has none. `render` gets the form's token and returns the page's HTML.
    static func preSessionPage(
        for request: Request,
        status: HTTPResponse.Status,
        cookie name: String = preSessionCookieName,
        render: (_ csrf: String) throws -> String
    ) throws -> Response {
        let existing = preSession(in: request, cookie: name)
        let value = try existing ?? newPreSession()
        var response = try WebPage.html(render(CSRF.token(forKey: value)), status: status)
        if existing == nil {
            response.setCookie(cookie(named: name, value: value))
        }
        return response
    }
}
