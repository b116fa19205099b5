import Foundation
import HavenTestSupport
import Postgres
import Synchronization
import Testing

@Suite("Connection pool: bounds, reuse hygiene, failure recovery", .needsTestDatabase)
struct PoolTests {
    @Test func twoHundredTasksThroughFourConnectionsLoseNothing() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 4, checkoutTimeout: .seconds(30)),
                logger: TestDatabase.logger
            )
            try await pool.query("CREATE TABLE hits (task int PRIMARY KEY, backend int NOT NULL)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<200 {
                    group.addTask {
                        try await pool.transaction { connection in
                            try await connection.execute(
                                "INSERT INTO hits VALUES (\(Int32(task)), pg_backend_pid())"
                            )
                            if task % 7 == 0 { try await connection.execute("SELECT pg_sleep(0.001)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await pool.query("SELECT count(*), count(DISTINCT backend) FROM hits")
            let (count, backends) = try rows[0].decode((Int, Int).self)
            #expect(count == 200)
            #expect(backends <= 4)
            #expect(pool.openConnections <= 4)
            await pool.close()
        }
    }

    @Test func checkoutTimesOutWhenThePoolIsExhausted() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 1, checkoutTimeout: .milliseconds(200)),
                logger: TestDatabase.logger
            )
            // The holder keeps the only connection until the refused checkout is seen: signalled, not
            // timed (a fixed 300 ms head start raced a loaded machine).
            let holder = await ConnectionHolder.hold(pool)
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(error?.code == .poolTimeout)
            holder.release()
            try await holder.finished()
            #expect(try await pool.query("SELECT 1").count == 1)
            await pool.close()
            let closed = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(closed?.code == .poolClosed)
        }
    }

    @Test func aReusedConnectionHasNoOpenTransactionAndNoLeftoverSettings() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 1),
                logger: TestDatabase.logger
            )
            try await pool.query("CREATE TABLE t (id int)")
            try await pool.withConnection { connection in
                try await connection.execute("SET statement_timeout = 1234")
                try await connection.execute("SELECT set_config('app.practice_id', 'leak', false)")
                try await connection.execute("BEGIN")
                try await connection.execute("INSERT INTO t VALUES (1)")
                // Returned to the pool mid-transaction, with session settings changed.
            }
            try await pool.withConnection { connection in
                #expect(await connection.isInTransaction == false)
                let rows = try await connection.query(
                    "SELECT current_setting('statement_timeout'), current_setting('app.practice_id', true)"
                )
                let (timeout, practice) = try rows[0].decode((String, String?).self)
                #expect(timeout == "0")
                #expect(practice == nil || practice == "")
                let count = try await connection.query("SELECT count(*) FROM t")
                #expect(try count[0].decode(0, as: Int.self) == 0)
            }
            // Transaction-local settings vanish at commit and do not force a reset.
            try await pool.transaction { connection in
                try await connection.execute("SELECT set_config('app.staff_id', \("abc"), true)")
            }
            let after = try await pool.query("SELECT current_setting('app.staff_id', true)")
            let leftover = try after[0].decode(0, as: String?.self)
            #expect(leftover == nil || leftover == "")
            await pool.close()
        }
    }

    @Test func terminatedConnectionsAreReplaced() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 2),
                logger: TestDatabase.logger
            )
            let firstPID = try await pool.query("SELECT pg_backend_pid()")[0].decode(0, as: Int32.self)
            try await TestDatabase.withConnection(configuration) { killer in
                try await killer.execute("SELECT pg_terminate_backend(\(firstPID))")
            }
            try await Task.sleep(for: .milliseconds(100))
            let secondPID = try await pool.query("SELECT pg_backend_pid()")[0].decode(0, as: Int32.self)
            #expect(secondPID != firstPID)
            await pool.close()
        }
    }
}

@Suite("Server restart under a pool", .serialized, .needsTestDatabase, .needsServerRestart)
struct ServerRestartTests {
    @Test func inFlightWorkFailsClearlyAndTheNextCheckoutWorks() async throws {
        guard let restart = ProcessInfo.processInfo.environment["HAVEN_TEST_RESTART_SERVER"] else {
            throw TestSetupError("HAVEN_TEST_RESTART_SERVER is not set: run the tests with scripts/test")
        }
        try await TestDatabase.with(migrated: false) { configuration in
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 3),
                logger: TestDatabase.logger
            )
            // Warm the pool so idle connections exist when the server goes away.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { try await pool.query("SELECT pg_sleep(0.05)") } }
                try await group.waitForAll()
            }
            let inFlight = Task { try await pool.query("SELECT pg_sleep(20)") }
            try await Task.sleep(for: .milliseconds(300))
            #expect(runProgram(restart) == 0)
            let error = await #expect(throws: PostgresError.self) { try await inFlight.value }
            #expect(error?.code == .connectionLost)
            #expect(error?.description.contains("lost") == true)
            for _ in 0..<3 {
                let rows = try await pool.query("SELECT 1")
                #expect(try rows[0].decode(0, as: Int.self) == 1)
            }
            await pool.close()
        }
    }
}
