import Testing

@testable import Postgres

@Suite("Which statements leave session state behind")
struct SessionEffectsTests {
    @Test(arguments: [
        "SET statement_timeout = 5",
        "  set search_path to x",
        "RESET ALL",
        "LISTEN jobs",
        "PREPARE p AS SELECT 1",
        "CREATE TEMP TABLE t (id int)",
        "CREATE TEMPORARY TABLE t (id int)",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_try_advisory_lock(1)",
        "SELECT set_config('app.x', 'y', false)",
        "SELECT set_config('app.x', $1, $2)",
        "SELECT set_config('app.x', 'y')",
    ])
    func sessionChangingStatementsAreFlagged(_ sql: String) {
        #expect(statementMayChangeSession(sql))
    }

    @Test(arguments: [
        "SELECT 1",
        "INSERT INTO t (reset_at, offset_days) VALUES ($1, $2)",
        "SET LOCAL statement_timeout = 5",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "SELECT set_config('app.practice_id', $1, true), set_config('app.staff_id', $2, true)",
        "SELECT pg_advisory_xact_lock(1)",
        "UPDATE settings SET value = $1",
    ])
    func ordinaryStatementsAreNot(_ sql: String) {
        #expect(!statementMayChangeSession(sql))
    }
}
