import Foundation
import HavenTestSupport
import Postgres
import Testing

@Suite("Errors: SQLSTATE mapping, safe descriptions, connection failures, cancellation")
struct ErrorTests {
    @Test(.needsTestDatabase) func constraintViolationsMapToTypedCodes() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.executeScript(
                    """
                    CREATE TABLE parent (id int PRIMARY KEY);
                    CREATE TABLE child (
                        id int PRIMARY KEY,
                        parent_id int REFERENCES parent(id),
                        age int NOT NULL CONSTRAINT child_age_positive CHECK (age > 0)
                    );
                    INSERT INTO parent VALUES (1);
                    """
                )
                let secret = "SECRET-VALUE-4711"
                let cases: [(PostgresQuery, PostgresError.Code)] = [
                    ("INSERT INTO parent VALUES (\(Int32(1)))", .uniqueViolation),
                    ("INSERT INTO child VALUES (1, \(Int32(99)), 3)", .foreignKeyViolation),
                    ("INSERT INTO child VALUES (1, 1, \(Int32(-4711)))", .checkViolation),
                    ("INSERT INTO child (id, parent_id, age) VALUES (1, 1, NULL)", .notNullViolation),
                    ("SELECT 1/0 WHERE \(secret) <> ''", .server),
                ]
                for (query, expected) in cases {
                    let error = await #expect(throws: PostgresError.self) { try await connection.execute(query) }
                    #expect(error?.code == expected)
                    #expect(error?.sqlState?.count == 5)
                    // Neither the safe description nor the log form carries parameter values or row data.
                    #expect(error?.description.contains("4711") == false)
                    #expect(error?.debugDescription.contains("4711") == false)
                    #expect(error?.debugDescription.contains(secret) == false)
                    #expect(error?.description.contains("INSERT") == false)
                }
                let check = await #expect(throws: PostgresError.self) {
                    try await connection.execute("INSERT INTO child VALUES (2, 1, \(Int32(-1)))")
                }
                #expect(check?.constraint == "child_age_positive")
                #expect(check?.table == "child")
                #expect(check?.debugDescription.contains("INSERT INTO child") == true)
            }
        }
    }

    @Test(.needsTestDatabase) func textTheServerCannotStoreIsTheInputsFault() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.executeScript("CREATE TABLE words (word text)")
                let error = await #expect(throws: PostgresError.self) {
                    try await connection.execute("INSERT INTO words VALUES (\("fictional\u{0}word"))")
                }
                #expect(error?.isUnstorableText == true && error?.isUnavailable == false)
                #expect(error?.description.contains("fictional") == false)
            }
        }
    }

    @Test(.needsTestDatabase) func connectionFailuresNameTheTargetButNeverThePassword() async throws {
        let admin = try TestDatabase.adminConfiguration()
        let port = try #require(admin.description.split(separator: ":").last?.split(separator: "/").first)
        let wrong = try PostgresConfiguration(
            "postgresql://haven_test:hunter2-not-the-password@127.0.0.1:\(port)/haven_test"
        )
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(wrong, logger: TestDatabase.logger)
        }
        #expect(error?.code == .connectionFailed && error?.isUnavailable == true)
        #expect(error?.description.contains("127.0.0.1:\(port)/haven_test") == true)
        #expect(error?.description.contains("password authentication failed") == true)
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.debugDescription.contains("hunter2") == false)
        #expect(wrong.description.contains("hunter2") == false)

        let closedPort = try PostgresConfiguration("host=127.0.0.1 port=1 dbname=nowhere user=x connect_timeout=2")
        let refused = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(closedPort, logger: TestDatabase.logger)
        }
        #expect(refused?.code == .connectionFailed)
        #expect(refused?.description.contains("127.0.0.1:1/nowhere") == true)
    }

    /// A server that takes the connection and never answers (a listening socket nobody accepts from: the
    /// kernel completes the handshake) ends the attempt at its timeout, and the error says how far it
    /// got, so an operator can tell a server that is down from one too busy to start a session.
    @Test func aConnectTimeoutSaysHowFarTheAttemptGot() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        #expect(bound)
        let port = UInt16(bigEndian: address.sin_port)
        let silent = try PostgresConfiguration(
            "host=127.0.0.1 port=\(port) dbname=x user=x sslmode=disable gssencmode=disable connect_timeout=2"
        )
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(silent, logger: TestDatabase.logger)
        }
        #expect(ContinuousClock.now - started >= .seconds(2))
        #expect(error?.code == .connectionFailed)
        let expected = "timeout expired after 2 s: connected; the server did not answer the startup message"
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func malformedConnectionStringsAreRejected() {
        let error = #expect(throws: PostgresError.self) { try PostgresConfiguration("host=x bogus_option=1") }
        #expect(error?.code == .invalidConfiguration)
        #expect(throws: PostgresError.self) { try PostgresConfiguration("postgresql://[::1") }
    }

    /// libpq leaves `connect_timeout` to whoever drives a non-blocking connect, as this package does; it
    /// is read here as libpq reads it, so a URL's value is not silently ignored.
    @Test func theConnectTimeoutIsReadFromTheConnectionString() throws {
        func timeout(_ value: String) throws -> Double {
            try PostgresConfiguration("postgresql://u@127.0.0.1:1/x?connect_timeout=\(value)").connectTimeout
        }
        #expect(try timeout("7") == 7)
        #expect(try timeout("1") == 2)
        #expect(try timeout("0") == 0)
        #expect(try timeout("-3") == 0)
        let bad = #expect(throws: PostgresError.self) { try timeout("soon") }
        #expect(bad?.code == .invalidConfiguration)
        #expect(bad?.description.contains("connect_timeout \"soon\"") == true, "\(String(describing: bad))")
    }

    @Test(.needsTestDatabase) func statementTimeoutAndTaskCancellationBecomeQueryCanceled() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let timeout = await #expect(throws: PostgresError.self) {
                    try await connection.transaction { connection in
                        try await connection.execute("SET LOCAL statement_timeout = 50")
                        try await connection.execute("SELECT pg_sleep(5)")
                    }
                }
                #expect(timeout?.code == .queryCanceled)

                // Cancelled once the server runs the statement (watched from a second connection, not
                // timed: a fixed 200 ms could cancel before the statement was sent), and it ends long
                // before the statement would.
                let pid = try await connection.query("SELECT pg_backend_pid()")[0].decode(0, as: Int32.self)
                let started = ContinuousClock.now
                let task = Task { try await connection.execute("SELECT pg_sleep(600)") }
                try await TestDatabase.withConnection(configuration) { watcher in
                    let deadline = ContinuousClock.now + .seconds(60)
                    while ContinuousClock.now < deadline {
                        let running = try await watcher.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND query LIKE 'SELECT pg_sleep(600)%'"
                        )[0].decode(0, as: Int.self)
                        if running == 1 { break }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                task.cancel()
                let canceled = await #expect(throws: PostgresError.self) { try await task.value }
                #expect(canceled?.code == .queryCanceled)
                #expect(ContinuousClock.now - started < .seconds(300))
                // The connection is fine afterwards.
                let rows = try await connection.query("SELECT 1")
                #expect(try rows[0].decode(0, as: Int.self) == 1)
            }
        }
    }

    @Test(.needsTestDatabase) func noticesGoToTheLoggerAtDebugNotToStderr() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            let capture = LogCapture()
            let connection = try await PostgresConnection.connect(configuration, logger: capture.logger())
            try await connection.executeScript("DO $$ BEGIN RAISE NOTICE 'notice-canary-%', 17; END $$")
            await connection.close()
            let notices = capture.entries.filter { $0.fullText.contains("notice-canary-17") }
            #expect(notices.count == 1)
            #expect(notices.first?.level == .debug)
        }
    }
}
