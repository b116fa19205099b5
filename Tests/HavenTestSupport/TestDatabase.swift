import Foundation
import HavenStore
import Logging
import Postgres
import Sealing

/// Private databases for tests, on the throwaway server `scripts/test` starts.
///
/// Swift Testing runs suites in parallel, so every test that touches the database gets a database of
/// its own: empty, or cloned from a template that was migrated once per test process (cloning is
/// much faster than migrating). The database is dropped when the test ends.
public enum TestDatabase {
    /// The owner-role URL `scripts/test` exports.
    public static func adminConfiguration() throws -> PostgresConfiguration {
        guard let url = ProcessInfo.processInfo.environment["HAVEN_TEST_DATABASE_URL"], !url.isEmpty else {
            throw TestSetupError(
                "HAVEN_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts a private PostgreSQL"
            )
        }
        return patient(try PostgresConfiguration(url))
    }

    /// How long a test waits for a connection: a full run opens hundreds of databases at once on two
    /// cores, and a CI machine's server once stalled past the default 10 s (30 tests "timeout expired"
    /// in the same second, 79f53e4). Connecting is not what these tests measure.
    static let connectTimeout: Double = 60

    /// How long a fixture's pool lets a checkout wait for a free connection: tests that run more tasks
    /// than a pool has connections queue behind a loaded machine's slow transactions, and waiting is
    /// not what they test (the pool's own timeout is tested in PoolTests with short limits).
    public static let checkoutTimeout: Duration = .seconds(60)

    private static func patient(_ configuration: PostgresConfiguration) -> PostgresConfiguration {
        var configuration = configuration
        configuration.connectTimeout = connectTimeout
        return configuration
    }

    /// A libpq URL for the test database `configuration` points at (for running the `haven` binary).
    public static func url(for configuration: PostgresConfiguration) throws -> String {
        guard let base = ProcessInfo.processInfo.environment["HAVEN_TEST_DATABASE_URL"],
            let slash = base.lastIndex(of: "/"),
            let name = configuration.description.split(separator: "/").last
        else { throw TestSetupError("HAVEN_TEST_DATABASE_URL is not a postgresql:// URL") }
        return String(base[...slash] + name)
    }

    /// The same database, reached as the application role `haven_app` (no BYPASSRLS, owns nothing),
    /// the way the service connects. The role's password is set once per test process. When
    /// `scripts/test --pgbouncer` routes the application role through PgBouncer
    /// (`HAVEN_TEST_APP_VIA_PGBOUNCER`), so does this, with the pooler setting the service uses there.
    public static func appConfiguration(for configuration: PostgresConfiguration) async throws -> PostgresConfiguration
    {
        var app = patient(try PostgresConfiguration(try await appURL(for: configuration)))
        app.pooler = appPooler
        return app
    }

    /// What stands between the application role and the test server: `.transaction` when the run
    /// routes it through PgBouncer, else `.none`.
    public static var appPooler: PoolerMode {
        TestEnvironment.isSet("HAVEN_TEST_APP_VIA_PGBOUNCER") ? .transaction : .none
    }

    /// `appConfiguration`'s libpq URL (for running the `haven` binary as a counselor would; pass it
    /// `HAVEN_DATABASE_POOLER` as `appPooler` says).
    public static func appURL(for configuration: PostgresConfiguration) async throws -> String {
        let password = try await AppRolePassword.shared.value()
        var url = try self.url(for: configuration)
        if appPooler == .transaction { url = try viaPgBouncer(url) }
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://") else {
            throw TestSetupError("HAVEN_TEST_DATABASE_URL is not a postgresql://user:password@host URL")
        }
        return String(url[..<scheme.upperBound]) + "haven_app:" + password + String(url[at...])
    }

    /// The same database as the reminder sender's role `haven_notify` (migration 0047), as `haven serve`
    /// reaches it for its sender task (directly, not through PgBouncer).
    public static func notifyURL(for configuration: PostgresConfiguration) async throws -> String {
        let password = try await AppRolePassword.notify.value()
        let url = try self.url(for: configuration)
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://") else {
            throw TestSetupError("HAVEN_TEST_DATABASE_URL is not a postgresql://user:password@host URL")
        }
        return String(url[..<scheme.upperBound]) + "haven_notify:" + password + String(url[at...])
    }

    /// The database of `scripts/test`'s PgBouncer that leads to `haven_test` over ONE server
    /// connection, so that every client of it shares one server session (to show what a
    /// transaction-mode pooler does to session state).
    public static let pgBouncerProbeDatabase = "haven_pooler_probe"

    /// `url` (a `postgresql://user:password@host:port/database` URL of the test server) with the port
    /// of `scripts/test`'s PgBouncer (`HAVEN_TEST_PGBOUNCER_PORT`), optionally another database.
    public static func viaPgBouncer(_ url: String, database: String? = nil) throws -> String {
        guard let port = ProcessInfo.processInfo.environment["HAVEN_TEST_PGBOUNCER_PORT"], !port.isEmpty else {
            throw TestSetupError("HAVEN_TEST_PGBOUNCER_PORT is not set: run scripts/test --pgbouncer")
        }
        guard let slash = url.lastIndex(of: "/"), let colon = url[..<slash].lastIndex(of: ":") else {
            throw TestSetupError("HAVEN_TEST_DATABASE_URL is not a postgresql://user:password@host:port/db URL")
        }
        let name = database ?? String(url[url.index(after: slash)...])
        return String(url[...colon]) + port + "/" + name
    }

    /// The `haven` binary `scripts/test` built.
    public static func havenBinary() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["HAVEN_BIN"], !path.isEmpty else {
            throw TestSetupError("HAVEN_BIN is not set: run the tests with scripts/test")
        }
        return path
    }

    /// A logger for tests that prints warnings and above.
    public static let logger: Logger = {
        var logger = Logger(label: "haven.test")
        logger.logLevel = .warning
        return logger
    }()

    /// How many tests hold a database at once (`HAVEN_TEST_DATABASES`, else 16); the rest wait their
    /// turn before creating theirs. Swift Testing starts every test at once: unbounded, 556 tests held
    /// ~500 server processes, 5.3 GiB of cloned databases and a load of 50 on two cores, every test
    /// lasted as long as the whole run, and on a slower CI machine one connection waited past 60 s.
    /// Measured on two cores (whole parallel run; peak server processes): unbounded 135 s, 496; 64
    /// turns 109 s, 131; 32 turns 77 s, 63; 16 turns 72 s, 34; 8 turns 103 s, 24.
    static let databaseTurns = ConcurrencyGate(
        limit: max(1, Int(ProcessInfo.processInfo.environment["HAVEN_TEST_DATABASES"] ?? "") ?? 16)
    )

    /// Whether this task already holds a turn (a test that opens a second database inside its first
    /// must not wait for a turn it is itself holding up).
    @TaskLocal static var holdsTurn = false

    /// Creates a database (migrated from the template, or empty), runs `body` with its configuration,
    /// and drops it afterwards, once the test's turn has come (`databaseTurns`).
    @discardableResult
    public static func with<Value>(
        migrated: Bool = true,
        _ body: (PostgresConfiguration) async throws -> Value
    ) async throws -> Value {
        if holdsTurn { return try await withDatabase(migrated: migrated, body) }
        return try await databaseTurns.run {
            try await $holdsTurn.withValue(true) { try await withDatabase(migrated: migrated, body) }
        }
    }

    private static func withDatabase<Value>(
        migrated: Bool,
        _ body: (PostgresConfiguration) async throws -> Value
    ) async throws -> Value {
        let admin = try adminConfiguration()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let template = migrated ? try await TemplateDatabase.shared.name() : nil
        try await adminExecute(
            admin,
            template.map { "CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(quoteIdentifier($0))" }
                ?? "CREATE DATABASE \(quoteIdentifier(name))"
        )
        do {
            let value = try await body(admin.replacingDatabase(with: name))
            try await drop(name, admin: admin)
            return value
        } catch {
            try? await drop(name, admin: admin)
            throw error
        }
    }

    /// Opens a connection to `configuration`, runs `body`, closes it.
    @discardableResult
    public static func withConnection<Value>(
        _ configuration: PostgresConfiguration,
        _ body: (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let connection = try await PostgresConnection.connect(configuration, logger: logger)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Drops a test database. A closed pool's server backends can take a moment to exit, and
    /// `WITH (FORCE)` may not terminate another role's (haven_app's) backends; a drop refused for that
    /// reason is retried for up to a minute (ten seconds were not always enough in a loaded CI run, the
    /// likeliest reading of a test that failed with 42501 after its body). If it still fails, the error
    /// names what holds the database (roles, states and ages of its backends: no statement text).
    private static func drop(_ name: String, admin: PostgresConfiguration) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                try await adminExecute(admin, "DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
                return
            } catch let error as PostgresError
                where error.code == .insufficientPrivilege || error.sqlState == "55006"
            {
                guard ContinuousClock.now < deadline else {
                    let holders = await holders(of: name, admin: admin)
                    throw TestSetupError("could not drop \(name) within a minute (\(error)); held by: \(holders)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// The backends connected to database `name`: role, state and seconds since each began and last
    /// changed state, for the error of a drop that did not happen.
    private static func holders(of name: String, admin: PostgresConfiguration) async -> String {
        let rows = try? await withConnection(admin) { connection in
            try await connection.query(
                """
                SELECT coalesce(usename, '?') || ' ' || coalesce(state, '?') || ' for '
                       || round(extract(epoch FROM now() - coalesce(state_change, backend_start)))::text
                       || ' s, connected ' || round(extract(epoch FROM now() - backend_start))::text || ' s'
                FROM pg_stat_activity WHERE datname = \(name)
                """
            ).map { try $0.decode(0, as: String.self) }
        }
        return rows.map { $0.isEmpty ? "no backend" : $0.joined(separator: "; ") } ?? "unknown"
    }

    /// Runs a utility statement (CREATE/DROP DATABASE) on the admin database. These statements take
    /// identifiers, not values, so they are built from quoted names of our own making.
    static func adminExecute(_ admin: PostgresConfiguration, _ sql: String) async throws {
        try await withConnection(admin) { try await $0.executeScript(sql) }
    }
}

/// The migrated template database, made once per test process.
actor TemplateDatabase {
    static let shared = TemplateDatabase()
    private var creation: Task<String, any Error>?

    func name() async throws -> String {
        if let creation { return try await creation.value }
        let task = Task { try await Self.create() }
        creation = task
        return try await task.value
    }

    private static func create() async throws -> String {
        let admin = try TestDatabase.adminConfiguration()
        let name = "tmpl_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await TestDatabase.adminExecute(admin, "CREATE DATABASE \(quoteIdentifier(name))")
        try await TestDatabase.withConnection(admin.replacingDatabase(with: name)) { connection in
            try await Migrator(logger: TestDatabase.logger).migrate(on: connection)
        }
        return name
    }
}

/// The test environment is not set up.
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// A login role's password for this test process (set once; concurrent callers wait for the same
/// task, since two ALTER ROLEs at once fail with "tuple concurrently updated").
actor AppRolePassword {
    /// The application role's.
    static let shared = AppRolePassword(role: "haven_app")
    /// The reminder sender's (migration 0047).
    static let notify = AppRolePassword(role: "haven_notify")
    private let role: StaticString
    private var setting: Task<String, any Error>?

    init(role: StaticString) {
        self.role = role
    }

    func value() async throws -> String {
        if let setting { return try await setting.value }
        let role = self.role
        let task = Task {
            _ = try await TemplateDatabase.shared.name()  // the role exists once a database is migrated
            let new = UUID().uuidString.replacingOccurrences(of: "-", with: "")
            try await TestDatabase.withConnection(try TestDatabase.adminConfiguration()) { connection in
                // ALTER ROLE takes no parameters; the password is a hex string of our own making.
                try await connection.executeScript("ALTER ROLE \(role) PASSWORD '\(new)'")
            }
            return new
        }
        setting = task
        return try await task.value
    }
}
