import Foundation
import HTTPTypes
import HavenCore
import HavenHTTP
import HavenMail
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Sealing

/// A practice with two counselors (Dana and Sam), each with a couple and a completed session, and the
/// API's router over the real database; `client` runs requests through Hummingbird's test client.
struct HTTPFixture {
    let owner: ConnectionPool
    let app: ConnectionPool
    let practiceID: UUID
    let dana: StaffActor
    let sam: StaffActor
    let danaCouple: UUID
    let danaSession: UUID
    let samCouple: UUID
    let logs: LogCapture
    /// The master keys the fixture's services seal with (for tests that build their own charts).
    let keys: KeyManager
    static let password = "correct horse battery"

    /// - Parameter mail: where the portal emails invitations and sign-in links (nil: no mail).
    static func with(
        mail: MailConfiguration? = nil,
        _ body: @escaping @Sendable (HTTPFixture, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestDatabase.with { configuration in
            let logs = LogCapture()
            let logger = logs.logger(level: .info)
            let owner = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 2, checkoutTimeout: TestDatabase.checkoutTimeout),
                logger: logger
            )
            let app = ConnectionPool(
                configuration: try await TestDatabase.appConfiguration(for: configuration),
                limits: .init(maxConnections: 4, checkoutTimeout: TestDatabase.checkoutTimeout),
                logger: logger
            )
            do {
                let hasher = PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
                let staff = StaffService(pool: owner, hasher: hasher)
                let practice = try await staff.createPractice(name: "Harbor Counseling", timeZone: "America/Chicago")
                func counselor(_ email: String, _ name: String) async throws -> StaffActor {
                    let id = try await staff.createStaff(
                        .init(email: email, displayName: name, roles: [.counselor], password: password),
                        practiceID: practice,
                        source: "test"
                    )
                    return try await staff.openSession(
                        for: id,
                        practiceID: practice,
                        lifetime: .seconds(6 * 3_600),
                        source: "test"
                    )
                }
                let dana = try await counselor("dana@harbor.example", "Dana Reyes")
                let sam = try await counselor("sam@harbor.example", "Sam Ortiz")
                let keys = KeyManager(ring: try MasterKeyring.generate(), logger: logger)
                try await owner.withConnection { try await keys.checkMasterKeys(on: $0) }
                let charts = ChartService(pool: app, keys: keys)
                let sessions = SessionService(pool: app, keys: keys)
                func couple(_ actor: StaffActor) async throws -> (UUID, UUID) {
                    let intake = CalendarDate(year: 2026, month: 9, day: 1)!
                    let a = try await charts.createClient(
                        .init(legalName: "Fictional A", intakeDate: intake),
                        actor: actor
                    )
                    let b = try await charts.createClient(
                        .init(legalName: "Fictional B", intakeDate: intake),
                        actor: actor
                    )
                    let couple = try await charts.createCouple(
                        partnerA: a,
                        partnerB: b,
                        startDate: intake,
                        presentingConcerns: "Fictional concerns.",
                        actor: actor
                    )
                    let session = try await sessions.schedule(
                        .couple(couple),
                        start: Date(timeIntervalSince1970: 1_790_000_000),
                        durationMinutes: 50,
                        format: .video,
                        actor: actor
                    )
                    try await sessions.setStatus(.completed, session: session, actor: actor)
                    return (couple, session)
                }
                let (danaCouple, danaSession) = try await couple(dana)
                let (samCouple, _) = try await couple(sam)
                let auth = AuthService(pool: app, keys: keys, hasher: hasher, logger: logger)
                let api = HavenAPI(pool: app, keys: keys, auth: auth, logger: logger, mail: mail) { [] }
                let application = Application(router: api.router(), logger: logger)
                let fixture = HTTPFixture(
                    owner: owner,
                    app: app,
                    practiceID: practice,
                    dana: dana,
                    sam: sam,
                    danaCouple: danaCouple,
                    danaSession: danaSession,
                    samCouple: samCouple,
                    logs: logs,
                    keys: keys
                )
                try await application.test(.router) { client in try await body(fixture, client) }
                await owner.close()
                await app.close()
            } catch {
                await owner.close()
                await app.close()
                throw error
            }
        }
    }

    /// Signs in and returns the bearer token.
    static func signIn(_ client: any TestClientProtocol, _ email: String) async throws -> String {
        let body = #"{"email": "\#(email)", "password": "\#(password)"}"#
        return try await client.execute(uri: "/v1/auth/sessions", method: .post, body: ByteBuffer(string: body)) {
            response in
            guard response.status == .created else { throw TestSetupError("sign-in failed: \(response.status)") }
            struct Token: Decodable { var token: String }
            return try JSONDecoder().decode(Token.self, from: Data(buffer: response.body)).token
        }
    }

    /// The id of a library prompt that is (or is not) a joint exercise.
    static func promptID(_ client: any TestClientProtocol, _ auth: HTTPFields, joint: Bool) async throws -> String {
        struct Prompts: Decodable {
            struct Prompt: Decodable {
                var id: String
                var joint: Bool
            }
            var items: [Prompt]
        }
        return try await client.execute(uri: "/v1/homework/prompts", method: .get, headers: auth) {
            guard let prompt = try json(Prompts.self, $0).items.first(where: { $0.joint == joint }) else {
                throw TestSetupError("the library has no \(joint ? "joint" : "individual") prompt")
            }
            return prompt.id
        }
    }

    static func bearer(_ token: String, _ extra: HTTPFields = [:]) -> HTTPFields {
        var headers = extra
        headers[.authorization] = "Bearer \(token)"
        return headers
    }
}

/// A problem document as a client reads it.
struct Problem: Decodable {
    var type: String
    var status: Int
    var detail: String
    var field: String?
    var requestId: String
}

func json<Value: Decodable>(_ type: Value.Type, _ response: TestResponse) throws -> Value {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(type, from: Data(buffer: response.body))
}
