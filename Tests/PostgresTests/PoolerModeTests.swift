import HavenTestSupport
import Postgres
import Testing

@Suite("Behind a transaction-mode pooler: unnamed statements, no session state", .needsTestDatabase)
struct PoolerModeTests {
    @Test(arguments: PoolerMode.allCases)
    func onlyTheTransactionModeSendsEveryStatementUnnamed(_ pooler: PoolerMode) async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            var configured = configuration
            configured.pooler = pooler
            try await TestDatabase.withConnection(configured) { connection in
                try await connection.execute("CREATE TABLE t (id int PRIMARY KEY, label text NOT NULL)")
                try await connection.execute("INSERT INTO t VALUES (\(Int32(1)), \("one"))")
                _ = try await connection.pipeline(["BEGIN", "INSERT INTO t VALUES (\(Int32(2)), \("two"))", "COMMIT"])
                try await connection.transaction(prologue: ["SELECT label FROM t WHERE id = \(Int32(2))"]) {
                    connection,
                    rows in
                    #expect(try rows[0][0].decode(0, as: String.self) == "two")
                    try await connection.execute("UPDATE t SET label = \("deux") WHERE id = \(Int32(2))")
                }
                // Named statements are visible to the session that prepared them; unnamed ones are not.
                let named = try await connection.query("SELECT count(*) FROM pg_prepared_statements")
                let count = try named[0].decode(0, as: Int.self)
                if pooler == .transaction {
                    #expect(count == 0)
                } else {
                    #expect(count >= 5)
                }
            }
        }
    }

    @Test(arguments: [
        "SET statement_timeout = 1234",
        "SELECT set_config('statement_timeout', '1234', false)",
        "SELECT pg_advisory_lock(42)",
        "LISTEN haven_jobs",
        "CREATE TEMP TABLE scratch (id int)",
        "DECLARE kept CURSOR WITH HOLD FOR SELECT 1",
        "PREPARE mine AS SELECT 1",
    ])
    func sessionStateIsRefusedBeforeItReachesTheServer(_ sql: String) async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            var pooled = configuration
            pooled.pooler = .transaction
            try await TestDatabase.withConnection(pooled) { connection in
                let single = await #expect(throws: PostgresError.self) {
                    try await connection.query(PostgresQuery(sql: sql))
                }
                #expect(single?.code == .misuse)
                let piped = await #expect(throws: PostgresError.self) {
                    try await connection.pipeline(["SELECT 1", PostgresQuery(sql: sql)])
                }
                #expect(piped?.code == .misuse)
                let script = await #expect(throws: PostgresError.self) { try await connection.executeScript(sql) }
                #expect(script?.code == .misuse)
                // The session is as it was: nothing was sent.
                let rows = try await connection.query(
                    """
                    SELECT current_setting('statement_timeout'),
                        (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()),
                        (SELECT count(*) FROM pg_listening_channels()),
                        (SELECT count(*) FROM pg_cursors WHERE name <> ''),
                        (SELECT count(*) FROM pg_prepared_statements),
                        to_regclass('pg_temp.scratch') IS NULL
                    """
                )
                let (timeout, locks, channels, cursors, prepared, noTemp) = try rows[0].decode(
                    (String, Int, Int, Int, Int, Bool).self
                )
                #expect(timeout == "0")
                #expect([locks, channels, cursors, prepared] == [0, 0, 0, 0])
                #expect(noTemp)
                #expect(connection.isCleanForReuse)
            }
        }
    }

    @Test func transactionScopedFormsStillWork() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            var pooled = configuration
            pooled.pooler = .transaction
            let pool = ConnectionPool(
                configuration: pooled,
                limits: .init(maxConnections: 1),
                logger: TestDatabase.logger
            )
            let inside = try await pool.transaction { connection in
                try await connection.execute("SET LOCAL statement_timeout = 1234")
                try await connection.execute("SELECT set_config('app.staff_id', \("abc"), true)")
                try await connection.execute("SELECT pg_advisory_xact_lock(42)")
                let rows = try await connection.query(
                    "SELECT current_setting('statement_timeout'), current_setting('app.staff_id')"
                )
                return try rows[0].decode((String, String).self)
            }
            #expect(inside.0 == "1234ms")
            #expect(inside.1 == "abc")
            let after = try await pool.query(
                """
                SELECT current_setting('statement_timeout'), coalesce(current_setting('app.staff_id', true), ''),
                    (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())
                """
            )
            let (timeout, staff, locks) = try after[0].decode((String, String, Int).self)
            #expect(timeout == "0")
            #expect(staff == "")
            #expect(locks == 0)
            await pool.close()
        }
    }
}
