import Foundation
import HavenTestSupport
import Postgres
import Testing

/// Against the PgBouncer (transaction mode, 1.18) that `scripts/test --pgbouncer` starts: its probe
/// database gives every client ONE shared server session, as a busy pool would sooner or later.
@Suite("Through PgBouncer in transaction mode", .serialized, .needsPgBouncer)
struct PgBouncerTests {
    /// The owner role through PgBouncer's probe database.
    private func probe(_ pooler: PoolerMode, statementCache: Int = 256) throws -> PostgresConfiguration {
        let admin = try TestDatabase.url(for: try TestDatabase.adminConfiguration())
        var configuration = try PostgresConfiguration(
            try TestDatabase.viaPgBouncer(admin, database: TestDatabase.pgBouncerProbeDatabase)
        )
        configuration.pooler = pooler
        configuration.statementCacheCapacity = statementCache
        return configuration
    }

    /// Clears what earlier clients left on the shared server session.
    private func resetSharedSession() async throws {
        try await TestDatabase.withConnection(try probe(.none)) { connection in
            try await connection.executeScript("DEALLOCATE ALL; RESET ALL")
        }
    }

    @Test func namedStatementsCollideWithoutThePoolerSetting() async throws {
        try await resetSharedSession()
        try await TestDatabase.withConnection(try probe(.none)) { first in
            try await TestDatabase.withConnection(try probe(.none)) { second in
                _ = try await first.query("SELECT 1")
                // Both connections name their first statement alike, on the one server session.
                let error = await #expect(throws: PostgresError.self) { try await second.query("SELECT 2") }
                #expect(error?.sqlState == "42P05")
            }
        }
        try await resetSharedSession()
    }

    @Test func withThePoolerSettingInterleavedClientsWork() async throws {
        try await resetSharedSession()
        try await TestDatabase.withConnection(try probe(.transaction)) { first in
            try await TestDatabase.withConnection(try probe(.transaction)) { second in
                for round in 0..<25 {
                    for (connection, offset) in [(first, 0), (second, 1000)] {
                        let value = Int32(round + offset)
                        let rows = try await connection.query("SELECT \(value)::int4 + 0")
                        #expect(try rows[0].decode(0, as: Int32.self) == value)
                        let piped = try await connection.pipeline(["BEGIN", "SELECT \(value)::int4", "COMMIT"])
                        #expect(try piped[1][0].decode(0, as: Int32.self) == value)
                        let inside = try await connection.transaction(prologue: ["SELECT \(value)::int4"]) {
                            connection,
                            rows in
                            try await connection.execute("SELECT set_config('app.round', \(String(value)), true)")
                            return try rows[0][0].decode(0, as: Int32.self)
                        }
                        #expect(inside == value)
                    }
                }
                let left = try await first.query("SELECT count(*) FROM pg_prepared_statements")
                #expect(try left[0].decode(0, as: Int.self) == 0)
            }
        }
    }

    @Test func oneClientsSessionSettingReachesAnotherUnlessRefused() async throws {
        try await resetSharedSession()
        // Unnamed statements but no pooler setting: a session-level SET lands on the shared session.
        try await TestDatabase.withConnection(try probe(.none, statementCache: 0)) { first in
            try await TestDatabase.withConnection(try probe(.none, statementCache: 0)) { second in
                try await first.execute("SET statement_timeout = 1234")
                let leaked = try await second.query("SELECT current_setting('statement_timeout')")
                #expect(try leaked[0].decode(0, as: String.self) == "1234ms")
            }
        }
        try await resetSharedSession()
        try await TestDatabase.withConnection(try probe(.transaction)) { first in
            try await TestDatabase.withConnection(try probe(.transaction)) { second in
                let error = await #expect(throws: PostgresError.self) {
                    try await first.execute("SET statement_timeout = 1234")
                }
                #expect(error?.code == .misuse)
                let clean = try await second.query("SELECT current_setting('statement_timeout')")
                #expect(try clean[0].decode(0, as: String.self) == "0")
            }
        }
    }

    @Test(.enabled(if: TestEnvironment.isSet("HAVEN_TEST_APP_VIA_PGBOUNCER")))
    func theApplicationRoleGoesThroughPgBouncer() async throws {
        try await TestDatabase.with { configuration in
            let app = try await TestDatabase.appConfiguration(for: configuration)
            let port = ProcessInfo.processInfo.environment["HAVEN_TEST_PGBOUNCER_PORT"] ?? "?"
            #expect(app.pooler == .transaction)
            #expect(app.target.contains(":\(port)/"))
            try await TestDatabase.withConnection(app) { connection in
                let rows = try await connection.query("SELECT current_user::text")
                #expect(try rows[0].decode(0, as: String.self) == "haven_app")
            }
        }
    }
}
