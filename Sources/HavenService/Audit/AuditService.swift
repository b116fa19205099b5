import Foundation
import HavenStore
import Postgres

/// The practice's audit log for its admins (HIPAA's audit controls): filtered pages of entries and
/// a check of the hash chain. Entries hold ids, never clinical text. Reading the log is itself
/// audited; anyone but an admin is refused, and the refusal audited.
public struct AuditService: Sendable {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// Entries matching `filter` (its practice is the actor's), in its order (oldest first by default).
    ///
    /// - Throws: `forbidden` unless the actor is an admin; `invalidInput` naming `limit` (1–1,000) or
    ///   `action` (not one of `AuditEvent.Action`'s catalogue, which lists every action the log holds:
    ///   a filter on anything else could only ever match nothing).
    public func list(_ filter: AuditStore.Filter, actor: StaffActor) async throws -> [StoredAuditEntry] {
        guard (1...1_000).contains(filter.limit) else {
            throw ServiceError(.invalidInput, field: "limit", "must be 1 to 1000")
        }
        if let action = filter.action, AuditEvent.Action(rawValue: action) == nil {
            throw ServiceError(
                .invalidInput,
                field: "action",
                "is not an audit action; one of: "
                    + AuditEvent.Action.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        var scoped = filter
        scoped.practiceID = actor.practiceID
        let practiceFilter = scoped
        return try await asAdmin(action: .auditList, actor: actor) { connection in
            try await AuditStore.list(practiceFilter, chainFirst: false, on: connection)
        }
    }

    /// The outcome of walking the practice's chain.
    public struct Verification: Sendable, Equatable {
        /// The first entry whose link does not hold, if any.
        public var firstBreak: AuditStore.Break?
        public var count: Int
        public var headSeq: Int?
        public var headHash: [UInt8]?
    }

    /// Walks the practice's whole chain, recomputing every hash.
    ///
    /// - Throws: `forbidden` unless the actor is an admin.
    public func verify(actor: StaffActor) async throws -> Verification {
        try await asAdmin(action: .auditVerify, actor: actor) { connection in
            let result = try await AuditStore.verify(practiceID: actor.practiceID, chainFirst: false, on: connection)
            return Verification(
                firstBreak: result.firstBreak,
                count: result.count,
                headSeq: result.head?.seq,
                headHash: result.head?.hash
            )
        }
    }

    /// Refuses (and audits the refusal of) anyone but an admin: callers check this before anything
    /// else about a request, so a refused caller learns nothing and is always on record.
    ///
    /// - Throws: `forbidden`.
    public func authorize(action: AuditEvent.Action, actor: StaffActor) async throws {
        guard actor.roles.contains(.admin) else {
            throw try await pool.recordingDenial(
                ServiceError(.forbidden, "only admins read the audit log"),
                action: action,
                entityType: .practice,
                entityID: actor.practiceID,
                actor: actor
            )
        }
    }

    /// Runs `body` in one repeatable-read snapshot as an admin, then audits the read (after the
    /// snapshot, so the entry is not in what it read).
    private func asAdmin<Value: Sendable>(
        action: AuditEvent.Action,
        actor: StaffActor,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await authorize(action: action, actor: actor)
        // Chained before the snapshot begins, so the snapshot sees every entry committed until now in
        // its place (an entry written pending is chained by the lock's next holder: AuditStore).
        try await pool.withConnection { try await AuditStore.chain(practiceID: actor.practiceID, on: $0) }
        let entry = AuditEvent(action: action, entityType: .practice, entityID: actor.practiceID)
        return try await pool.snapshot(as: actor) { connection in
            (try await body(connection), AuditStore.appendStatements(entry))
        }
    }
}
