import Foundation
import Postgres

extension KeyStore {
    /// Retires a subject's active key (before a new one is inserted), marking it pending until its
    /// values have been re-encrypted.
    public static func retireActiveKey(id: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            UPDATE data_keys SET state = 'retired', retired_at = now(), rotation_pending = true
            WHERE id = \(id) AND state = 'active'
            """
        )
    }

    /// Whether the subject has a rotation that has not finished (a retired key still pending).
    public static func hasPendingRotation(
        practiceID: UUID,
        subject: KeySubject,
        on connection: PostgresConnection
    ) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT count(*) FROM data_keys WHERE practice_id = \(practiceID) AND subject_kind = \(subject.kind.rawValue)
            AND subject_id = \(subject.id) AND rotation_pending
            """
        )
        return try rows[0].decode(0, as: Int.self) > 0
    }

    /// Marks a subject's rotation finished.
    public static func finishRotation(
        practiceID: UUID,
        subject: KeySubject,
        on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            """
            UPDATE data_keys SET rotation_pending = false WHERE practice_id = \(practiceID)
            AND subject_kind = \(subject.kind.rawValue) AND subject_id = \(subject.id) AND rotation_pending
            """
        )
    }

    /// Starts a rotation of every subject, or finds the one a killed or failed run left unfinished.
    /// Returns when it started: subjects whose active key is newer were rotated by it already.
    public static func beginRotationOfAll(source: String, on connection: PostgresConnection) async throws -> Date {
        try await connection.execute("SELECT pg_advisory_xact_lock(8, 0)")
        let last = try await connection.query(
            """
            SELECT action, occurred_at FROM key_events WHERE action IN ('rotate-data-all', 'rotate-data-all-done')
            ORDER BY id DESC LIMIT 1
            """
        ).singleRow().map { try $0.decode((String, Date).self) }
        if let last, last.0 == "rotate-data-all" { return last.1 }
        return try await connection.query(
            "INSERT INTO key_events (action, source) VALUES ('rotate-data-all', \(source)) RETURNING occurred_at"
        )[0].decode(0, as: Date.self)
    }

    /// Records that the rotation of every subject has finished; the next one starts afresh.
    public static func finishRotationOfAll(source: String, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "INSERT INTO key_events (action, source) VALUES ('rotate-data-all-done', \(source))"
        )
    }

    /// The retired keys whose subject's rotation has not finished.
    public static func pendingRotationKeyIDs(on connection: PostgresConnection) async throws -> Set<UUID> {
        Set(
            try await connection.query("SELECT id FROM data_keys WHERE rotation_pending").map {
                try $0.decode(0, as: UUID.self)
            }
        )
    }

    /// Locks keys' rows against a concurrent shred until the transaction ends; returns their states.
    public static func lockKeyStates(_ ids: [UUID], on connection: PostgresConnection) async throws -> [UUID: String] {
        var states: [UUID: String] = [:]
        for row in try await connection.query("SELECT id, state FROM data_keys WHERE id = ANY(\(ids)) FOR SHARE") {
            let (id, state) = try row.decode((UUID, String).self)
            states[id] = state
        }
        return states
    }

    /// Destroys every key of a subject. Returns the ids of the keys shredded.
    public static func shred(subject: KeySubject, on connection: PostgresConnection) async throws -> [UUID] {
        try await connection.query(
            """
            UPDATE data_keys SET state = 'shredded', wrapped_key = NULL, master_key_version = NULL,
            shredded_at = now(), rotation_pending = false
            WHERE subject_kind = \(subject.kind.rawValue) AND subject_id = \(subject.id) AND state <> 'shredded'
            RETURNING id
            """
        ).map { try $0.decode(0, as: UUID.self) }
    }

    /// Data keys not yet shredded that are wrapped under a master key version below `version`
    /// (a blocking read: it waits for rows other transactions hold).
    public static func countWrappedBelow(_ version: Int, on connection: PostgresConnection) async throws -> Int {
        try await connection.query(
            "SELECT count(*) FROM data_keys WHERE state <> 'shredded' AND master_key_version < \(Int32(version))"
        )[0].decode(0, as: Int.self)
    }
}
