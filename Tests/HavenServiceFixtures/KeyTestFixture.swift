import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Sealing

/// A practice, a sealed test table registered as a sealed column, and helpers to write and read it.
///
/// Shared by HavenServiceTests and HavenCLITests; needs the test server (`TestDatabase`).
public struct KeyTestFixture: Sendable {
    /// The test database (owner role).
    public let configuration: PostgresConfiguration
    /// An owner-role pool on it.
    public let pool: ConnectionPool
    /// The practice the sealed values belong to.
    public let practiceID = UUID()
    /// `sealed_test_values.body`, registered so `keys verify` and `rotate-data` walk it.
    public static let column = SealedColumn(
        table: "sealed_test_values",
        column: "body",
        keyIDColumn: "body_key_id",
        subjectKind: .test,
        subjectColumn: "subject_id"
    )

    /// Creates a migrated test database with the practice and the sealed table, runs `body`, and
    /// drops the database.
    public static func with<Value>(_ body: (KeyTestFixture) async throws -> Value) async throws -> Value {
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 6, checkoutTimeout: TestDatabase.checkoutTimeout),
                logger: TestDatabase.logger
            )
            let fixture = KeyTestFixture(configuration: configuration, pool: pool)
            try await pool.withConnection { connection in
                try await connection.executeScript(
                    """
                    CREATE TABLE sealed_test_values (
                        id uuid PRIMARY KEY,
                        practice_id uuid NOT NULL REFERENCES practices (id),
                        subject_id text NOT NULL,
                        body bytea,
                        body_key_id uuid REFERENCES data_keys (id)
                    );
                    CREATE INDEX ON sealed_test_values (body_key_id);
                    """
                )
                try await connection.execute(
                    "INSERT INTO practices (id, name) VALUES (\(fixture.practiceID), \("Test Practice"))"
                )
                try await KeyStore.register(column, on: connection)
            }
            do {
                let value = try await body(fixture)
                await pool.close()
                return value
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    /// Seals and inserts a value; returns its row id.
    @discardableResult
    public func write(_ text: String, subject: String, manager: KeyManager, rowID: UUID = UUID()) async throws -> UUID {
        let practiceID = self.practiceID
        // As the services' writes do (`haven_require_live_keys`, which needs a staff context this owner
        // pool does not have): the key must still be active, held FOR SHARE until the commit, so a
        // rotation retires it only after this value is written (and then re-encrypts it); a write that
        // finds its key retired forgets the cached active keys and starts again with the new one.
        for _ in 0..<10 {
            let written = try await pool.transaction { connection -> Bool in
                let (sealed, keyID) = try await manager.seal(
                    text,
                    practiceID: practiceID,
                    at: Self.place(rowID, subject: subject),
                    on: connection
                )
                let live = try await connection.query(
                    "SELECT id FROM data_keys WHERE id = \(keyID) AND state = 'active' FOR SHARE"
                )
                guard live.count == 1 else { return false }
                try await connection.execute(
                    """
                    INSERT INTO sealed_test_values (id, practice_id, subject_id, body, body_key_id)
                    VALUES (\(rowID), \(practiceID), \(subject), \(sealed), \(keyID))
                    ON CONFLICT (id) DO UPDATE SET body = excluded.body, body_key_id = excluded.body_key_id
                    """
                )
                return true
            }
            if written { return rowID }
            manager.forgetActiveKeys()
        }
        throw SealingError(.unknownKey, detail: "the subject's active key kept changing during the write")
    }

    /// Where a test value is sealed.
    static func place(_ rowID: UUID, subject: String) -> SealedPlace {
        SealedPlace(
            subject: KeySubject(kind: .test, id: subject),
            table: column.table,
            column: column.column,
            rowID: rowID
        )
    }

    /// Reads and opens a value.
    public func read(_ rowID: UUID, manager: KeyManager) async throws -> String {
        try await pool.withConnection { connection in
            let row = try await connection.query("SELECT subject_id, body FROM sealed_test_values WHERE id = \(rowID)")[
                0
            ]
            let (subject, sealed) = try row.decode((String, [UInt8]).self)
            return try await manager.open(
                sealed,
                at: Self.place(rowID, subject: subject),
                on: connection
            )
        }
    }

    /// A manager over `ring` whose master keys have been checked against the database.
    public func manager(_ ring: MasterKeyring, cacheCapacity: Int = 64) async throws -> KeyManager {
        let manager = KeyManager(ring: ring, cacheCapacity: cacheCapacity, logger: TestDatabase.logger)
        try await pool.withConnection { try await manager.checkMasterKeys(on: $0) }
        return manager
    }
}
