import Foundation
import Logging
import Postgres

/// Applies the embedded SQL migrations to a database, in order, once each.
///
/// Each migration runs in its own transaction and is recorded in `schema_migrations` with its SHA-256
/// checksum. The whole run holds a PostgreSQL advisory lock, so two `haven db migrate` at once
/// serialize: the second waits, then finds nothing left to do. An applied migration whose file has
/// since changed stops the run before anything is applied.
public struct Migrator: Sendable {
    /// The advisory lock key every migrator takes (an arbitrary constant: "havenmig" in ASCII).
    public static let lockKey = 0x6861_7665_6e6d_6967

    /// The migrations this migrator knows.
    public let migrations: [Migration]
    private let logger: Logger

    /// A migrator for the given migrations (by default, those embedded in this build).
    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// A migrator for the migrations embedded in this build.
    public init(logger: Logger) throws {
        self.init(migrations: try Migration.embedded(), logger: logger)
    }

    /// Applies every pending migration.
    ///
    /// - Returns: the migrations applied by this call (empty when the database was current).
    /// - Throws: `MigrationError` for a changed or unknown applied migration (nothing is applied then);
    ///   `MigrationError.failed` when a migration's SQL fails (that migration is rolled back; earlier ones
    ///   stay), `PostgresError` when the connection fails.
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> [Migration] {
        try await withLock(on: connection) {
            try await ensureHistoryTable(on: connection)
            let applied = try await appliedRecords(on: connection)
            try verify(applied)
            let appliedVersions = Set(applied.map(\.version))
            var done: [Migration] = []
            for migration in migrations where !appliedVersions.contains(migration.version) {
                let started = ContinuousClock.now
                do {
                    try await connection.transaction { connection in
                        try connection.executeScript(migration.sql)
                        try await connection.execute(
                            """
                            INSERT INTO schema_migrations (version, name, checksum) \
                            VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                            """
                        )
                    }
                } catch let error as PostgresError where error.sqlState != nil {
                    throw MigrationError.failed(
                        version: migration.version,
                        name: migration.name,
                        reason: Self.reason(for: error)
                    )
                }
                let elapsed = ContinuousClock.now - started
                logger.info(
                    "applied migration",
                    metadata: ["migration.version": "\(migration.version)", "migration.duration": "\(elapsed)"]
                )
                done.append(migration)
            }
            return done
        }
    }

    /// Reports every migration's state without changing anything.
    public func status(on connection: PostgresConnection) async throws -> [MigrationStatus] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        let applied = try exists[0].decode(0, as: Bool.self) ? try await appliedRecords(on: connection) : []
        let byVersion = Dictionary(uniqueKeysWithValues: applied.map { ($0.version, $0) })
        var statuses: [MigrationStatus] = migrations.map { migration in
            guard let record = byVersion[migration.version] else {
                return MigrationStatus(
                    version: migration.version,
                    name: migration.name,
                    state: .pending,
                    appliedAt: nil
                )
            }
            let state: MigrationStatus.State = record.checksum == migration.checksum ? .applied : .changed
            return MigrationStatus(
                version: migration.version,
                name: record.name,
                state: state,
                appliedAt: record.appliedAt
            )
        }
        let known = Set(migrations.map(\.version))
        for record in applied where !known.contains(record.version) {
            statuses.append(
                MigrationStatus(
                    version: record.version,
                    name: record.name,
                    state: .unknown,
                    appliedAt: record.appliedAt
                )
            )
        }
        return statuses.sorted { $0.version < $1.version }
    }

    /// What an operator is told about a failed migration. A migration that stops on purpose says why
    /// in a DO block's own `RAISE` whose message starts `migration NNNN:` (our text: what it found, by
    /// id, and what to read next), shown whole with its detail and hint. Anything else the server
    /// raised (a statement's error, a trigger function's `RAISE`, an error evaluating a `RAISE`'s
    /// arguments) is named by SQLSTATE and constraint only, since its text may quote row values.
    static func reason(for error: PostgresError) -> String {
        let ownStop =
            error.context?.wholeMatch(of: /PL\/pgSQL function inline_code_block line [0-9]+ at RAISE/) != nil
            && error.message?.wholeMatch(of: /migration [0-9]{4}: .+/) != nil
        if ownStop, let message = error.message {
            return [message, error.detail, error.hint.map { "Next: \($0)" }]
                .compactMap { $0 }
                .joined(separator: ". ")
        }
        let constraint = error.constraint.map { ", constraint \($0)" } ?? ""
        return
            "the server refused it (SQLSTATE \(error.sqlState ?? "?")\(constraint)); PostgreSQL's log has the details"
    }

    // MARK: - Internals

    private struct Record {
        var version: Int
        var name: String
        var checksum: String
        var appliedAt: Date
    }

    private func withLock<Value: Sendable>(
        on connection: PostgresConnection,
        _ body: () async throws -> Value
    ) async throws -> Value {
        try await connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        do {
            let value = try await body()
            try await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return value
        } catch {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }

    private func ensureHistoryTable(on connection: PostgresConnection) async throws {
        try await connection.executeScript(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
    }

    private func appliedRecords(on connection: PostgresConnection) async throws -> [Record] {
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
        )
        return try rows.map { row in
            let (version, name, checksum, appliedAt) = try row.decode((Int, String, String, Date).self)
            return Record(version: version, name: name, checksum: checksum, appliedAt: appliedAt)
        }
    }

    private func verify(_ applied: [Record]) throws {
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let migration = byVersion[record.version] else {
                throw MigrationError.unknownApplied(version: record.version, name: record.name)
            }
            if migration.checksum != record.checksum {
                throw MigrationError.checksumMismatch(version: record.version, name: record.name)
            }
        }
    }
}
