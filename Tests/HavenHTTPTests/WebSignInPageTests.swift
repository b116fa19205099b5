import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Sealing
import Testing

@testable import HavenHTTP

@Suite("The web app's sign-in: the code step on a pending session, next, the pause, idle logoff", .needsTestDatabase)
struct WebSignInPageTests {
    typealias Browser = WebPageTests.Browser
    static let session = "__Host-haven-session"

    /// Enrols an authenticator app for `email` through the API and returns it. The current step's code
    /// confirms it, so sign-ins send the next step's (accepted: one step of drift either side), which
    /// holds even when a 30-second step ends between two requests.
    static func enrolApp(_ client: any TestClientProtocol, _ email: String) async throws -> TOTP {
        let token = try await HTTPFixture.signIn(client, email)
        struct Enrollment: Decodable { var secret: String }
        let secret = try await client.execute(uri: "/v1/me/totp", method: .post, headers: HTTPFixture.bearer(token)) {
            try json(Enrollment.self, $0).secret
        }
        let app = TOTP(secret: SecureBytes(copying: try #require(Base32.decode(secret))))
        let code = ByteBuffer(string: #"{"code": "\#(app.code(step: app.step(at: Date())))"}"#)
        try await client.execute(
            uri: "/v1/me/totp/confirmation",
            method: .post,
            headers: HTTPFixture.bearer(token),
            body: code
        ) { #expect($0.status == .ok) }
        return app
    }

    /// The password step: the browser then holds the pending session's cookie.
    static func passwordStep(
        _ client: any TestClientProtocol,
        _ email: String,
        password: String = HTTPFixture.password,
        next: String = ""
    ) async throws -> (Browser, TestResponse) {
        var browser = Browser()
        try await client.execute(uri: "/sign-in", method: .get) { browser.take($0) }
        let response = try await client.execute(
            uri: "/sign-in",
            method: .post,
            headers: WebPageTests.formHeaders(browser),
            body: WebPageTests.form([("csrf", browser.csrf), ("email", email), ("password", password), ("next", next)])
        ) { $0 }
        browser.take(response)
        return (browser, response)
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, _ browser: Browser) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader) { $0 }
    }

    static func sendCode(
        _ client: any TestClientProtocol,
        _ browser: inout Browser,
        _ code: String
    ) async throws
        -> TestResponse
    {
        let page = try await get(client, "/sign-in/code", browser)
        browser.take(page)
        let response = try await client.execute(
            uri: "/sign-in/code",
            method: .post,
            headers: WebPageTests.formHeaders(browser),
            body: WebPageTests.form([("csrf", browser.csrf), ("code", code)])
        ) { $0 }
        browser.take(response)
        return response
    }

    @Test func theCodeStepRunsOnAPendingSessionThatIsUselessForAnythingElse() async throws {
        try await HTTPFixture.with { _, client in
            let app = try await Self.enrolApp(client, "dana@harbor.example")
            let (first, step1) = try await Self.passwordStep(client, "dana@harbor.example")
            var browser = first
            #expect(step1.status == .seeOther)
            #expect(step1.headers[.location] == "/sign-in/code")
            let pending = try #require(browser.cookies[Self.session])

            // The attacker's side: the pending token opens nothing, in the browser or the API.
            let today = try await Self.get(client, "/today", browser)
            #expect(today.status == .seeOther)
            #expect(today.headers[.location]?.hasPrefix("/sign-in") == true)
            #expect(try await WebPageTests.apiStatus(client, token: pending) == .unauthorized)
            try await client.execute(uri: "/v1/me/today", method: .get, headers: HTTPFixture.bearer(pending)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(
                uri: "/session/keepalive",
                method: .post,
                headers: WebPageTests.formHeaders(browser),
                body: WebPageTests.form([("csrf", CSRF.token(forKey: pending))])
            ) { #expect($0.status == .seeOther) }

            // The code page asks for the code alone, never the password again.
            let page = try await Self.get(client, "/sign-in/code", browser)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(#"name="code""#))
            #expect(!html.contains(#"type="password""#))
            WebPageTests.expectSecurityHeaders(page)

            let response = try await Self.sendCode(client, &browser, app.code(step: app.step(at: Date()) + 1))
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/today")
            #expect(browser.cookies[Self.session] == pending)
            #expect(try await Self.get(client, "/today", browser).status == .ok)
            #expect(try await WebPageTests.apiStatus(client, token: pending) == .ok)
        }
    }

    @Test func aWrongCodeEndsThePendingSessionAndTheSignInStartsAgain() async throws {
        try await HTTPFixture.with { fixture, client in
            let app = try await Self.enrolApp(client, "dana@harbor.example")
            var (browser, _) = try await Self.passwordStep(client, "dana@harbor.example")
            let pending = try #require(browser.cookies[Self.session])
            let wrong = app.code(step: app.step(at: Date()) + 9)
            let response = try await Self.sendCode(client, &browser, wrong)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/sign-in?reason=code")
            #expect(browser.cookies[Self.session] == nil)
            let restarted = try await Self.get(client, "/sign-in?reason=code", browser)
            #expect(String(buffer: restarted.body).contains("That code was wrong"))
            // The pending session is gone: the right code under the old token no longer signs in.
            browser.cookies[Self.session] = pending
            #expect(try await Self.get(client, "/sign-in/code", browser).headers[.location] == "/sign-in?reason=lapsed")
            let late = try await client.execute(
                uri: "/sign-in/code",
                method: .post,
                headers: WebPageTests.formHeaders(browser),
                body: WebPageTests.form([
                    ("csrf", CSRF.token(forKey: pending)), ("code", app.code(step: app.step(at: Date()) + 1)),
                ])
            ) { $0 }
            #expect(late.headers[.location] == "/sign-in?reason=lapsed")
            #expect(try await WebPageTests.apiStatus(client, token: pending) == .unauthorized)
            // Audited as the API's wrong code is: a denied staff.login.
            let denied = try await fixture.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'staff.login' AND outcome = 'denied' AND staff_id = \(fixture.dana.staffID)"
            )[0].decode(0, as: Int64.self)
            #expect(denied >= 1)
        }
    }

    @Test func aPendingSessionLapsesAfterFiveMinutes() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await Self.enrolApp(client, "dana@harbor.example")
            var (browser, _) = try await Self.passwordStep(client, "dana@harbor.example")
            _ = try await fixture.owner.query(
                "UPDATE staff_sessions SET created_at = now() - interval '301 seconds' WHERE second_factor_pending"
            )
            let page = try await Self.get(client, "/sign-in/code", browser)
            #expect(page.headers[.location] == "/sign-in?reason=lapsed")
            browser.take(page)
            #expect(browser.cookies[Self.session] == nil)
        }
    }

    @Test func theAPIsOneCallSignInStillTakesTheCode() async throws {
        try await HTTPFixture.with { _, client in
            let app = try await Self.enrolApp(client, "dana@harbor.example")
            let body =
                #"{"email": "dana@harbor.example", "password": "\#(HTTPFixture.password)", "totpCode": "\#(app.code(step: app.step(at: Date()) + 1))"}"#
            try await client.execute(uri: "/v1/auth/sessions", method: .post, body: ByteBuffer(string: body)) {
                #expect($0.status == .created)
            }
        }
    }

    @Test(arguments: [
        "//evil.example/x", #"/\evil.example"#, "https://evil.example/", "javascript:alert(1)", "/%2F%2Fevil",
        "caseload",
    ])
    func nextGoesOnlyToLocalPaths(_ next: String) async throws {
        try await HTTPFixture.with { _, client in
            let (_, response) = try await Self.passwordStep(client, "dana@harbor.example", next: next)
            #expect(response.headers[.location] == "/today", "\(next)")
            let page = try await client.execute(
                uri: "/sign-in?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                method: .get
            ) { String(buffer: $0.body) }
            #expect(page.contains(#"name="next" value="""#), "\(next)")
        }
    }

    @Test func aSignedOutPageComesBackAfterSignIn() async throws {
        try await HTTPFixture.with { fixture, client in
            let path = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
            try await client.execute(uri: "/today", method: .get) {
                #expect($0.headers[.location] == "/sign-in?next=%2Ftoday")
            }
            let (_, response) = try await Self.passwordStep(client, "dana@harbor.example", next: path)
            #expect(response.headers[.location] == path)
            // With a code app, through the code step.
            let app = try await Self.enrolApp(client, "sam@harbor.example")
            let (first, step1) = try await Self.passwordStep(client, "sam@harbor.example", next: "/caseload")
            var browser = first
            #expect(step1.headers[.location] == "/sign-in/code?next=%2Fcaseload")
            let page = try await Self.get(client, "/sign-in/code?next=%2Fcaseload", browser)
            browser.take(page)
            let done = try await client.execute(
                uri: "/sign-in/code",
                method: .post,
                headers: WebPageTests.formHeaders(browser),
                body: WebPageTests.form([
                    ("csrf", browser.csrf), ("code", app.code(step: app.step(at: Date()) + 1)), ("next", "/caseload"),
                ])
            ) { $0 }
            #expect(done.headers[.location] == "/caseload")
        }
    }

    @Test func wrongPasswordsAndWrongCodesShareTheAPIsPause() async throws {
        try await HTTPFixture.with { _, client in
            let app = try await Self.enrolApp(client, "dana@harbor.example")
            for _ in 0..<3 {
                let (_, response) = try await Self.passwordStep(client, "dana@harbor.example", password: "wrong")
                #expect(response.status == .unauthorized)
            }
            for _ in 0..<2 {
                var (browser, _) = try await Self.passwordStep(client, "dana@harbor.example")
                let response = try await Self.sendCode(client, &browser, app.code(step: app.step(at: Date()) + 9))
                #expect(response.headers[.location] == "/sign-in?reason=code")
            }
            // Five failures: the page pauses the account, and so does the API.
            let (_, paused) = try await Self.passwordStep(client, "dana@harbor.example")
            #expect(paused.status == .tooManyRequests)
            #expect(String(buffer: paused.body).contains("Too many failed attempts"))
            let body = #"{"email": "dana@harbor.example", "password": "\#(HTTPFixture.password)"}"#
            try await client.execute(uri: "/v1/auth/sessions", method: .post, body: ByteBuffer(string: body)) {
                #expect($0.status == .tooManyRequests)
            }
        }
    }

    @Test func aStaleSessionCookieIsDroppedOnTheWayToSignIn() async throws {
        try await HTTPFixture.with { _, client in
            var browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let token = try #require(browser.cookies[Self.session])
            try await client.execute(
                uri: "/v1/auth/sessions/current",
                method: .delete,
                headers: HTTPFixture.bearer(token)
            ) {
                #expect($0.status == .noContent)
            }
            let response = try await Self.get(client, "/today", browser)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/sign-in?next=%2Ftoday")
            #expect(
                response.headers[values: .setCookie].contains {
                    $0.hasPrefix("\(Self.session)=;") && $0.contains("Max-Age=0")
                }
            )
            browser.take(response)
            #expect(browser.cookies[Self.session] == nil)
        }
    }

    @Test func signedInPagesCarryTheIdleTimeoutTheScriptAndTheName() async throws {
        try await HTTPFixture.with { _, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let html = String(buffer: try await Self.get(client, "/today", browser).body)
            #expect(html.contains(#"<body data-idle-seconds="900">"#))
            #expect(html.contains(#"<meta name="csrf" content="\#(browser.csrf)">"#))
            #expect(html.contains(#"<script src="/static/haven.js?v="#))
            #expect(html.contains("Signed in as Dana Reyes"))
            try await client.execute(uri: "/static/haven.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                let script = String(buffer: response.body)
                #expect(script.contains("havenBeforeSignOut"))
                #expect(script.contains("/session/keepalive"))
                #expect(script.contains("/sign-in?reason=idle"))
            }
            // The signed-out page has none of it.
            let signIn = try await client.execute(uri: "/sign-in", method: .get) { String(buffer: $0.body) }
            #expect(!signIn.contains("data-idle-seconds") && !signIn.contains("<script"))
        }
    }

    @Test func keepaliveIsCSRFCheckedAndIdleSignOutSaysWhy() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let token = try #require(browser.cookies[Self.session])
            try await client.execute(
                uri: "/session/keepalive",
                method: .post,
                headers: WebPageTests.formHeaders(browser),
                body: WebPageTests.form([])
            ) { #expect($0.status == .forbidden) }
            // The idle clock restarts: last_seen_at moves from ten minutes ago to now.
            _ = try await fixture.owner.query(
                "UPDATE staff_session_activity SET last_seen_at = now() - interval '10 minutes' WHERE token_hash = \(SessionToken(value: token).storageHash)"
            )
            try await client.execute(
                uri: "/session/keepalive",
                method: .post,
                headers: WebPageTests.formHeaders(browser),
                body: WebPageTests.form([("csrf", browser.csrf)])
            ) { #expect($0.status == .noContent) }
            let idle = try await fixture.owner.query(
                "SELECT extract(epoch FROM now() - last_seen_at)::float8 FROM staff_session_activity WHERE token_hash = \(SessionToken(value: token).storageHash)"
            )[0].decode(0, as: Double.self)
            #expect(idle < 60)
            try await client.execute(
                uri: "/sign-out",
                method: .post,
                headers: WebPageTests.formHeaders(browser),
                body: WebPageTests.form([("csrf", browser.csrf), ("reason", "idle")])
            ) { #expect($0.headers[.location] == "/sign-in?reason=idle") }
            let page = try await client.execute(uri: "/sign-in?reason=idle", method: .get) { String(buffer: $0.body) }
            #expect(
                page.contains("signed out after 15 minutes without activity; any note in progress was saved as a draft")
            )
            #expect(try await WebPageTests.apiStatus(client, token: token) == .unauthorized)
        }
    }
}
