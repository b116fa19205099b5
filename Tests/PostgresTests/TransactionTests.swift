import HavenTestSupport
import Postgres
import Testing

@Suite("Transactions: commit, rollback, retry", .needsTestDatabase)
struct TransactionTests {
    struct Boom: Error {}

    @Test func commitsOnReturnAndRollsBackOnThrow() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE items (name text NOT NULL)")
                try await connection.transaction { connection in
                    try await connection.execute("INSERT INTO items VALUES (\("kept"))")
                }
                await #expect(throws: Boom.self) {
                    try await connection.transaction { connection in
                        try await connection.execute("INSERT INTO items VALUES (\("discarded"))")
                        throw Boom()
                    }
                }
                #expect(await connection.isInTransaction == false)
                let rows = try await connection.query("SELECT name FROM items")
                #expect(try rows.map { try $0.decode(0, as: String.self) } == ["kept"])
            }
        }
    }

    @Test func serverErrorRollsBackTheWholeTransaction() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE items (name text PRIMARY KEY)")
                let error = await #expect(throws: PostgresError.self) {
                    try await connection.transaction { connection in
                        try await connection.execute("INSERT INTO items VALUES (\("a"))")
                        try await connection.execute("INSERT INTO items VALUES (\("a"))")
                    }
                }
                #expect(error?.code == .uniqueViolation)
                let rows = try await connection.query("SELECT count(*) FROM items")
                #expect(try rows[0].decode(0, as: Int.self) == 0)
            }
        }
    }

    @Test func forcedSerializationFailureIsRetried() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE attempts (n int)")
                let attempts = Counter()
                let result = try await connection.transaction(isolation: .serializable) { connection in
                    let attempt = attempts.increment()
                    try await connection.execute("INSERT INTO attempts VALUES (\(Int32(attempt)))")
                    if attempt < 3 {
                        try connection.executeScript(
                            "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END $$"
                        )
                    }
                    return attempt
                }
                #expect(result == 3)
                let rows = try await connection.query("SELECT n FROM attempts")
                #expect(try rows.map { try $0.decode(0, as: Int.self) } == [3])
            }
        }
    }

    @Test func retriesGiveUpAfterMaxAttempts() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let attempts = Counter()
                let error = await #expect(throws: PostgresError.self) {
                    try await connection.transaction(maxAttempts: 2) { connection in
                        attempts.increment()
                        try connection.executeScript(
                            "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'deadlock_detected'; END $$"
                        )
                    }
                }
                #expect(error?.code == .deadlockDetected)
                #expect(attempts.current == 2)
            }
        }
    }

    @Test func realWriteSkewUnderSerializableIsRetriedToSuccess() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { setup in
                try await setup.execute("CREATE TABLE oncall (doctor text PRIMARY KEY, on_call bool NOT NULL)")
                try await setup.execute("INSERT INTO oncall VALUES ('a', true), ('b', true)")
            }
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 2),
                logger: TestDatabase.logger
            )
            let barrier = AsyncBarrier(parties: 2)
            let attempts = Counter()
            // Two transactions each read "two on call" and take one doctor off: a write-skew anomaly that
            // SERIALIZABLE must refuse for one of them; the retry then sees one on call and does nothing.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for doctor in ["a", "b"] {
                    group.addTask {
                        try await pool.transaction(isolation: .serializable, maxAttempts: 5) { connection in
                            let attempt = attempts.increment()
                            let rows = try await connection.query("SELECT count(*) FROM oncall WHERE on_call")
                            if attempt <= 2 { await barrier.arrive() }
                            if try rows[0].decode(0, as: Int.self) >= 2 {
                                try await connection.execute(
                                    "UPDATE oncall SET on_call = false WHERE doctor = \(doctor)"
                                )
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await pool.query("SELECT count(*) FROM oncall WHERE on_call")
            #expect(try rows[0].decode(0, as: Int.self) == 1)
            #expect(attempts.current >= 3)
            await pool.close()
        }
    }
}

/// Lets `parties` tasks wait for each other once.
actor AsyncBarrier {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) {
        self.parties = parties
    }

    func arrive() async {
        arrived += 1
        if arrived >= parties {
            waiting.forEach { $0.resume() }
            waiting.removeAll()
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
