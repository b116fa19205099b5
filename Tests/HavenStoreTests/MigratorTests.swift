import HavenStore
import HavenTestSupport
import Logging
import Postgres
import Testing

@Suite("Migrations: ordered, idempotent, concurrent, checksum-guarded")
struct MigratorTests {
    private let logger = TestDatabase.logger

    @Test func embeddedMigrationsAreNumberedUniquelyAndInOrder() throws {
        let migrations = try Migration.embedded()
        #expect(!migrations.isEmpty)
        #expect(migrations.map(\.version) == Array(1...migrations.count))
        #expect(migrations.allSatisfy { $0.checksum.count == 64 })
        #expect(migrations[0].name == "0001_practices_and_roles.sql")
    }

    @Test(arguments: ["practices.sql", "0001practices.sql", "0000_zero.sql", "_x.sql", "0002_x.txt"])
    func badFileNamesAreRejected(_ name: String) {
        #expect(throws: MigrationError.badFileName(name)) { try Migration(fileName: name, sql: "SELECT 1") }
    }

    @Test(.needsTestDatabase) func migrateAppliesEverythingOnceThenNothing() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let migrator = try Migrator(logger: logger)
                let first = try await migrator.migrate(on: connection)
                #expect(first.count == migrator.migrations.count)
                let second = try await migrator.migrate(on: connection)
                #expect(second.isEmpty)
                let statuses = try await migrator.status(on: connection)
                #expect(statuses.allSatisfy { $0.state == .applied && $0.appliedAt != nil })
                let practices = try await connection.query("SELECT to_regclass('practices') IS NOT NULL")
                #expect(try practices[0].decode(0, as: Bool.self))
            }
        }
    }

    @Test(.needsTestDatabase) func concurrentMigratorsApplyEachMigrationExactlyOnce() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            let extra = try Migration(
                fileName: "0999_slow.sql",
                sql: "SELECT pg_sleep(0.2); CREATE TABLE slow_marker (id int);"
            )
            let migrations = try Migration.embedded() + [extra]
            let logger = self.logger
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await TestDatabase.withConnection(configuration) { connection in
                            try await Migrator(migrations: migrations, logger: logger).migrate(on: connection).count
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(applied.sorted() == [0, 0, 0, migrations.count])
            try await TestDatabase.withConnection(configuration) { connection in
                let rows = try await connection.query("SELECT count(*), count(DISTINCT version) FROM schema_migrations")
                let (count, distinct) = try rows[0].decode((Int, Int).self)
                #expect(count == migrations.count && distinct == migrations.count)
            }
        }
    }

    @Test(.needsTestDatabase) func aChangedAppliedMigrationStopsTheRunBeforeAnythingIsApplied() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let original = [
                    try Migration(fileName: "0001_a.sql", sql: "CREATE TABLE a (id int);")
                ]
                try await Migrator(migrations: original, logger: logger).migrate(on: connection)
                let edited = [
                    try Migration(fileName: "0001_a.sql", sql: "CREATE TABLE a (id bigint);"),
                    try Migration(fileName: "0002_b.sql", sql: "CREATE TABLE b (id int);"),
                ]
                let migrator = Migrator(migrations: edited, logger: logger)
                await #expect(throws: MigrationError.checksumMismatch(version: 1, name: "0001_a.sql")) {
                    try await migrator.migrate(on: connection)
                }
                let b = try await connection.query("SELECT to_regclass('b') IS NULL")
                #expect(try b[0].decode(0, as: Bool.self))
                let statuses = try await migrator.status(on: connection)
                #expect(statuses.map(\.state) == [.changed, .pending])
            }
        }
    }

    @Test(.needsTestDatabase) func anUnknownAppliedMigrationIsReportedNotIgnored() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let newer = [
                    try Migration(fileName: "0001_a.sql", sql: "CREATE TABLE a (id int);"),
                    try Migration(fileName: "0002_b.sql", sql: "CREATE TABLE b (id int);"),
                ]
                try await Migrator(migrations: newer, logger: logger).migrate(on: connection)
                let older = Migrator(migrations: [newer[0]], logger: logger)
                await #expect(throws: MigrationError.unknownApplied(version: 2, name: "0002_b.sql")) {
                    try await older.migrate(on: connection)
                }
                #expect(try await older.status(on: connection).map(\.state) == [.applied, .unknown])
            }
        }
    }

    @Test(.needsTestDatabase) func aFailingMigrationIsRolledBackAndNotRecorded() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let migrations = [
                    try Migration(fileName: "0001_ok.sql", sql: "CREATE TABLE ok (id int);"),
                    try Migration(fileName: "0002_bad.sql", sql: "CREATE TABLE half (id int); SELECT * FROM missing;"),
                ]
                await #expect(
                    throws: MigrationError.failed(
                        version: 2,
                        name: "0002_bad.sql",
                        reason: "the server refused it (SQLSTATE 42P01); PostgreSQL's log has the details"
                    )
                ) {
                    try await Migrator(migrations: migrations, logger: logger).migrate(on: connection)
                }
                let rows = try await connection.query(
                    "SELECT to_regclass('ok') IS NOT NULL, to_regclass('half') IS NULL, (SELECT count(*) FROM schema_migrations)"
                )
                #expect(try rows[0].decode((Bool, Bool, Int).self) == (true, true, 1))
                // The advisory lock was released: another run can proceed.
                let retry = [
                    migrations[0], try Migration(fileName: "0002_bad.sql", sql: "CREATE TABLE half (id int);"),
                ]
                #expect(try await Migrator(migrations: retry, logger: logger).migrate(on: connection).count == 1)
            }
        }
    }

    /// A migration that stops on purpose (a DO block's `RAISE` of "migration NNNN: …" with a detail and a
    /// hint) is reported in its own words; anything else the server refused is named by SQLSTATE and
    /// constraint, never by its text, which may quote a row's values.
    @Test(.needsTestDatabase) func aMigrationsOwnStopIsToldWholeAndAServerRefusalWithoutItsRow() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let table = try Migration(
                    fileName: "0001_people.sql",
                    sql: "CREATE TABLE people (name text UNIQUE); INSERT INTO people VALUES ('Ada Lovelace');"
                )
                /// What `haven db migrate` would print when `sql`, as migration 2, fails.
                func failure(_ sql: String) async throws -> String {
                    let second = try Migration(fileName: "0002_check.sql", sql: sql)
                    let error = await #expect(throws: MigrationError.self) {
                        try await Migrator(migrations: [table, second], logger: logger).migrate(on: connection)
                    }
                    return error?.description ?? ""
                }
                let own = try await failure(
                    """
                    DO $$ BEGIN
                        RAISE EXCEPTION 'migration 0002: rows that need a look: %', 2
                            USING ERRCODE = 'check_violation', DETAIL = 'ids 7, 9', HINT = 'fix them, then migrate again';
                    END $$;
                    """
                )
                #expect(
                    own
                        == "migration 0002_check.sql failed and was rolled back (the ones before it stay applied): "
                        + "migration 0002: rows that need a look: 2. ids 7, 9. Next: fix them, then migrate again"
                )
                // Not a migration's own stop: a DO block's RAISE without the "migration NNNN:" form, and a
                // trigger function's RAISE, are named by SQLSTATE only (their text may carry values).
                for sql in [
                    "DO $$ BEGIN RAISE EXCEPTION 'Ada Lovelace' USING DETAIL = 'Ada'; END $$;",
                    """
                    CREATE FUNCTION people_guard() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'migration 0002: %', NEW.name; END $$;
                    CREATE TRIGGER people_guard BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION people_guard();
                    INSERT INTO people VALUES ('Ada Byron');
                    """,
                ] {
                    let hidden = try await failure(sql)
                    #expect(hidden.contains("SQLSTATE P0001") && !hidden.contains("Ada"))
                }
                let refused = try await failure("INSERT INTO people VALUES ('Ada Lovelace');")
                #expect(refused.contains("SQLSTATE 23505, constraint people_name_key") && !refused.contains("Ada"))
            }
        }
    }

    @Test(.needsTestDatabase) func theApplicationRoleCannotBypassSecurity() async throws {
        try await TestDatabase.with { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let rows = try await connection.query(
                    "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'haven_app'"
                )
                #expect(rows.count == 1)
                #expect(try rows[0].decode((Bool, Bool, Bool, Bool).self) == (false, false, false, false))
                let owned = try await connection.query(
                    "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'haven_app'"
                )
                #expect(try owned[0].decode(0, as: Int.self) == 0)
            }
        }
    }

    @Test(.needsTestDatabase) func practicesEnforceTheirConstraints() async throws {
        try await TestDatabase.with { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute(
                    "INSERT INTO practices (name, time_zone) VALUES (\("Harbor Counseling"), \("America/Chicago"))"
                )
                let zone = await #expect(throws: PostgresError.self) {
                    try await connection.execute(
                        "INSERT INTO practices (name, time_zone) VALUES (\("X"), \("Mars/Base"))"
                    )
                }
                #expect(zone?.constraint == "practices_time_zone_valid")
                let name = await #expect(throws: PostgresError.self) {
                    try await connection.execute("INSERT INTO practices (name) VALUES (\("   "))")
                }
                #expect(name?.constraint == "practices_name_length")
            }
        }
    }
}
