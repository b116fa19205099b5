import Foundation
import Postgres

/// SQL for the key tables (`master_key_versions`, `keyring_settings`, `data_keys`,
/// `sealed_columns`) and for walking sealed columns. Takes a connection so callers decide the
/// transaction.
public enum KeyStore {
    // MARK: - Master key versions

    /// Every recorded master key version with its check value and state.
    public static func masterKeyVersions(
        on connection: PostgresConnection
    ) async throws -> [(version: Int, checkValue: [UInt8], state: String)] {
        try await connection.query("SELECT version, check_value, state FROM master_key_versions ORDER BY version")
            .map { row in try row.decode((Int, [UInt8], String).self) }
    }

    /// Records a master key version's check value (no-op if already recorded).
    public static func recordMasterKeyVersion(
        _ version: Int,
        checkValue: [UInt8],
        on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            """
            INSERT INTO master_key_versions (version, check_value) VALUES (\(Int32(version)), \(checkValue))
            ON CONFLICT (version) DO NOTHING
            """
        )
    }

    /// Marks versions below `version` retired and raises the floor to `version`.
    public static func raiseMinimumMasterKeyVersion(to version: Int, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "UPDATE master_key_versions SET state = 'retired' WHERE version < \(Int32(version)) AND state <> 'retired'"
        )
        try await connection.execute(
            "UPDATE keyring_settings SET minimum_master_key_version = greatest(minimum_master_key_version, \(Int32(version)))"
        )
    }

    /// The floors: minimum master key version and minimum sealed-value format version.
    public static func settings(
        on connection: PostgresConnection
    ) async throws -> (minimumMasterKeyVersion: Int, minimumFormatVersion: Int) {
        let rows = try await connection.query(
            "SELECT minimum_master_key_version, minimum_format_version FROM keyring_settings"
        )
        guard let row = try rows.singleRow() else {
            throw PostgresError(.invalidValue, message: "keyring_settings has no row", table: "keyring_settings")
        }
        return try row.decode((Int, Int).self)
    }

    // MARK: - Data keys

    private static let columns =
        "id, practice_id, subject_kind, subject_id, state, master_key_version, wrapped_key, created_at"

    private static func record(_ row: PostgresRow) throws -> DataKeyRecord {
        let (id, practice, kind, subject, state, version, wrapped, created) = try row.decode(
            (UUID, UUID, String, String, String, Int?, [UInt8]?, Date).self
        )
        guard let subjectKind = KeySubject.Kind(rawValue: kind), let keyState = DataKeyRecord.State(rawValue: state)
        else {
            throw PostgresError(.invalidValue, message: "unknown key kind or state", column: "subject_kind")
        }
        return DataKeyRecord(
            id: id,
            practiceID: practice,
            subject: KeySubject(kind: subjectKind, id: subject),
            state: keyState,
            masterKeyVersion: version,
            wrappedKey: wrapped,
            createdAt: created
        )
    }

    /// The data key one of the portal's key functions answers (migration 0045:
    /// `haven_portal_sealing_key()`, `haven_portal_opening_key(id)`), or nil when it answers none.
    public static func portalKey(opening id: UUID?, on connection: PostgresConnection) async throws -> DataKeyRecord? {
        let source = id == nil ? "haven_portal_sealing_key()" : "haven_portal_opening_key($1)"
        let rows = try await connection.query(
            PostgresQuery(sql: "SELECT \(columns) FROM \(source)", bindings: id.map { bind($0) } ?? PostgresBindings())
        )
        return try rows.singleRow().map(record)
    }

    /// The data key by id that a sign-in waiting for its second factor may open its sealed one-time-code
    /// secret with (migration 0050: `haven_second_factor_key(id)`), or nil when it answers none.
    public static func secondFactorKey(id: UUID, on connection: PostgresConnection) async throws -> DataKeyRecord? {
        let rows = try await connection.query(
            PostgresQuery(sql: "SELECT \(columns) FROM haven_second_factor_key($1)", bindings: bind(id))
        )
        return try rows.singleRow().map(record)
    }

    /// A partner's own data key for their one-time-code secret (migration 0057:
    /// `haven_portal_totp_key(id)`): by id, or the active one when `id` is nil; nil when it answers none.
    public static func portalTOTPKey(id: UUID?, on connection: PostgresConnection) async throws -> DataKeyRecord? {
        let rows = try await connection.query(
            PostgresQuery(
                sql: "SELECT \(columns) FROM haven_portal_totp_key(\(id == nil ? "NULL" : "$1"))",
                bindings: id.map { bind($0) } ?? PostgresBindings()
            )
        )
        return try rows.singleRow().map(record)
    }

    /// A data key by id.
    public static func dataKey(id: UUID, on connection: PostgresConnection) async throws -> DataKeyRecord? {
        let rows = try await connection.query(
            PostgresQuery(sql: "SELECT \(columns) FROM data_keys WHERE id = $1", bindings: bind(id))
        )
        return try rows.singleRow().map(record)
    }

    /// A subject's active data key, if it has one.
    public static func activeKey(
        practiceID: UUID,
        subject: KeySubject,
        on connection: PostgresConnection
    ) async throws
        -> DataKeyRecord?
    {
        var bindings = PostgresBindings()
        bindings.append(practiceID)
        bindings.append(subject.kind.rawValue)
        bindings.append(subject.id)
        let rows = try await connection.query(
            PostgresQuery(
                sql: """
                    SELECT \(columns) FROM data_keys
                    WHERE practice_id = $1 AND subject_kind = $2 AND subject_id = $3 AND state = 'active'
                    """,
                bindings: bindings
            )
        )
        return try rows.singleRow().map(record)
    }

    /// Every data key, optionally only one subject's, oldest first.
    public static func dataKeys(
        subject: KeySubject? = nil,
        on connection: PostgresConnection
    ) async throws -> [DataKeyRecord] {
        let rows: PostgresRows
        if let subject {
            var bindings = PostgresBindings()
            bindings.append(subject.kind.rawValue)
            bindings.append(subject.id)
            rows = try await connection.query(
                PostgresQuery(
                    sql:
                        "SELECT \(columns) FROM data_keys WHERE subject_kind = $1 AND subject_id = $2 ORDER BY created_at, id",
                    bindings: bindings
                )
            )
        } else {
            rows = try await connection.query(
                PostgresQuery(sql: "SELECT \(columns) FROM data_keys ORDER BY created_at, id")
            )
        }
        return try rows.map(record)
    }

    /// Inserts a new active key for a subject. Returns `false` if the subject already has an active
    /// key (another process won the race); nothing is written then.
    public static func insertActiveKey(_ key: DataKeyRecord, on connection: PostgresConnection) async throws -> Bool {
        var bindings = PostgresBindings()
        bindings.append(key.id)
        bindings.append(key.practiceID)
        bindings.append(key.subject.kind.rawValue)
        bindings.append(key.subject.id)
        bindings.append(key.masterKeyVersion.map(Int32.init))
        bindings.append(key.wrappedKey)
        let inserted = try await connection.execute(
            PostgresQuery(
                sql: """
                    INSERT INTO data_keys (id, practice_id, subject_kind, subject_id, state, master_key_version, wrapped_key)
                    VALUES ($1, $2, $3, $4, 'active', $5, $6)
                    ON CONFLICT (practice_id, subject_kind, subject_id) WHERE state = 'active' DO NOTHING
                    """,
                bindings: bindings
            )
        )
        return inserted == 1
    }

    /// Replaces a key's wrapping (master key rotation). The key itself does not change.
    public static func rewrap(
        id: UUID,
        masterKeyVersion: Int,
        wrappedKey: [UInt8],
        on connection: PostgresConnection
    )
        async throws
    {
        var bindings = PostgresBindings()
        bindings.append(Int32(masterKeyVersion))
        bindings.append(wrappedKey)
        bindings.append(id)
        try await connection.execute(
            PostgresQuery(
                sql:
                    "UPDATE data_keys SET master_key_version = $1, wrapped_key = $2 WHERE id = $3 AND state <> 'shredded'",
                bindings: bindings
            )
        )
    }

    // MARK: - Sealed columns

    /// Every registered sealed column.
    public static func sealedColumns(on connection: PostgresConnection) async throws -> [SealedColumn] {
        try await connection.query(
            """
            SELECT table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column
            FROM sealed_columns ORDER BY table_name, column_name
            """
        ).map { row in
            let (table, column, keyColumn, rowColumn, kind, subjectColumn) = try row.decode(
                (String, String, String, String, String?, String).self
            )
            var subjectKind: KeySubject.Kind?
            if let kind {
                guard let parsed = KeySubject.Kind(rawValue: kind) else {
                    throw PostgresError(.invalidValue, message: "unknown subject kind", column: "subject_kind")
                }
                subjectKind = parsed
            }
            return SealedColumn(
                table: table,
                column: column,
                keyIDColumn: keyColumn,
                rowIDColumn: rowColumn,
                subjectKind: subjectKind,
                subjectColumn: subjectColumn
            )
        }
    }

    /// Registers a sealed column (migrations do this in SQL; tests use it for their own tables).
    public static func register(_ column: SealedColumn, on connection: PostgresConnection) async throws {
        var bindings = PostgresBindings()
        bindings.append(column.table)
        bindings.append(column.column)
        bindings.append(column.keyIDColumn)
        bindings.append(column.rowIDColumn)
        bindings.append(column.subjectKind?.rawValue)
        bindings.append(column.subjectColumn)
        try await connection.execute(
            PostgresQuery(
                sql: """
                    INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
                    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (table_name, column_name) DO NOTHING
                    """,
                bindings: bindings
            )
        )
    }

    /// One sealed value as stored: where it is, which key sealed it, and its bytes.
    public struct StoredValue: Sendable {
        public var rowID: String
        public var subjectID: String
        public var keyID: UUID
        public var sealed: [UInt8]
    }

    /// A page of a sealed column's non-NULL values, in row-id order after `afterRowID`, optionally
    /// only those sealed with `keyID`.
    public static func values(
        of column: SealedColumn,
        keyID: UUID? = nil,
        afterRowID: String? = nil,
        limit: Int,
        on connection: PostgresConnection
    ) async throws -> [StoredValue] {
        var query: PostgresQuery = """
            SELECT \(identifier: column.rowIDColumn)::text, \(identifier: column.subjectColumn)::text, \
            \(identifier: column.keyIDColumn), \(identifier: column.column) \
            FROM \(identifier: column.table) WHERE \(identifier: column.column) IS NOT NULL
            """
        if let keyID {
            query.bindings.append(keyID)
            query.sql += " AND \(quoteIdentifier(column.keyIDColumn)) = $\(query.bindings.count)"
        }
        if let afterRowID {
            query.bindings.append(afterRowID)
            query.sql += " AND \(quoteIdentifier(column.rowIDColumn))::text > $\(query.bindings.count)"
        }
        query.bindings.append(limit)
        query.sql += " ORDER BY \(quoteIdentifier(column.rowIDColumn))::text LIMIT $\(query.bindings.count)"
        return try await connection.query(query).map { row in
            let (rowID, subjectID, keyID, sealed) = try row.decode((String, String, UUID, [UInt8]).self)
            return StoredValue(rowID: rowID, subjectID: subjectID, keyID: keyID, sealed: sealed)
        }
    }

    /// Replaces one sealed value, only if it is still the one that was read (a concurrent writer
    /// wins). Returns whether the row was updated.
    public static func replace(
        _ value: StoredValue,
        in column: SealedColumn,
        with sealed: [UInt8],
        keyID: UUID,
        on connection: PostgresConnection
    ) async throws -> Bool {
        let query: PostgresQuery = """
            UPDATE \(identifier: column.table) SET \(identifier: column.column) = \(sealed), \
            \(identifier: column.keyIDColumn) = \(keyID) \
            WHERE \(identifier: column.rowIDColumn)::text = \(value.rowID) AND \(identifier: column.column) = \(value.sealed)
            """
        return try await connection.execute(query) == 1
    }

    /// How many values each key protects in one sealed column (one indexed query).
    public static func valueCounts(
        in column: SealedColumn,
        on connection: PostgresConnection
    ) async throws -> [UUID: Int] {
        let query: PostgresQuery = """
            SELECT \(identifier: column.keyIDColumn), count(*) FROM \(identifier: column.table) \
            WHERE \(identifier: column.column) IS NOT NULL GROUP BY 1
            """
        var counts: [UUID: Int] = [:]
        for row in try await connection.query(query) {
            let (id, count) = try row.decode((UUID, Int).self)
            counts[id] = count
        }
        return counts
    }

    private static func bind<Value: PostgresEncodable>(_ value: Value) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(value)
        return bindings
    }
}

extension KeyStore {
    /// Appends a key event (ids only) in the caller's transaction.
    public static func recordEvent(
        action: String,
        practiceID: UUID? = nil,
        subject: KeySubject? = nil,
        keyIDs: [UUID] = [],
        masterKeyVersion: Int? = nil,
        source: String,
        on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO key_events (action, practice_id, subject_kind, subject_id, key_ids, master_key_version, source)
            VALUES (\(action), \(practiceID), \(subject?.kind.rawValue), \(subject?.id), \(keyIDs), \
            \(masterKeyVersion.map(Int32.init)), \(source))
            """
        )
    }
}
