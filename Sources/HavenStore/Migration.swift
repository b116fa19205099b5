import Foundation
import Sealing

/// One schema migration: a numbered SQL file from `sql/migrations`, carried inside the binary.
public struct Migration: Sendable, Equatable {
    /// The number in the file name (`0001_practices_and_roles.sql` → 1).
    public let version: Int
    /// The file name.
    public let name: String
    /// The SQL text.
    public let sql: String
    /// Lowercase hex SHA-256 of the SQL text, recorded when applied.
    public let checksum: String

    /// Creates a migration from a file name of the form `NNNN_name.sql` and its text.
    ///
    /// - Throws: `MigrationError` if the name has no leading number.
    public init(fileName: String, sql: String) throws {
        let digits = fileName.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let version = Int(digits), version > 0,
            fileName.dropFirst(digits.count).hasPrefix("_"), fileName.hasSuffix(".sql")
        else { throw MigrationError.badFileName(fileName) }
        self.version = version
        self.name = fileName
        self.sql = sql
        self.checksum = SHA256.hexDigest(sql)
    }

    /// The migrations embedded in this build, in order.
    ///
    /// - Throws: `MigrationError` for a malformed file name or two files with one number.
    public static func embedded() throws -> [Migration] {
        let migrations = try embeddedMigrationFiles.map { try Migration(fileName: $0.name, sql: $0.text) }
            .sorted { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(next.version, previous.name, next.name)
        }
        return migrations
    }
}

/// Where one migration stands in a database.
public struct MigrationStatus: Sendable, Equatable {
    /// The state of a migration.
    public enum State: String, Sendable {
        /// Recorded in `schema_migrations` with the checksum this build has.
        case applied
        /// Not yet applied.
        case pending
        /// Applied, but the file changed since: an error until resolved by hand.
        case changed
        /// Applied by a newer build: this binary does not have the file.
        case unknown
    }

    public let version: Int
    public let name: String
    public let state: State
    /// When it was applied, if it was.
    public let appliedAt: Date?
}
