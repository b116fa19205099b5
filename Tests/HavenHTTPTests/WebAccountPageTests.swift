import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Sealing
import Testing

@testable import HavenHTTP

@Suite("The web app's account pages: the code app, enrolment due, break-glass", .needsTestDatabase)
struct WebAccountPageTests {
    typealias Browser = WebPageTests.Browser

    static func post(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ browser: Browser,
        _ fields: [(String, String)]
    ) async throws -> TestResponse {
        try await client.execute(
            uri: uri,
            method: .post,
            headers: WebPageTests.formHeaders(browser),
            body: WebPageTests.form(fields)
        ) { $0 }
    }

    static func page(_ client: any TestClientProtocol, _ uri: String, _ browser: Browser) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader) { $0 }
    }

    /// The `otpauth://` URI and the secret on an enrolment page, read back from its SVG with zbarimg
    /// when the host has it (Debian's zbar-tools), else from the secret shown as text.
    static func secret(in html: String) throws -> String {
        let start = try #require(html.range(of: #"<p class="secret">"#))
        return String(html[start.upperBound...].prefix { $0 != "<" }).replacingOccurrences(of: " ", with: "")
    }

    @Test func enrolACodeAppWithAServerMadeQRCode() async throws {
        try await HTTPFixture.with { _, client in
            var browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let first = try await Self.page(client, "/account/code-app", browser)
            #expect(first.status == .ok)
            #expect(String(buffer: first.body).contains("Set up a code app"))

            // Without the form token nothing starts.
            let forged = try await Self.post(client, "/account/code-app/start", browser, [])
            #expect(forged.status == .forbidden)

            let started = try await Self.post(client, "/account/code-app/start", browser, [("csrf", browser.csrf)])
            #expect(started.status == .ok)
            #expect(started.headers[.cacheControl] == "no-store")
            let html = String(buffer: started.body)
            let secret = try Self.secret(in: html)
            #expect(secret.count >= 32)
            let svgStart = try #require(html.range(of: "<svg"))
            let svgEnd = try #require(html.range(of: "</svg>"))
            let svg = String(html[svgStart.lowerBound..<svgEnd.upperBound])
            for forbidden in ["<script", "style", "href", "url(", "<image", "<foreignObject", "http", " on"] {
                #expect(!svg.lowercased().contains(forbidden.lowercased()), "the SVG contains \(forbidden)")
            }
            #expect(!html.contains("otpauth://"))
            let uri = "otpauth://totp/Haven:dana@harbor.example?secret=\(secret)"
            // The page's QR code is libqrencode's matrix of the provisioning URI.
            let app = TOTP(secret: SecureBytes(copying: try #require(Base32.decode(secret))))
            let expectedURI = app.provisioningURI(issuer: "Haven", account: "dana@harbor.example")
            #expect(expectedURI.hasPrefix(uri))
            #expect(svg == QRCodeSVG.svg(for: expectedURI, label: "QR code to scan with your authenticator app"))
            if let decoded = try QRDecoding.decode(svg: svg) { #expect(decoded == expectedURI) }

            // A wrong code is refused and the page says so; the right one confirms the app.
            let wrong = try await Self.post(
                client,
                "/account/code-app",
                browser,
                [("csrf", browser.csrf), ("code", app.code(step: app.step(at: Date()) + 9))]
            )
            #expect(wrong.status == .unprocessableContent)
            #expect(String(buffer: wrong.body).contains("That code did not match"))
            let right = try await Self.post(
                client,
                "/account/code-app",
                browser,
                [("csrf", browser.csrf), ("code", app.code(step: app.step(at: Date())))]
            )
            #expect(right.status == .seeOther)
            #expect(right.headers[.location] == "/account/code-app")
            let done = try await Self.page(client, "/account/code-app", browser)
            browser.take(done)
            #expect(String(buffer: done.body).contains("Your one-time-code app is set up"))
            // The API sees the same state.
            let token = try #require(browser.cookies["__Host-haven-session"])
            try await client.execute(uri: "/v1/me/totp", method: .get, headers: HTTPFixture.bearer(token)) {
                #expect(String(buffer: $0.body).contains(#""enrolled":true"#))
            }
        }
    }

    @Test func aSessionThatOwesThePracticeACodeAppIsSentToEnrolFromEveryPage() async throws {
        try await HTTPFixture.with { fixture, client in
            try await TOTPService.setRequired(true, practiceID: fixture.practiceID, source: "test", pool: fixture.owner)
            var browser = Browser()
            try await client.execute(uri: "/sign-in", method: .get) { browser.take($0) }
            let signIn = try await Self.post(
                client,
                "/sign-in",
                browser,
                [("csrf", browser.csrf), ("email", "dana@harbor.example"), ("password", HTTPFixture.password)]
            )
            browser.take(signIn)
            for path in ["/today", "/", "/break-glass?couple=\(fixture.samCouple.uuidString)"] {
                let response = try await Self.page(client, path, browser)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers[.location] == "/account/code-app", "\(path)")
            }
            let page = try await Self.page(client, "/account/code-app", browser)
            browser.take(page)
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("Your practice requires a one-time-code app"))
            let started = try await Self.post(client, "/account/code-app/start", browser, [("csrf", browser.csrf)])
            let app = TOTP(
                secret: SecureBytes(
                    copying: try #require(Base32.decode(try Self.secret(in: String(buffer: started.body))))
                )
            )
            let confirmed = try await Self.post(
                client,
                "/account/code-app",
                browser,
                [("csrf", browser.csrf), ("code", app.code(step: app.step(at: Date())))]
            )
            #expect(confirmed.status == .seeOther)
            #expect(try await Self.page(client, "/today", browser).status == .ok)
        }
    }

    @Test func breakGlassOpensWithAReasonShowsABannerOnEveryPageAndCloses() async throws {
        try await HTTPFixture.with { fixture, client in
            var browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let chart = fixture.samCouple.uuidString.lowercased()
            let form = try await Self.page(client, "/break-glass?couple=\(chart)", browser)
            #expect(form.status == .ok)
            #expect(String(buffer: form.body).contains(#"name="chartId" value="\#(chart)""#))
            let fields = [("chartKind", "couple"), ("chartId", chart), ("minutes", "30")]

            // Without the token: refused, no grant.
            let forged = try await Self.post(
                client,
                "/break-glass",
                browser,
                fields + [("reason", String(repeating: "x", count: 30))]
            )
            #expect(forged.status == .forbidden)
            // Too short a reason: the form again, with what was typed.
            let short = try await Self.post(
                client,
                "/break-glass",
                browser,
                [("csrf", browser.csrf), ("reason", "Fictional <urgent>")] + fields
            )
            #expect(short.status == .unprocessableContent)
            let shortHTML = String(buffer: short.body)
            #expect(shortHTML.contains("Fictional &lt;urgent&gt;</textarea>"))
            #expect(shortHTML.contains(#"<option value="30" selected>"#))
            let grants = BreakGlassService(pool: fixture.app, keys: fixture.keys)
            #expect(try await grants.grants(actor: fixture.dana).isEmpty)
            let page = try await Self.page(client, "/today", browser)
            #expect(!String(buffer: page.body).contains("Break-glass access is open"))

            let opened = try await Self.post(
                client,
                "/break-glass",
                browser,
                [("csrf", browser.csrf), ("reason", "Fictional emergency: the covering counselor is unreachable.")]
                    + fields
            )
            #expect(opened.status == .seeOther)
            #expect(opened.headers[.location] == "/couples/\(chart)")
            let open = try await grants.grants(actor: fixture.dana)
            #expect(open.count == 1)
            let grant = try #require(open.first)
            let today = try await Self.page(client, "/today", browser)
            browser.take(today)
            let html = String(buffer: today.body)
            #expect(html.contains("Break-glass access is open"))
            #expect(html.contains(#"href="/couples/\#(chart)""#))
            #expect(html.contains("30 more minutes"))
            #expect(html.contains(#"action="/break-glass/\#(grant.id.uuidString.lowercased())/close""#))

            let closed = try await Self.post(
                client,
                "/break-glass/\(grant.id.uuidString.lowercased())/close",
                browser,
                [("csrf", browser.csrf)]
            )
            #expect(closed.status == .seeOther)
            let after = try await Self.page(client, "/today", browser)
            #expect(!String(buffer: after.body).contains("Break-glass access is open"))
        }
    }
}

/// Reads a QR code back with Debian's zbarimg (zbar-tools): the SVG's own squares (`M x y h1v1h-1z`
/// inside its `viewBox`) are drawn 8 pixels each into a PGM image, which zbarimg reads without
/// ImageMagick's SVG support. Nil when the host lacks zbarimg (the SVG is then checked against
/// libqrencode's matrix alone).
enum QRDecoding {
    static func decode(svg: String) throws -> String? {
        let zbarimg = "/usr/bin/zbarimg"
        guard FileManager.default.isExecutableFile(atPath: zbarimg) else { return nil }
        let size = try #require(
            svg.firstMatch(of: /viewBox="0 0 (\d+) \d+"/).flatMap { Int($0.1) }
        )
        let dark = Set(svg.matches(of: /M(\d+) (\d+)h1v1h-1z/).map { "\($0.1),\($0.2)" })
        let scale = 8
        var pixels = [UInt8]()
        pixels.reserveCapacity(size * size * scale * scale)
        for y in 0..<(size * scale) {
            for x in 0..<(size * scale) {
                pixels.append(dark.contains("\(x / scale),\(y / scale)") ? 0 : 255)
            }
        }
        let directory = FileManager.default.temporaryDirectory.appending(path: "haven-qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "code.pgm")
        try (Data("P5\n\(size * scale) \(size * scale)\n255\n".utf8) + Data(pixels)).write(to: file)
        let process = Process()
        process.executableURL = URL(filePath: zbarimg)
        process.arguments = ["--quiet", "--raw", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
