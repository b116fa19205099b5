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
        /// Where each unreadable value is.
        public var unreadableValues: [RotationFailure] = []
        /// Subjects whose pass stopped on an error (the batch at fault rolled back; the subject stays
        /// pending, its values readable under the retired key); the run went on with the others.
        public var failedSubjects: [RotationFailure] = []
        /// Subjects left alone because they were shredded (or re-keyed) while the rotation ran.
        public var abandoned = 0
        /// Subjects an interrupted rotation of every subject had already finished (not rotated again).
        public var alreadyRotated = 0
        /// Values still under retired keys when the pass ended (unreadable ones, or written under the
        /// old key while the pass ran); the next rotation moves them.
        public var leftOnRetiredKeys = 0
    }

    /// A subject, or one of its values, that a rotation could not move: ids and names only, never a
    /// value.
    public struct RotationFailure: Sendable, Equatable, CustomStringConvertible {
        /// The subject, as `kind:id`.
        public var subject: String
        /// Where it stopped, when a value was at fault.
        public var table: String?
        public var column: String?
        public var rowID: String?
        /// The kind of error: a SQLSTATE and constraint, or a sealing error's kind.
        public var reason: String

        public var description: String {
            let place = table.map { table in
                " at \(table).\(column ?? "?")" + (rowID.map { " row \($0)" } ?? "")
            }
            return "\(subject)\(place ?? ""): \(reason)"
        }
    }

    /// Gives a subject (or every subject) a new data key, then re-encrypts its values under it, in
    /// batches, each batch its own transaction. Online: writers keep working (new writes use the new
    /// key). Resumable: a subject whose rotation was interrupted (its retired key is still marked
    /// pending) is finished without creating another key; nothing is unreadable in between, since
    /// retired keys still open their values. A subject shredded meanwhile is left alone. A subject
    /// whose pass fails (a database refusal, say) is reported in `failedSubjects` and the run goes on
    /// with the next; only a lost database stops the run.
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
        // Rotating every subject resumes an unfinished run: subjects it already re-keyed are done.
        let since =
            subject == nil
            ? try await pool.transaction { try await KeyStore.beginRotationOfAll(source: source, on: $0) } : nil
        var report = DataRotationReport()
        var budget = maxBatches
        for (practiceID, subject) in subjects {
            let relevant = columns.filter { $0.subjectKind == nil || $0.subjectKind == subject.kind }
            do {
                let more = try await rotateSubject(
                    subject,
                    practiceID: practiceID,
                    columns: relevant,
                    pool: pool,
                    batchSize: batchSize,
                    rotatedSince: since,
                    budget: &budget,
                    report: &report,
                    source: source
                )
                if !more { return report }
            } catch let stop as RotationStop {
                report.failedSubjects.append(
                    RotationFailure(
                        subject: subject.description,
                        table: stop.column.table,
                        column: stop.column.column,
                        rowID: stop.rowID,
                        reason: Self.reason(stop.error)
                    )
                )
            } catch let error where !Self.stopsTheRun(error) {
                report.failedSubjects.append(RotationFailure(subject: subject.description, reason: Self.reason(error)))
            }
        }
        if subject == nil, report.failedSubjects.isEmpty {
            try await pool.transaction { try await KeyStore.finishRotationOfAll(source: source, on: $0) }
        }
        return report
    }

    /// One subject's rotation; a subject whose active key is from `rotatedSince` on is done already.
    /// Returns `false` when `budget` ran out.
    private func rotateSubject(
        _ subject: KeySubject,
        practiceID: UUID,
        columns relevant: [SealedColumn],
        pool: ConnectionPool,
        batchSize: Int,
        rotatedSince: Date?,
        budget: inout Int?,
        report: inout DataRotationReport,
        source: String
    ) async throws -> Bool {
        let pending = try await pool.withConnection { connection in
            try await KeyStore.hasPendingRotation(practiceID: practiceID, subject: subject, on: connection)
        }
        if !pending {
            if let rotatedSince,
                let active = try await pool.withConnection({ connection in
                    try await KeyStore.activeKey(practiceID: practiceID, subject: subject, on: connection)
                }), active.createdAt >= rotatedSince
            {
                report.alreadyRotated += 1
                return true
            }
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
            return true
        }
        let sources = keys.filter { $0.state == .retired }.map(\.id)
        for sourceKey in sources {
            for column in relevant {
                var cursor: String?
                while true {
                    if let remaining = budget, remaining <= 0 { return false }
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
                        return true
                    }
                    report.reencrypted += batch.moved
                    report.skipped += batch.skipped
                    report.unreadable += batch.unreadable.count
                    report.unreadableValues += batch.unreadable.map {
                        RotationFailure(
                            subject: subject.description,
                            table: column.table,
                            column: column.column,
                            rowID: $0.rowID,
                            reason: $0.reason
                        )
                    }
                    guard let last = batch.lastRowID else { break }
                    // Only batches that found values count towards `maxBatches`.
                    budget = budget.map { $0 - 1 }
                    cursor = last
                }
            }
        }
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
        return true
    }

    /// A value whose re-encryption the database refused; its batch rolled back.
    private struct RotationStop: Error {
        var column: SealedColumn
        var rowID: String
        var error: any Error
    }

    /// Errors that end the whole run rather than one subject's pass: the database is gone.
    private static func stopsTheRun(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return error is CancellationError }
        return [.connectionFailed, .connectionLost, .connectionClosed, .poolClosed, .poolTimeout].contains(error.code)
    }

    /// What went wrong, in ids and names only: the SQLSTATE and constraint, or the sealing error's kind.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case let error as PostgresError:
            let details = [error.sqlState.map { "SQLSTATE \($0)" }, error.constraint.map { "constraint \($0)" }]
                .compactMap { $0 }
            return "\(error.code)" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
        case let error as SealingError:
            return error.kind.rawValue
        default:
            return "unexpected error (\(type(of: error)))"
        }
    }

    private struct Batch: Sendable {
        var moved = 0
        var skipped = 0
        var unreadable: [(rowID: String, reason: String)] = []
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
            } catch let error as SealingError {
                batch.unreadable.append((value.rowID, error.kind.rawValue))
                continue
            }
            defer { wipe(&plaintext) }
            let resealed = try Sealer.seal(plaintext, with: new, context: context)
            let replaced: Bool
            do {
                replaced = try await KeyStore.replace(value, in: column, with: resealed, keyID: target, on: connection)
            } catch let error where !Self.stopsTheRun(error) {
                throw RotationStop(column: column, rowID: value.rowID, error: error)
            }
            if replaced {
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
        /// A retired key whose subject's rotation was interrupted or failed (`rotate-data` resumes it).
        public var rotationPending: Bool
    }

    /// A subject a rotation has not finished with: values still under its retired keys.
    public struct UnfinishedRotation: Sendable, Equatable {
        public var subject: String
        /// Values its retired keys still protect.
        public var values: Int
        /// Whether its rotation was interrupted or failed (rather than values written under the old
        /// key while the pass ran).
        public var pending: Bool
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

        /// Subjects with values left under retired keys, or a rotation still pending, oldest key first.
        public var unfinishedRotations: [UnfinishedRotation] {
            var result: [UnfinishedRotation] = []
            for key in dataKeys where key.state == "retired" && (key.values > 0 || key.rotationPending) {
                if let index = result.firstIndex(where: { $0.subject == key.subject }) {
                    result[index].values += key.values
                    result[index].pending = result[index].pending || key.rotationPending
                } else {
                    result.append(
                        UnfinishedRotation(subject: key.subject, values: key.values, pending: key.rotationPending)
                    )
                }
            }
            return result
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
            let pending = try await KeyStore.pendingRotationKeyIDs(on: connection)
            let keys = try await KeyStore.dataKeys(on: connection).map { record in
                KeyStatus(
                    id: record.id,
                    subject: record.subject.description,
                    state: record.state.rawValue,
                    masterKeyVersion: record.masterKeyVersion,
                    values: counts[record.id] ?? 0,
                    createdAt: record.createdAt,
                    rotationPending: pending.contains(record.id)
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
