import Foundation
import Postgres
import Sealing

/// SQL for the audit log: appends (computed in the database from the previous entry, hash-chained per
/// practice in commit order, fine under READ COMMITTED), queries, and chain verification.
///
/// An append whose practice's chain lock is busy is written pending, durable with its transaction, and
/// chained by the lock's next holder (migration 0063; docs/security.md, "Chaining in commit order"):
/// `verify` and `list` chain what is pending first, `chainPending` is `haven serve`'s pass.
public enum AuditStore {
    /// The previous hash of a practice's first entry.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// The statement that appends `event` in the caller's transaction, as the transaction's context
    /// (`haven_audit_append`: the database computes the entry's place in the practice's chain and takes
    /// the actor, source, request id and time from the context). Send it with the rest of the
    /// transaction's statements in one pipeline; it returns `seq` and `hash`.
    public static func appendStatements(_ event: AuditEvent) -> [PostgresQuery] {
        [
            """
            SELECT seq, hash FROM haven_audit_append(\(event.action.rawValue), \(event.entityType?.rawValue), \(event.entityID), \
            \(event.clientIDs), \(event.outcome.rawValue), \(event.digest))
            """
        ]
    }

    /// Appends one entry as the caller's transaction commits, in COMMIT's round trip: the practice's
    /// append lock is then held for the commit alone, not across the transaction's other round trips.
    public static func appendAtCommit(_ event: AuditEvent, on connection: isolated PostgresConnection) throws {
        try connection.sendWithCommit(appendStatements(event))
    }

    /// Appends one entry in the caller's transaction (one round trip). Returns its place in the chain,
    /// or `nil` when it was written pending (another transaction held the practice's chain lock).
    @discardableResult
    public static func append(
        _ event: AuditEvent,
        on connection: PostgresConnection
    ) async throws -> (seq: Int, hash: [UInt8])? {
        let results = try await connection.pipeline(appendStatements(event))
        let (seq, hash) = try results[0][0].decode((Int?, [UInt8]?).self)
        guard let seq, let hash else { return nil }
        return (seq, hash)
    }

    /// Chains a practice's pending entries, waiting for its chain lock: afterwards every entry committed
    /// before the call has its place. Call it outside a transaction, or in a READ COMMITTED one (the
    /// database refuses another isolation level: an older snapshot could see an older head).
    public static func chain(practiceID: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("SELECT haven_audit_chain(\(practiceID), true)")
    }

    /// Chains every practice's pending entries whose chain lock is free (`haven serve`'s pass).
    public static func chainPending(on connection: PostgresConnection) async throws {
        try await connection.execute("SELECT haven_audit_chain_pending()")
    }

    private static let columns: StaticString = """
        practice_id, seq, occurred_at, staff_id, staff_roles, break_glass, action, entity_type, entity_id, \
        client_ids, outcome, source, request_id, previous_hash, hash, digest, partner_client_id
        """

    private static func stored(_ row: PostgresRow) throws -> StoredAuditEntry {
        let (practice, seq, occurred, staff, roles, breakGlass, action, entityType) = try row.decode(
            (UUID, Int, Date, UUID?, [String], Bool, String, String?).self
        )
        let entityID = try row.decode(8, as: UUID?.self)
        let clients = try row.decode(9, as: [UUID].self)
        let outcome = try row.decode(10, as: String.self)
        let source = try row.decode(11, as: String.self)
        let requestID = try row.decode(12, as: String?.self)
        let previous = try row.decode(13, as: [UInt8].self)
        let hash = try row.decode(14, as: [UInt8].self)
        let digest = try row.decode(15, as: [UInt8]?.self)
        let partner = try row.decode(16, as: UUID?.self)
        guard let outcomeValue = AuditEntry.Outcome(rawValue: outcome) else {
            throw PostgresError(.invalidValue, message: "unknown audit outcome", column: "outcome")
        }
        let entry = AuditEntry(
            practiceID: practice,
            occurredAt: occurred,
            staffID: staff,
            staffRoles: roles,
            breakGlass: breakGlass,
            action: action,
            entityType: entityType,
            entityID: entityID,
            clientIDs: clients,
            outcome: outcomeValue,
            source: source,
            requestID: requestID,
            digest: digest,
            partnerClientID: partner
        )
        return StoredAuditEntry(seq: seq, entry: entry, previousHash: previous, hash: hash)
    }

    /// Filters for listing entries; every field optional, any date range.
    public struct Filter: Sendable {
        public var practiceID: UUID
        public var clientID: UUID?
        public var staffID: UUID?
        public var action: String?
        public var from: Date?
        public var to: Date?
        /// Only entries made under break-glass access.
        public var breakGlassOnly: Bool
        public var outcome: AuditEntry.Outcome?
        /// Only entries after this sequence number (the cursor of a paged read, oldest first).
        public var afterSeq: Int?
        /// Only entries before this sequence number (the cursor of a newest-first read: "older entries").
        public var beforeSeq: Int?
        /// At most this many entries, taken from the start of `order`: with `.newestFirst`, the latest.
        public var limit: Int
        public var order: Order

        /// Which end of the log a listing starts from.
        public enum Order: Sendable {
            /// Ascending seq (the API's pages, a chain walk).
            case oldestFirst
            /// Descending seq: the latest `limit` entries, newest first.
            case newestFirst
        }

        public init(
            practiceID: UUID,
            clientID: UUID? = nil,
            staffID: UUID? = nil,
            action: String? = nil,
            from: Date? = nil,
            to: Date? = nil,
            breakGlassOnly: Bool = false,
            outcome: AuditEntry.Outcome? = nil,
            afterSeq: Int? = nil,
            beforeSeq: Int? = nil,
            limit: Int = 1_000,
            order: Order = .oldestFirst
        ) {
            self.practiceID = practiceID
            self.clientID = clientID
            self.staffID = staffID
            self.action = action
            self.from = from
            self.to = to
            self.breakGlassOnly = breakGlassOnly
            self.outcome = outcome
            self.afterSeq = afterSeq
            self.beforeSeq = beforeSeq
            self.limit = limit
            self.order = order
        }
    }

    /// Entries matching the filter, in its order (oldest first unless it says otherwise), after chaining
    /// the practice's pending entries (`chain`; pass `chainFirst: false` inside a transaction that chained
    /// before it began).
    public static func list(
        _ filter: Filter,
        chainFirst: Bool = true,
        on connection: PostgresConnection
    ) async throws -> [StoredAuditEntry] {
        if chainFirst { try await chain(practiceID: filter.practiceID, on: connection) }
        let direction: StaticString = filter.order == .newestFirst ? "DESC" : "ASC"
        let query: PostgresQuery = """
            SELECT \(unescaped: columns) FROM audit_log
            WHERE practice_id = \(filter.practiceID) AND seq > \(filter.afterSeq ?? 0)
              AND (\(filter.beforeSeq)::bigint IS NULL OR seq < \(filter.beforeSeq))
              AND (\(filter.clientID)::uuid IS NULL OR client_ids @> ARRAY[\(filter.clientID)::uuid])
              AND (\(filter.staffID)::uuid IS NULL OR staff_id = \(filter.staffID))
              AND (\(filter.action)::text IS NULL OR action = \(filter.action))
              AND (\(filter.from)::timestamptz IS NULL OR occurred_at >= \(filter.from))
              AND (\(filter.to)::timestamptz IS NULL OR occurred_at < \(filter.to))
              AND (NOT \(filter.breakGlassOnly) OR break_glass)
              AND (\(filter.outcome?.rawValue)::text IS NULL OR outcome = \(filter.outcome?.rawValue))
            ORDER BY seq \(unescaped: direction) LIMIT \(filter.limit)
            """
        return try await connection.query(query).map(stored)
    }

    /// A broken link in a practice's chain.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        /// The first entry whose link does not hold.
        public var seq: Int
        public var reason: String

        public var description: String { "audit entry \(seq): \(reason)" }
    }

    /// Walks a practice's chain from the start and returns the first broken link, or `nil` when the
    /// chain is intact. Also returns the head (last seq and hash) and the number of entries. Chains the
    /// practice's pending entries first (`chain`; pass `chainFirst: false` inside a transaction that
    /// chained before it began).
    public static func verify(
        practiceID: UUID,
        chainFirst: Bool = true,
        on connection: PostgresConnection,
        pageSize: Int = 5_000
    ) async throws -> (firstBreak: Break?, count: Int, head: (seq: Int, hash: [UInt8])?) {
        if chainFirst { try await chain(practiceID: practiceID, on: connection) }
        var expectedSeq = 1
        var previous = genesisHash
        var count = 0
        while true {
            let page = try await connection.query(
                """
                SELECT \(unescaped: columns) FROM audit_log
                WHERE practice_id = \(practiceID) AND seq >= \(expectedSeq) ORDER BY seq LIMIT \(pageSize)
                """
            ).map(stored)
            if page.isEmpty { break }
            for stored in page {
                if stored.seq != expectedSeq {
                    return (Break(seq: expectedSeq, reason: "missing (deleted or renumbered)"), count, nil)
                }
                if stored.previousHash != previous {
                    return (
                        Break(seq: stored.seq, reason: "does not follow the entry before it (reordered or edited)"),
                        count, nil
                    )
                }
                if stored.hash != stored.entry.hash(seq: stored.seq, previousHash: previous) {
                    return (Break(seq: stored.seq, reason: "content does not match its hash (edited)"), count, nil)
                }
                previous = stored.hash
                expectedSeq += 1
                count += 1
            }
        }
        return (nil, count, count == 0 ? nil : (expectedSeq - 1, previous))
    }
}
