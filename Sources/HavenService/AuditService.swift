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

    /// Entries matching `filter` (its practice is the actor's), oldest first.
    ///
    /// - Throws: `forbidden` unless the actor is an admin; `invalidInput` naming `limit` (1–1,000).
    public func list(_ filter: AuditStore.Filter, actor: StaffActor) async throws -> [StoredAuditEntry] {
        guard (1...1_000).contains(filter.limit) else {
            throw ServiceError(.invalidInput, field: "limit", "must be 1 to 1000")
        }
        var scoped = filter
        scoped.practiceID = actor.practiceID
        let practiceFilter = scoped
        return try await asAdmin(action: "audit.list", actor: actor) { connection in
            try await AuditStore.list(practiceFilter, on: connection)
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
        try await asAdmin(action: "audit.verify", actor: actor) { connection in
            let result = try await AuditStore.verify(practiceID: actor.practiceID, on: connection)
            return Verification(
                firstBreak: result.firstBreak,
                count: result.count,
                headSeq: result.head?.seq,
                headHash: result.head?.hash
            )
        }
    }

    /// Runs `body` in a repeatable-read transaction as an admin and audits the read in it (the entry
    /// lands after the snapshot, so it is not in what it reads); a non-admin is refused and audited.
    private func asAdmin<Value: Sendable>(
        action: String,
        actor: StaffActor,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        guard actor.roles.contains(.admin) else {
            throw try await pool.recordingDenial(
                ServiceError(.forbidden, "only admins read the audit log"),
                action: action,
                entityType: "practice",
                entityID: actor.practiceID,
                actor: actor
            )
        }
        return try await pool.transaction(as: actor, isolation: .repeatableRead) { connection in
            let value = try await body(connection)
            AuditStore.appendAtCommit(
                AuditEntry(
                    actor: actor,
                    action: action,
                    entityType: "practice",
                    entityID: actor.practiceID,
                    outcome: .success
                ),
                on: connection
            )
            return value
        }
    }
}
