import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Sealing
import Testing

@Suite("The web app's first pages: sign-in, sign-out, today, cookies, CSRF and headers", .needsTestDatabase)
struct WebPageTests {
    /// A browser's cookie jar and the page's CSRF token, as far as these tests need them.
    struct Browser {
        var cookies: [String: String] = [:]
        var csrf = ""
        /// Where signing in sent the browser (the first section the account's roles open).
        var landing = ""

        var cookieHeader: HTTPFields {
            var headers = HTTPFields()
            if !cookies.isEmpty {
                headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: "; "
                )
            }
            return headers
        }

        /// Takes the response's cookies (an expired one is dropped) and the page's CSRF token, if any.
        mutating func take(_ response: TestResponse) {
            for line in response.headers[values: .setCookie] {
                let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count > 1 ? String(pair[1]) : ""
                cookies[name] = line.contains("Max-Age=0") ? nil : value
            }
            if let token = WebPageTests.csrfToken(in: String(buffer: response.body)) { csrf = token }
        }
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(.init(charactersIn: "-._~"))
        return ByteBuffer(
            string: fields.map {
                "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
            }.joined(separator: "&")
        )
    }

    static func formHeaders(_ browser: Browser, extra: HTTPFields = [:]) -> HTTPFields {
        var headers = browser.cookieHeader
        headers[.contentType] = "application/x-www-form-urlencoded"
        for field in extra { headers.append(field) }
        return headers
    }

    /// Opens the sign-in page and signs in as `email`; the browser then holds the session cookie.
    static func signIn(_ client: any TestClientProtocol, _ email: String) async throws -> Browser {
        var browser = Browser()
        try await client.execute(uri: "/sign-in", method: .get) { browser.take($0) }
        try await client.execute(
            uri: "/sign-in",
            method: .post,
            headers: formHeaders(browser),
            body: form([("csrf", browser.csrf), ("email", email), ("password", HTTPFixture.password)])
        ) { response in
            #expect(response.status == .seeOther)
            browser.landing = response.headers[.location] ?? ""
            browser.take(response)
        }
        try #require(browser.cookies["__Host-haven-session"] != nil)
        try #require(browser.landing.hasPrefix("/") && !browser.landing.hasPrefix("//"))
        try await client.execute(uri: browser.landing, method: .get, headers: browser.cookieHeader) {
            #expect($0.status == .ok, "signing in lands on a page that answers: \(browser.landing)")
            browser.take($0)
        }
        return browser
    }

    static func apiStatus(_ client: any TestClientProtocol, token: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v1/me", method: .get, headers: HTTPFixture.bearer(token)) { $0.status }
    }

    @Test func theRootSendsASignedOutBrowserToSignInWithTheSecurityHeaders() async throws {
        try await HTTPFixture.with { _, client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/sign-in")
                Self.expectSecurityHeaders(response)
            }
            try await client.execute(uri: "/today", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/sign-in?next=%2Ftoday")
            }
            try await client.execute(uri: "/sign-in", method: .get) { response in
                #expect(response.status == .ok)
                Self.expectSecurityHeaders(response)
                let html = String(buffer: response.body)
                #expect(!html.contains("<script"))
                #expect(!html.contains("<style"))
                #expect(!html.contains("style="))
                #expect(html.contains(#"<link rel="stylesheet" href="/static/haven.css?v="#))
            }
            try await client.execute(uri: "/static/haven.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy] != nil)
                #expect(response.headers[.cacheControl] == "no-cache")
            }
        }
    }

    @Test func staticFilesAreNamedByTheirHashAndCachedForAYearOnlyUnderIt() async throws {
        try await HTTPFixture.with { _, client in
            let html = try await client.execute(uri: "/sign-in", method: .get) { String(buffer: $0.body) }
            let href = try #require(html.firstMatch(of: #/href="(/static/haven\.css\?v=([0-9a-f]{16}))"/#))
            let body = try await client.execute(uri: String(href.1), method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(response.headers[.contentSecurityPolicy] != nil)
                return String(buffer: response.body)
            }
            // The version is the file's own hash, so new bytes get a new address.
            #expect(String(Hex.encode(SHA256.hash(body)).prefix(16)) == String(href.2))
            try await client.execute(uri: "/static/haven.css?v=0000000000000000", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-cache")
            }
        }
    }

    @Test func cookiesAreHostPrefixedSecureHttpOnlyAndStrict() async throws {
        try await HTTPFixture.with { _, client in
            var browser = Browser()
            try await client.execute(uri: "/sign-in", method: .get) { response in
                let cookie = try #require(response.headers[values: .setCookie].first)
                Self.expectSafeCookie(cookie, named: "__Host-haven-pre")
                browser.take(response)
            }
            try await client.execute(
                uri: "/sign-in",
                method: .post,
                headers: Self.formHeaders(browser),
                body: Self.form([
                    ("csrf", browser.csrf), ("email", "dana@harbor.example"), ("password", HTTPFixture.password),
                ])
            ) { response in
                let cookies = response.headers[values: .setCookie]
                let session = try #require(cookies.first { $0.hasPrefix("__Host-haven-session=") })
                Self.expectSafeCookie(session, named: "__Host-haven-session")
                #expect(!session.contains("Max-Age") && !session.contains("Expires"))
                // The pre-session cookie is spent.
                #expect(cookies.contains { $0.hasPrefix("__Host-haven-pre=;") && $0.contains("Max-Age=0") })
            }
        }
    }

    @Test func theBrowserAndTheAPIShareOneSessionAndSignOutEndsBoth() async throws {
        try await HTTPFixture.with { _, client in
            var browser = try await Self.signIn(client, "dana@harbor.example")
            let token = try #require(browser.cookies["__Host-haven-session"])
            #expect(try await Self.apiStatus(client, token: token) == .ok)
            try await client.execute(uri: "/", method: .get, headers: browser.cookieHeader) { response in
                #expect(response.headers[.location] == "/today")
            }
            // As Chromium sends it under Referrer-Policy: no-referrer.
            try await client.execute(
                uri: "/sign-out",
                method: .post,
                headers: Self.formHeaders(browser, extra: [.origin: "null", .secFetchSiteTest: "same-origin"]),
                body: Self.form([("csrf", browser.csrf)])
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/sign-in")
                browser.take(response)
            }
            #expect(browser.cookies["__Host-haven-session"] == nil)
            #expect(try await Self.apiStatus(client, token: token) == .unauthorized)
        }
    }

    @Test func aWrongPasswordOpensNoSession() async throws {
        try await HTTPFixture.with { _, client in
            var browser = Browser()
            try await client.execute(uri: "/sign-in", method: .get) { browser.take($0) }
            try await client.execute(
                uri: "/sign-in",
                method: .post,
                headers: Self.formHeaders(browser),
                body: Self.form([("csrf", browser.csrf), ("email", "dana@harbor.example"), ("password", "wrong")])
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(!response.headers[values: .setCookie].contains { $0.hasPrefix("__Host-haven-session") })
                #expect(String(buffer: response.body).contains("Wrong email or password"))
            }
        }
    }

    @Test func forgedSignOutsAreRefusedAndTheSessionLives() async throws {
        try await HTTPFixture.with { _, client in
            let dana = try await Self.signIn(client, "dana@harbor.example")
            let sam = try await Self.signIn(client, "sam@harbor.example")
            let token = try #require(dana.cookies["__Host-haven-session"])
            let forgeries: [(String, [(String, String)], HTTPFields)] = [
                ("no token", [], [:]),
                ("a wrong token", [("csrf", "AAAA")], [:]),
                ("another session's token", [("csrf", sam.csrf)], [:]),
                ("the right token from another origin", [("csrf", dana.csrf)], [.origin: "https://evil.example"]),
                ("the right token, cross-site", [("csrf", dana.csrf)], [.secFetchSiteTest: "cross-site"]),
                ("the right token, an opaque origin without fetch metadata", [("csrf", dana.csrf)], [.origin: "null"]),
            ]
            for (what, fields, extra) in forgeries {
                try await client.execute(
                    uri: "/sign-out",
                    method: .post,
                    headers: Self.formHeaders(dana, extra: extra),
                    body: Self.form(fields)
                ) { response in
                    #expect(response.status == .forbidden, "\(what)")
                    #expect(!response.headers[values: .setCookie].contains { $0.hasPrefix("__Host-haven-session") })
                    Self.expectSecurityHeaders(response)
                }
                #expect(try await Self.apiStatus(client, token: token) == .ok, "\(what)")
            }
            // A forged sign-in (login CSRF): the pre-session cookie's token is missing.
            try await client.execute(
                uri: "/sign-in",
                method: .post,
                headers: Self.formHeaders(Browser()),
                body: Self.form([("email", "dana@harbor.example"), ("password", HTTPFixture.password)])
            ) { response in
                #expect(response.status == .forbidden)
                #expect(!response.headers[values: .setCookie].contains { $0.hasPrefix("__Host-haven-session") })
            }
        }
    }

    @Test func todayShowsTheDaysSessionsWithNamesEscaped() async throws {
        try await HTTPFixture.with { fixture, client in
            let couple = try await fixture.coupleWithNamesToEscape().couple
            _ = try await SessionService(pool: fixture.app, keys: fixture.keys).schedule(
                .couple(couple),
                start: Date().addingTimeInterval(3_600),
                durationMinutes: 50,
                format: .video,
                actor: fixture.dana
            )
            let browser = try await Self.signIn(client, "dana@harbor.example")
            #expect(browser.landing == "/today", "a counselor lands on the day")
            try await client.execute(uri: "/today", method: .get, headers: browser.cookieHeader) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                Self.expectSecurityHeaders(response)
                let html = String(buffer: response.body)
                #expect(html.contains("Ann &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
                #expect(html.contains("Bo O&#39;Hara &amp; Co"))
                // The one script is the idle-logoff file, never inline.
                #expect(html.components(separatedBy: "<script").count == 2)
                #expect(html.contains(#"<script src="/static/haven.js?v="#))
                #expect(html.contains(#"href="/couples/\#(couple.uuidString.lowercased())""#))
                #expect(!browser.csrf.isEmpty)
            }
        }
    }

    /// What a page answered (status, `Location`, content type, body), for the page suites' `get`/`post`.
    struct Answer {
        var status: HTTPResponse.Status
        var location: String?
        var contentType: String?
        var html: String
    }

    /// A GET with the browser's cookies; the security headers are checked on every answer.
    static func get(_ client: any TestClientProtocol, _ browser: Browser, _ uri: String) async throws -> Answer {
        try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader) { response in
            WebPageTests.expectSecurityHeaders(response)
            return Answer(
                status: response.status,
                location: response.headers[.location],
                contentType: response.headers[.contentType],
                html: String(buffer: response.body)
            )
        }
    }

    /// A form POST with the browser's cookies and, unless `csrf` is false, its CSRF token.
    static func post(
        _ client: any TestClientProtocol,
        _ browser: Browser,
        _ uri: String,
        _ fields: [(String, String)],
        csrf: Bool = true
    ) async throws -> Answer {
        try await client.execute(
            uri: uri,
            method: .post,
            headers: WebPageTests.formHeaders(browser),
            body: WebPageTests.form((csrf ? [("csrf", browser.csrf)] : []) + fields)
        ) { response in
            WebPageTests.expectSecurityHeaders(response)
            return Answer(
                status: response.status,
                location: response.headers[.location],
                contentType: response.headers[.contentType],
                html: String(buffer: response.body)
            )
        }
    }

    /// No inline script or style anywhere in a page: no `<style>`, no `style=` attribute, no event-handler
    /// attribute, and every `<script>` a same-origin file under `/static/` (the CSP forbids the rest;
    /// docs/web.md). One rule for every page test.
    static func expectNothingInline(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!html.contains("<style"), sourceLocation: sourceLocation)
        #expect(!html.contains("style="), sourceLocation: sourceLocation)
        #expect(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, sourceLocation: sourceLocation)
        let scripts = html.components(separatedBy: "<script").dropFirst()
        #expect(scripts.allSatisfy { $0.hasPrefix(#" src="/static/"#) }, sourceLocation: sourceLocation)
    }

    static func expectSecurityHeaders(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        let csp = response.headers[.contentSecurityPolicy] ?? ""
        for directive in [
            "default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
            "base-uri 'none'", "form-action 'self'",
        ] {
            #expect(csp.contains(directive), "CSP lacks \(directive)", sourceLocation: sourceLocation)
        }
        #expect(!csp.contains("unsafe"), sourceLocation: sourceLocation)
        #expect(response.headers[.xContentTypeOptionsTest] == "nosniff", sourceLocation: sourceLocation)
        #expect(response.headers[.referrerPolicyTest] == "no-referrer", sourceLocation: sourceLocation)
    }

    static func expectSafeCookie(_ line: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation)
    {
        let attributes = Set(line.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(line.hasPrefix("\(name)="), sourceLocation: sourceLocation)
        #expect(
            attributes.isSuperset(of: ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"]),
            sourceLocation: sourceLocation
        )
        #expect(!attributes.contains { $0.hasPrefix("Domain") }, sourceLocation: sourceLocation)
    }
}

extension HTTPField.Name {
    static let secFetchSiteTest = HTTPField.Name("Sec-Fetch-Site")!
    static let xContentTypeOptionsTest = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicyTest = HTTPField.Name("Referrer-Policy")!
}

/// A couple of Dana's whose names need escaping in HTML (`<script>`, quotes, `&`, an apostrophe), for
/// the page tests that check escaping.
extension HTTPFixture {
    func coupleWithNamesToEscape(
        concerns: String = "Fictional concerns."
    ) async throws -> (couple: UUID, partnerA: UUID) {
        let charts = ChartService(pool: app, keys: keys)
        let intake = CalendarDate(year: 2026, month: 9, day: 1)!
        let a = try await charts.createClient(
            .init(legalName: #"Ann <script>alert("x")</script>"#, intakeDate: intake),
            actor: dana
        )
        let b = try await charts.createClient(.init(legalName: "Bo O'Hara & Co", intakeDate: intake), actor: dana)
        let couple = try await charts.createCouple(
            partnerA: a,
            partnerB: b,
            startDate: intake,
            presentingConcerns: concerns,
            actor: dana
        )
        return (couple, a)
    }
}
