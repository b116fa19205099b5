import Foundation
import HTTPTypes
import HavenHTTP
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Sealing
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A problem document with its title, as a client reads it.
private struct TitledProblem: Decodable {
    var type: String
    var title: String
    var status: Int
}

@Suite("HTTP hardening: caching, titles, request ids, out-of-reach addenda, outages, timeouts, bad bodies")
struct HardeningTests {
    @Test(.needsTestDatabase) func everyV1ResponseIsNoStoreAndEveryProblemHasItsTitle() async throws {
        try await HTTPFixture.with { fixture, client in
            let wrong = ByteBuffer(string: #"{"email": "dana@harbor.example", "password": "nope nope nope"}"#)
            try await client.execute(uri: "/v1/auth/sessions", method: .post, body: wrong) { response in
                #expect(response.status == .unauthorized && response.headers[.cacheControl] == "no-store")
                let problem = try json(TitledProblem.self, response)
                #expect(problem.title == "Unauthorized")
            }
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let auth = HTTPFixture.bearer(token)
            for uri in ["/v1/me", "/v1/couples", "/v1/couples/\(fixture.danaCouple)"] {
                try await client.execute(uri: uri, method: .get, headers: auth) { response in
                    #expect(response.status == .ok && response.headers[.cacheControl] == "no-store", "\(uri)")
                }
            }
            let problems: [(String, HTTPRequest.Method, String?, HTTPResponse.Status, String)] = [
                ("/v1/couples/\(fixture.samCouple)", .get, nil, .notFound, "Not Found"),
                ("/v1/couples/not-a-uuid", .get, nil, .badRequest, "Bad Request"),
                ("/v1/nowhere", .get, nil, .notFound, "Not Found"),
                (
                    "/v1/notes", .post,
                    #"{"sessionId": "\#(fixture.danaSession)", "stage": 1, "step": 9, "body": "x"}"#,
                    .unprocessableContent, "Unprocessable Content"
                ),
            ]
            for (uri, method, body, status, title) in problems {
                try await client.execute(
                    uri: uri,
                    method: method,
                    headers: auth,
                    body: body.map { ByteBuffer(string: $0) }
                ) { response in
                    #expect(response.status == status, "\(uri)")
                    #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                    let problem = try json(TitledProblem.self, response)
                    #expect(problem.title == title, "\(uri)")
                }
            }
        }
    }

    @Test(arguments: [
        ("req-42", true), ("a1b2c3d4.e5_f6", true), (String(repeating: "a", count: 64), true),
        (String(repeating: "a", count: 65), false), ("two words", false), ("a,b", false), ("<script>", false),
        ("caf\u{e9}", false), ("line\tbreak", false),
    ])
    func aCallersRequestIDIsKeptOnlyWhenItIsAShortSafeToken(value: String, kept: Bool) async throws {
        try await Self.withoutDatabase(.router) { client in
            var headers = HTTPFields()
            headers[.requestID] = value
            try await client.execute(uri: "/v1/me", method: .get, headers: headers) { response in
                let echoed = try #require(response.headers[.requestID])
                #expect((echoed == value) == kept)
                if !kept { #expect(UUID(uuidString: echoed) != nil) }
                let problem = try json(Problem.self, response)
                #expect(problem.requestId == echoed)
            }
        }
    }

    @Test(.needsTestDatabase) func addendaOfANoteOutOfReachAreNotFoundAndAuditedAsDenied() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            struct Created: Decodable { var id: String }
            let draft =
                #"{"sessionId": "\#(fixture.danaSession)", "stage": 1, "step": 1, "riskLevel": "none", "body": "Fictional."}"#
            let note = try await client.execute(
                uri: "/v1/notes",
                method: .post,
                headers: dana,
                body: ByteBuffer(string: draft)
            ) { try json(Created.self, $0).id }
            var signing = dana
            signing[.ifMatch] = "\"1\""
            try await client.execute(uri: "/v1/notes/\(note)/sign", method: .post, headers: signing) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/v1/notes/\(note)/addenda",
                method: .post,
                headers: dana,
                body: ByteBuffer(string: #"{"reason": "Late entry", "text": "Fictional."}"#)
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/notes/\(note)/addenda", method: .get, headers: dana) {
                #expect($0.status == .ok && String(buffer: $0.body).contains("Late entry"))
            }

            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            let nowhere = UUID().uuidString.lowercased()
            for id in [note, nowhere] {
                try await client.execute(uri: "/v1/notes/\(id)/addenda", method: .get, headers: sam) { response in
                    #expect(response.status == .notFound)
                    let problem = try json(Problem.self, response)
                    #expect(problem.field == "note")
                    #expect(!String(buffer: response.body).contains("Late entry"))
                }
            }
            let entries = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: fixture.practiceID, action: "note.read_addenda"),
                    on: connection
                )
            }.map(\.entry)
            let partners = try await fixture.owner.query(
                "SELECT ARRAY[partner_a_id, partner_b_id] FROM couples WHERE id = \(fixture.danaCouple)"
            ).singleRow()?.decode(0, as: [UUID].self)
            func line(_ staff: StaffActor, _ id: String, _ outcome: AuditEntry.Outcome) -> String {
                "\(staff.staffID) \(id) \(outcome)"
            }
            #expect(
                entries.map { "\($0.staffID!) \($0.entityID!.uuidString.lowercased()) \($0.outcome)" } == [
                    line(fixture.dana, note, .success), line(fixture.sam, note, .denied),
                    line(fixture.sam, nowhere, .denied),
                ]
            )
            #expect(Set(entries[0].clientIDs) == Set(try #require(partners)) && entries[1].clientIDs.isEmpty)
        }
    }

    @Test func aDatabaseOutageIsServiceUnavailableWithRetryAfter() async throws {
        try await Self.withoutDatabase(.router) { client in
            let body = ByteBuffer(string: #"{"email": "dana@harbor.example", "password": "correct horse battery"}"#)
            try await client.execute(uri: "/v1/auth/sessions", method: .post, body: body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "5" && response.headers[.cacheControl] == "no-store")
                let problem = try json(TitledProblem.self, response)
                #expect(problem.type.hasSuffix("/unavailable") && problem.title == "Service Unavailable")
                #expect(!String(buffer: response.body).contains("127.0.0.1"))
            }
            try await client.execute(uri: "/v1/me", method: .get, headers: HTTPFixture.bearer("some-token")) {
                #expect($0.status == .serviceUnavailable && $0.headers[.retryAfter] == "5")
            }
        }
    }

    @Test func aMalformedChunkedBodyIsABadRequestProblem() async throws {
        try await Self.withoutDatabase(.live) { client in
            let connection = try RawConnection(port: try #require(client.port))
            // The head first, so the route is reading the body when the broken chunk arrives.
            connection.send(
                "POST /v1/auth/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n"
            )
            try await Task.sleep(for: .milliseconds(200))
            connection.send("zz-not-a-size\r\n{}\r\n0\r\n\r\n")
            let (answer, _) = try await connection.readUntilClosed(within: .seconds(10))
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(answer.contains("malformed-body") && answer.contains("not well-formed HTTP"))
            #expect(answer.contains("\"title\":\"Bad Request\""))
        }
    }

    @Test func idleAndHalfOpenConnectionsAreClosed() async throws {
        try await Self.withoutDatabase(.live, idleTimeout: .seconds(2)) { client in
            let port = try #require(client.port)
            let silent = try RawConnection(port: port)
            let halfHeader = try RawConnection(port: port)
            halfHeader.send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            let kept = try RawConnection(port: port)
            kept.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            // Without the timeout none of them would ever be closed; the limit only bounds the test.
            for connection in [silent, halfHeader] {
                let (_, closed) = try await connection.readUntilClosed(within: .seconds(15))
                #expect(closed)
            }
            let (answer, closed) = try await kept.readUntilClosed(within: .seconds(15))
            #expect(answer.hasPrefix("HTTP/1.1 200") && closed, "\(answer.prefix(100))")
        }
    }

    /// The API over a database that does not answer (nothing listens on port 1).
    static func withoutDatabase(
        _ setup: TestingSetup,
        idleTimeout: TimeAmount = HavenAPI.connectionIdleTimeout,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test")
        var configuration = try PostgresConfiguration("postgresql://nobody@127.0.0.1:1/none")
        configuration.connectTimeout = 2
        let pool = ConnectionPool(configuration: configuration, logger: logger)
        let keys = KeyManager(ring: try MasterKeyring.generate(), logger: logger)
        let api = HavenAPI(pool: pool, keys: keys, auth: AuthService(pool: pool, logger: logger), logger: logger) { [] }
        let application = Application(
            router: api.router(),
            server: HavenAPI.server(idleTimeout: idleTimeout),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logger
        )
        do {
            try await application.test(setup) { client in try await body(client) }
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}

/// A plain TCP connection to a live test server, for what an HTTP client will not send: half a
/// header, a broken chunk, nothing at all.
private final class RawConnection: Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard descriptor >= 0, connected == 0 else { throw TestSetupError("cannot connect to port \(port)") }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// What the server sent until it closed the connection, and whether it did within `limit`. Polls
    /// without blocking and sleeps between polls, so the server's own tasks (which share the
    /// cooperative thread pool with this test) keep running.
    func readUntilClosed(within limit: Duration) async throws -> (String, closed: Bool) {
        let deadline = ContinuousClock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else {
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[..<count]
        }
        return (String(decoding: received, as: UTF8.self), false)
    }
}
