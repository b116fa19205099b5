import Foundation
import HavenStore
import Postgres

extension PracticeService {
    /// The practice's encryption keys as its admins see them: counts only, for this practice only (the
    /// application role reads `data_keys` through its practice's row policy, as it must to open
    /// values, and the master key versions and keyring settings, which hold no key). The whole keyring
    /// (every practice, whether this server holds each master key, the values each data key protects)
    /// is `haven keys status` on the server host, as the database's owner.
    public struct KeyStatus: Sendable, Equatable {
        /// One master key version: its state and how many of the practice's data keys it wraps.
        public struct MasterKey: Sendable, Equatable {
            public var version: Int
            public var state: String
            public var dataKeys: Int
        }

        /// The practice's data keys in one state under one master key version (none when shredded).
        public struct DataKeys: Sendable, Equatable {
            public var state: String
            public var masterKeyVersion: Int?
            public var count: Int
            /// Retired keys whose rotation has not finished moving their values.
            public var rotationPending: Int
        }

        public var masterKeys: [MasterKey]
        public var dataKeys: [DataKeys]
        /// The oldest master key version the keyring still accepts for wrapping.
        public var minimumMasterKeyVersion: Int
    }

    /// The key status for an admin, in one snapshot; the read is audited as `keys.status`.
    ///
    /// - Throws: `forbidden` unless the actor is an admin (audited as `keys.status` denied).
    public func keyStatus(actor: StaffActor) async throws -> KeyStatus {
        try await requireAdmin(actor, action: .keyStatus, "only admins see the practice's key status")
        let entry = AuditEvent(action: .keyStatus, entityType: .practice, entityID: actor.practiceID)
        return try await pool.snapshot(as: actor) { connection in
            var status = KeyStatus(masterKeys: [], dataKeys: [], minimumMasterKeyVersion: 1)
            let rows = try await connection.query(
                """
                SELECT 'master', m.state, m.version,
                       (SELECT count(*)::int8 FROM data_keys k WHERE k.master_key_version = m.version), 0::int8
                FROM master_key_versions m
                UNION ALL
                SELECT 'data', k.state, k.master_key_version, count(*), count(*) FILTER (WHERE k.rotation_pending)
                FROM data_keys k GROUP BY k.state, k.master_key_version
                UNION ALL
                SELECT 'minimum', NULL, s.minimum_master_key_version, 0, 0 FROM keyring_settings s
                ORDER BY 1, 3, 2
                """
            )
            for row in rows {
                let (kind, state, version, keys, pending) = try row.decode((String, String?, Int?, Int, Int).self)
                switch (kind, state, version) {
                case ("master", let state?, let version?):
                    status.masterKeys.append(.init(version: version, state: state, dataKeys: keys))
                case ("data", let state?, _):
                    status.dataKeys.append(
                        .init(state: state, masterKeyVersion: version, count: keys, rotationPending: pending)
                    )
                case ("minimum", _, let version?):
                    status.minimumMasterKeyVersion = version
                default:
                    throw ServiceError(.integrity, "the key status read an unknown row")
                }
            }
            return (status, AuditStore.appendStatements(entry))
        }
    }
}
