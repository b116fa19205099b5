import Foundation
import HavenStore
import Postgres
import Sealing

extension KeyManager {
    // MARK: - Master key rotation

    /// Rewraps every data key under the newest loaded master key, in batches, then raises the floor
    /// so older master keys are no longer needed. No sealed value is touched. Safe to re-run, and the
    /// floor is raised only once no data key is left under an older version.
    ///
    /// - Returns: how many data keys were rewrapped.
    @discardableResult
    public func rotateMaster(pool: ConnectionPool, batchSize: Int = 200, source: String = "haven") async throws -> Int {
        try await pool.withConnection { try await self.checkMasterKeys(on: $0) }
        let target = ring.currentVersion
        var total = 0
        for _ in 0..<100 {
            while true {
                let done = try await pool.transaction { connection in
                    let rows = try await connection.query(
                        """
                        SELECT id, subject_kind, subject_id, master_key_version, wrapped_key FROM data_keys
                        WHERE state <> 'shredded' AND master_key_version < \(Int32(target))
                        ORDER BY id LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                        """
                    )
                    for row in rows {
                        let (id, kind, subjectID, version, wrapped) = try row.decode(
                            (UUID, String, String, Int, [UInt8]).self
                        )
                        let context = MasterKeyring.WrapContext(
                            keyID: bytes(of: id),
                            subjectKind: kind,
                            subjectID: subjectID
                        )
                        let secret = try self.ring.unwrap(wrapped, kekVersion: version, context: context)
                        let rewrapped = try self.ring.wrap(secret, context: context, version: target)
                        try await KeyStore.rewrap(
                            id: id,
                            masterKeyVersion: target,
                            wrappedKey: rewrapped.wrapped,
                            on: connection
                        )
                    }
                    return rows.count
                }
                total += done
                if done == 0 { break }
            }
            // SKIP LOCKED passes over rows other transactions hold; raise the floor only once a blocking
            // count finds none left.
            let raised = try await pool.transaction { connection in
                guard try await KeyStore.countWrappedBelow(target, on: connection) == 0 else { return false }
                try await KeyStore.raiseMinimumMasterKeyVersion(to: target, on: connection)
                try await KeyStore.recordEvent(
                    action: "rotate-master",
                    masterKeyVersion: target,
                    source: source,
                    on: connection
                )
                return true
            }
            if raised { return total }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SealingError(
            .masterKey,
            detail: "data keys are still wrapped under an older version; run rotate-master again"
        )
    }

    // MARK: - Data key rotation

    /// What a data rotation did.
    public struct DataRotationReport: Sendable, Equatable {
        /// Subjects that got a new data key.
        public var newKeys = 0
        /// Values re-encrypted under the new keys.
        public var reencrypted = 0
        /// Values skipped because a concurrent writer replaced them first (already on the new key).
        public var skipped = 0
        /// Values that failed to open (corrupted or moved); left as they are. `keys verify` lists them.
        public var unreadable = 0
        /// Subjects left alone because they were shredded (or re-keyed) while the rotation ran.
        public var abandoned = 0
        /// Values still under retired keys when the pass ended (unreadable ones, or written under the
        /// old key while the pass ran); the next rotation moves them.
        public var leftOnRetiredKeys = 0
    }

    /// Gives a subject (or every subject) a new data key, then re-encrypts its values under it, in
    /// batches, each batch its own transaction. Online: writers keep working (new writes use the new
    /// key). Resumable: a subject whose rotation was interrupted (its retired key is still marked
    /// pending) is finished without creating another key; nothing is unreadable in between, since
    /// retired keys still open their values. A subject shredded meanwhile is left alone.
    ///
    /// - Parameters:
    ///   - subject: one subject, or `nil` for every subject with a key.
    ///   - maxBatches: stop after this many non-empty batches (for tests of interruption); `nil` runs
    ///     to the end.
    public func rotateData(
        subject: KeySubject?,
        pool: ConnectionPool,
        batchSize: Int = 200,
        maxBatches: Int? = nil,
        source: String = "haven"
    ) async throws -> DataRotationReport {
        let records = try await pool.withConnection { try await KeyStore.dataKeys(subject: subject, on: $0) }
        var subjects: [(practiceID: UUID, subject: KeySubject)] = []
        for record in records where record.state != .shredded {
            if !subjects.contains(where: { $0.practiceID == record.practiceID && $0.subject == record.subject }) {
                subjects.append((record.practiceID, record.subject))
            }
        }
        let columns = try await pool.withConnection { try await KeyStore.sealedColumns(on: $0) }
        var report = DataRotationReport()
        var budget = maxBatches
        for (practiceID, subject) in subjects {
            let relevant = columns.filter { $0.subjectKind == nil || $0.subjectKind == subject.kind }
            let pending = try await pool.withConnection { connection in
                try await KeyStore.hasPendingRotation(practiceID: practiceID, subject: subject, on: connection)
            }
            if !pending {
                try await pool.transaction { connection in
                    var keyIDs: [UUID] = []
                    if let active = try await KeyStore.activeKey(
                        practiceID: practiceID,
                        subject: subject,
                        on: connection
                    ) {
                        try await KeyStore.retireActiveKey(id: active.id, on: connection)
                        self.activeKeys.remove(subject: subject)
                        keyIDs.append(active.id)
                    }
                    keyIDs.append(try await self.activeKey(practiceID: practiceID, subject: subject, on: connection).id)
                    try await KeyStore.recordEvent(
                        action: "rotate-data",
                        practiceID: practiceID,
                        subject: subject,
                        keyIDs: keyIDs,
                        source: source,
                        on: connection
                    )
                }
                report.newKeys += 1
            }
            let keys = try await pool.withConnection { try await KeyStore.dataKeys(subject: subject, on: $0) }
                .filter { $0.practiceID == practiceID }
            guard let target = keys.first(where: { $0.state == .active }) else {
                report.abandoned += 1
                continue
            }
            let sources = keys.filter { $0.state == .retired }.map(\.id)
            var finished = true
            subjectLoop: for sourceKey in sources {
                for column in relevant {
                    var cursor: String?
                    while true {
                        if let remaining = budget, remaining <= 0 { return report }
                        let after = cursor
                        let batch = try await pool.transaction { connection in
                            try await self.reencryptBatch(
                                column: column,
                                from: sourceKey,
                                to: target.id,
                                after: after,
                                limit: batchSize,
                                on: connection
                            )
                        }
                        guard let batch else {
                            report.abandoned += 1
                            finished = false
                            break subjectLoop
                        }
                        report.reencrypted += batch.moved
                        report.skipped += batch.skipped
                        report.unreadable += batch.unreadable
                        guard let last = batch.lastRowID else { break }
                        // Only batches that found values count towards `maxBatches`.
                        budget = budget.map { $0 - 1 }
                        cursor = last
                    }
                }
            }
            guard finished else { continue }
            report.leftOnRetiredKeys += try await pool.transaction { connection in
                try await KeyStore.finishRotation(practiceID: practiceID, subject: subject, on: connection)
                var left = 0
                for sourceKey in sources {
                    for column in relevant {
                        left += try await KeyStore.valueCounts(in: column, on: connection)[sourceKey] ?? 0
                    }
                }
                return left
            }
        }
        return report
    }

    private struct Batch: Sendable {
        var moved = 0
        var skipped = 0
        var unreadable = 0
        /// The last row id seen, or `nil` when the column has no more values under the old key.
        var lastRowID: String?
    }

    /// Re-encrypts one page of values from `source` to `target`. Returns `nil` (and changes nothing)
    /// if either key changed state meanwhile: a shredded subject must stay erased, and only the key
    /// the rotation started with may receive values.
    private func reencryptBatch(
        column: SealedColumn,
        from source: UUID,
        to target: UUID,
        after: String?,
        limit: Int,
        on connection: PostgresConnection
    ) async throws -> Batch? {
        let states = try await KeyStore.lockKeyStates([source, target], on: connection)
        guard states[source] == "retired", states[target] == "active" else { return nil }
        let values = try await KeyStore.values(
            of: column,
            keyID: source,
            afterRowID: after,
            limit: limit,
            on: connection
        )
        var batch = Batch(lastRowID: values.last?.rowID)
        if values.isEmpty { return batch }
        let old = try await dataKey(id: source, on: connection)
        let new = try await dataKey(id: target, on: connection)
        for value in values {
            let context = column.context(for: value)
            var plaintext: [UInt8]
            do {
                plaintext = try Sealer.open(value.sealed, context: context) { _ in old }
            } catch is SealingError {
                batch.unreadable += 1
                continue
            }
            defer { wipe(&plaintext) }
            let resealed = try Sealer.seal(plaintext, with: new, context: context)
            if try await KeyStore.replace(value, in: column, with: resealed, keyID: target, on: connection) {
                batch.moved += 1
            } else {
                batch.skipped += 1
            }
        }
        return batch
    }

    // MARK: - Verification

    /// A value that failed to open (found by `verify`, or in a client export's `unreadableValues`).
    public struct VerificationFailure: Sendable, Equatable, Codable {
        public var table: String
        public var column: String
        public var rowID: String
        public var reason: String

        public init(table: String, column: String, rowID: String, reason: String) {
            self.table = table
            self.column = column
            self.rowID = rowID
            self.reason = reason
        }
    }

    /// What `verify` found.
    public struct VerificationReport: Sendable, Equatable {
        public var checked = 0
        public var failures: [VerificationFailure] = []
    }

    /// Opens every sealed value in every registered column and reports the ones that fail, by table
    /// and row id. Never returns or logs plaintext.
    public func verify(pool: ConnectionPool, batchSize: Int = 500) async throws -> VerificationReport {
        let columns = try await pool.withConnection { try await KeyStore.sealedColumns(on: $0) }
        var report = VerificationReport()
        for column in columns {
            var after: String?
            while true {
                let cursor = after
                let page = try await pool.withConnection { connection in
                    try await KeyStore.values(of: column, afterRowID: cursor, limit: batchSize, on: connection)
                }
                if page.isEmpty { break }
                for value in page {
                    let context = column.context(for: value)
                    do {
                        var plaintext = try await pool.withConnection {
                            try await self.open(value.sealed, context: context, on: $0)
                        }
                        wipe(&plaintext)
                    } catch let error as SealingError {
                        report.failures.append(
                            VerificationFailure(
                                table: column.table,
                                column: column.column,
                                rowID: value.rowID,
                                reason: error.kind.rawValue
                            )
                        )
                    }
                    report.checked += 1
                }
                after = page.last?.rowID
            }
        }
        return report
    }

    // MARK: - Shredding

    /// Destroys every data key of a subject: its values can never be opened again, by anyone.
    /// The shred is complete once the last backup holding the wrapped keys has expired.
    ///
    /// - Returns: the number of keys destroyed.
    public func shred(subject: KeySubject, pool: ConnectionPool, source: String = "haven") async throws -> Int {
        let ids = try await pool.transaction { connection in
            let ids = try await KeyStore.shred(subject: subject, on: connection)
            try await KeyStore.recordEvent(
                action: "shred",
                subject: subject,
                keyIDs: ids,
                source: source,
                on: connection
            )
            return ids
        }
        cache.remove(ids)
        activeKeys.remove(subject: subject)
        return ids.count
    }

    // MARK: - Status

    /// One data key's line in `keys status`.
    public struct KeyStatus: Sendable, Equatable {
        public var id: UUID
        public var subject: String
        public var state: String
        public var masterKeyVersion: Int?
        public var values: Int
        public var createdAt: Date
    }

    /// Master key versions, floors, and every data key with how many values it protects.
    public struct Status: Sendable, Equatable {
        public var masterKeyVersions: [(version: Int, state: String, loaded: Bool)]
        public var minimumMasterKeyVersion: Int
        public var minimumFormatVersion: Int
        public var dataKeys: [KeyStatus]

        public static func == (lhs: Status, rhs: Status) -> Bool {
            lhs.dataKeys == rhs.dataKeys && lhs.minimumMasterKeyVersion == rhs.minimumMasterKeyVersion
                && lhs.masterKeyVersions.map(\.version) == rhs.masterKeyVersions.map(\.version)
        }
    }

    /// The keyring's state, for `haven keys status`.
    public func status(pool: ConnectionPool) async throws -> Status {
        try await pool.withConnection { connection in
            let versions = try await KeyStore.masterKeyVersions(on: connection)
            let settings = try await KeyStore.settings(on: connection)
            var counts: [UUID: Int] = [:]
            for column in try await KeyStore.sealedColumns(on: connection) {
                counts.merge(try await KeyStore.valueCounts(in: column, on: connection)) { $0 + $1 }
            }
            let keys = try await KeyStore.dataKeys(on: connection).map { record in
                KeyStatus(
                    id: record.id,
                    subject: record.subject.description,
                    state: record.state.rawValue,
                    masterKeyVersion: record.masterKeyVersion,
                    values: counts[record.id] ?? 0,
                    createdAt: record.createdAt
                )
            }
            return Status(
                masterKeyVersions: versions.map { ($0.version, $0.state, self.ring.keys[$0.version] != nil) },
                minimumMasterKeyVersion: settings.minimumMasterKeyVersion,
                minimumFormatVersion: settings.minimumFormatVersion,
                dataKeys: keys
            )
        }
    }
}

extension SealedColumn {
    /// The context a stored value was sealed for: its table, column, row and subject.
    func context(for value: KeyStore.StoredValue) -> SealContext {
        SealContext(
            table: table,
            column: column,
            rowID: value.rowID,
            subject: subjectKind.map { KeySubject(kind: $0, id: value.subjectID).description } ?? value.subjectID
        )
    }
}
