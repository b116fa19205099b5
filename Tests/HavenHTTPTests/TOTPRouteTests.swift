import Foundation
import HTTPTypes
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Sealing
import Testing

@Suite("TOTP over HTTP: enrolment, sign-in with codes, and the practice policy", .needsTestDatabase)
struct TOTPRouteTests {
    struct Enrollment: Decodable {
        var secret: String
        var uri: String
    }

    struct Status: Decodable, Equatable {
        var enrolled: Bool
        var pending: Bool
        var required: Bool
    }

    /// Sends a request carrying a code of the current 30 s time step, and once more with the new step's
    /// code when it was refused and the step moved between computing the code and the server checking
    /// it: that race is the test's, not the server's. Returns the step of the last try and its response.
    static func atCurrentStep(
        _ app: TOTP,
        _ send: (Int64) async throws -> (HTTPResponse.Status, ByteBuffer)
    ) async throws -> (step: Int64, status: HTTPResponse.Status, body: ByteBuffer) {
        let step = app.step(at: Date())
        let (status, body) = try await send(step)
        let now = app.step(at: Date())
        guard status.code >= 400, now > step else { return (step, status, body) }
        let (again, retried) = try await send(now)
        return (now, again, retried)
    }

    static func signInBody(_ email: String, code: String? = nil) -> ByteBuffer {
        let code = code.map { #", "totpCode": "\#($0)""# } ?? ""
        return ByteBuffer(string: #"{"email": "\#(email)", "password": "\#(HTTPFixture.password)"\#(code)}"#)
    }

    @Test func enrolConfirmAndSignInWithACode() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let headers = HTTPFixture.bearer(token)
            let enrollment = try await client.execute(uri: "/v1/me/totp", method: .post, headers: headers) { response in
                #expect(response.status == .created)
                #expect(response.headers[.cacheControl] == "no-store")
                return try json(Enrollment.self, response)
            }
            #expect(enrollment.uri.hasPrefix("otpauth://totp/Haven:dana@harbor.example?secret=\(enrollment.secret)"))
            let app = TOTP(secret: SecureBytes(copying: try #require(Base32.decode(enrollment.secret))))
            var step = app.step(at: Date())
            let wrong = ByteBuffer(string: #"{"code": "\#(app.code(step: step + 7))"}"#)
            try await client.execute(uri: "/v1/me/totp/confirmation", method: .post, headers: headers, body: wrong) {
                response in
                #expect(response.status == .unprocessableContent)
                let problem = try json(Problem.self, response)
                #expect(problem.field == "code")
            }
            // The previous step's code is still accepted (one step of clock skew). The steps below count
            // from now, not from before the refused request, which a loaded machine may have left behind.
            let confirmed = try await Self.atCurrentStep(app) { step in
                let right = ByteBuffer(string: #"{"code": "\#(app.code(step: step - 1))"}"#)
                return try await client.execute(
                    uri: "/v1/me/totp/confirmation",
                    method: .post,
                    headers: headers,
                    body: right
                ) { ($0.status, $0.body) }
            }
            #expect(confirmed.status == .ok)
            let status = try JSONDecoder().decode(Status.self, from: Data(String(buffer: confirmed.body).utf8))
            #expect(status == Status(enrolled: true, pending: false, required: false))
            step = confirmed.step

            try await client.execute(
                uri: "/v1/auth/sessions",
                method: .post,
                body: Self.signInBody("dana@harbor.example")
            ) {
                response in
                #expect(response.status == .unauthorized)
                let problem = try json(Problem.self, response)
                #expect(problem.type.hasSuffix("/totp-required"))
                #expect(problem.field == "totpCode")
            }
            let reused = Self.signInBody("dana@harbor.example", code: app.code(step: step - 1))
            try await client.execute(uri: "/v1/auth/sessions", method: .post, body: reused) { response in
                #expect(response.status == .unauthorized)
                let problem = try json(Problem.self, response)
                #expect(problem.type.hasSuffix("/totp-invalid"))
            }
            let signedIn = try await Self.atCurrentStep(app) { step in
                let fresh = Self.signInBody("dana@harbor.example", code: app.code(step: step))
                return try await client.execute(uri: "/v1/auth/sessions", method: .post, body: fresh) {
                    ($0.status, $0.body)
                }
            }
            #expect(signedIn.status == .created)
            step = signedIn.step
            try await client.execute(uri: "/v1/me/totp", method: .get, headers: headers) { response in
                let status = try json(Status.self, response)
                #expect(status == Status(enrolled: true, pending: false, required: false))
            }
            // Removal takes a code not used before.
            let used = ByteBuffer(string: #"{"code": "\#(app.code(step: step))"}"#)
            try await client.execute(uri: "/v1/me/totp/removal", method: .post, headers: headers, body: used) {
                response in
                #expect(response.status == .unprocessableContent)
            }
            let next = ByteBuffer(string: #"{"code": "\#(app.code(step: step + 1))"}"#)
            try await client.execute(uri: "/v1/me/totp/removal", method: .post, headers: headers, body: next) {
                response in
                let status = try json(Status.self, response)
                #expect(status == Status(enrolled: false, pending: false, required: false))
            }
            // The log never holds the secret or a code.
            let log = fixture.logs.entries.map(\.fullText).joined(separator: "\n")
            #expect(!log.contains(enrollment.secret))
            #expect(!log.contains(app.code(step: step)))
        }
    }

    @Test func wrongCodesArePausedLikeFailedSignIns() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "sam@harbor.example")
            let headers = HTTPFixture.bearer(token)
            try await client.execute(uri: "/v1/me/totp", method: .post, headers: headers) { response in
                #expect(response.status == .created)
            }
            for _ in 0..<5 {
                try await client.execute(
                    uri: "/v1/me/totp/confirmation",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: #"{"code": "abcdef"}"#)
                ) { response in #expect(response.status == .unprocessableContent) }
            }
            try await client.execute(
                uri: "/v1/me/totp/confirmation",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"code": "123456"}"#)
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] != nil)
            }
            let denied = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: fixture.practiceID, action: "staff.totp.confirm"),
                    on: connection
                )
            }
            #expect(denied.count == 5)
            #expect(denied.allSatisfy { $0.entry.outcome == .denied })
        }
    }

    @Test func thePolicyConfinesASessionToEnrolment() async throws {
        try await HTTPFixture.with { fixture, client in
            try await TOTPService.setRequired(true, practiceID: fixture.practiceID, source: "test", pool: fixture.owner)
            let token = try await client.execute(
                uri: "/v1/auth/sessions",
                method: .post,
                body: Self.signInBody("dana@harbor.example")
            ) { response in
                #expect(response.status == .created)
                struct SignIn: Decodable {
                    var token: String
                    var totpEnrollmentRequired: Bool
                }
                let signIn = try json(SignIn.self, response)
                #expect(signIn.totpEnrollmentRequired)
                return signIn.token
            }
            let headers = HTTPFixture.bearer(token)
            try await client.execute(uri: "/v1/couples", method: .get, headers: headers) { response in
                #expect(response.status == .forbidden)
                let problem = try json(Problem.self, response)
                #expect(problem.type.hasSuffix("/totp-enrollment-required"))
            }
            try await client.execute(uri: "/v1/couples/\(fixture.danaCouple)", method: .get, headers: headers) {
                response in
                #expect(response.status == .forbidden)
            }
            let enrollment = try await client.execute(uri: "/v1/me/totp", method: .post, headers: headers) { response in
                #expect(response.status == .created)
                return try json(Enrollment.self, response)
            }
            let app = TOTP(secret: SecureBytes(copying: try #require(Base32.decode(enrollment.secret))))
            let code = ByteBuffer(string: #"{"code": "\#(app.code(at: Date()))"}"#)
            try await client.execute(uri: "/v1/me/totp/confirmation", method: .post, headers: headers, body: code) {
                response in
                let status = try json(Status.self, response)
                #expect(status == Status(enrolled: true, pending: false, required: true))
            }
            try await client.execute(uri: "/v1/couples", method: .get, headers: headers) { response in
                #expect(response.status == .ok, "enrolled, the same session works")
            }
            try await client.execute(uri: "/v1/auth/sessions/current", method: .delete, headers: headers) { response in
                #expect(response.status == .noContent)
            }
        }
    }
}
