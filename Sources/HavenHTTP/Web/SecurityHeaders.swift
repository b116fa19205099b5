import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}

/// The headers every web response carries (docs/web.md, "Security headers and the CSP"): a strict
/// Content-Security-Policy (nothing inline, nothing from another origin, no framing, no `<base>`),
/// `nosniff`, no referrer, its own browsing-context group, and `no-store` on everything but the
/// static files.
enum SecurityHeaders {
    /// The policy: only same-origin scripts, styles, images and form targets.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// `response` with the security headers set.
    static func apply(to response: inout Response, cacheable: Bool = false) {
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.crossOriginOpenerPolicy] = "same-origin"
        if !cacheable { response.headers[.cacheControl] = "no-store" }
    }
}
