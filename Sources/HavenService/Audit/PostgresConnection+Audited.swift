import Foundation
import HavenStore
import Postgres

/// The end of every audited use case, written once: a use case either commits its statements with
/// its success entry, or refuses with a denied entry that is kept when the transaction commits. Both
/// travel in COMMIT's round trip, so each use case still commits exactly once (CommitOnceTests).
extension PostgresConnection {
    /// Sends `statements`, then `entry`'s append, then COMMIT, in one round trip: the transaction
    /// ends here, with its audit entry, or not at all.
    ///
    /// - Returns: the rows of `statements` (the entry's and COMMIT's are dropped).
    @discardableResult
    func commit(_ statements: [PostgresQuery] = [], audited entry: AuditEvent) async throws -> [PostgresRows] {
        let rows = try await pipeline(statements + AuditStore.appendStatements(entry) + ["COMMIT"])
        return Array(rows.prefix(statements.count))
    }

    /// Records a refusal: `entry`, as denied, is appended as the transaction commits (in COMMIT's
    /// round trip), and `error` is handed back as the body's failure, for `auditedTransaction` to
    /// throw once the transaction has committed.
    func refuse<Value: Sendable>(_ error: ServiceError, audited entry: AuditEvent) throws -> UseCaseResult<Value> {
        var denied = entry
        denied.outcome = .denied
        try AuditStore.appendAtCommit(denied, on: self)
        return .failure(error)
    }
}

/// How an audited use case's transaction body ends: its value, or the refusal to throw once the
/// transaction has committed.
typealias UseCaseResult<Value> = Result<Value, ServiceError>

extension ConnectionPool {
    /// Runs a read whose entry does not depend on what it finds (a caseload list) as `actor` in one
    /// round trip: BEGIN, the context, `statements`, `entry`'s append and COMMIT in one pipeline.
    ///
    /// - Returns: the rows of `statements`, once the transaction has committed with its entry.
    func readAudited(
        _ statements: [PostgresQuery],
        audited entry: AuditEvent,
        as actor: StaffActor
    ) async throws
        -> [PostgresRows]
    {
        try await transaction(as: actor, prologue: statements + AuditStore.appendStatements(entry) + ["COMMIT"]) {
            _,
            rows in Array(rows.prefix(statements.count))
        }
    }

    /// Runs an audited use case as `actor`: the body ends with `commit(_:audited:)` and `.success`, or
    /// hands back a refusal as `.failure` (recorded with `refuse(_:audited:)` when it is a denial),
    /// which is thrown only after the transaction has committed, so the refusal's entry is kept.
    func auditedTransaction<Value: Sendable>(
        as actor: StaffActor,
        reach: UseCaseReach = .clinical,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> UseCaseResult<Value>
    ) async throws -> Value {
        try await transaction(as: actor, reach: reach) { connection in
            do {
                return try await body(connection)
            } catch let refusal as AuditedRefusal {
                return .failure(refusal.error)
            }
        }.get()
    }

    /// As `auditedTransaction(as:_:)`, sending `prologue` with BEGIN (the body receives its rows).
    func auditedTransaction<Value: Sendable>(
        as actor: StaffActor,
        prologue: [PostgresQuery],
        _ body: @Sendable @escaping (isolated PostgresConnection, [PostgresRows]) async throws -> UseCaseResult<Value>
    ) async throws -> Value {
        try await transaction(as: actor, prologue: prologue) { connection, rows in
            do {
                return try await body(connection, rows)
            } catch let refusal as AuditedRefusal {
                return .failure(refusal.error)
            }
        }.get()
    }
}

/// A refusal whose denied entry is already appended at COMMIT, thrown from deep inside an audited use
/// case (a shared gate) so its caller need not pass a result up by hand: `auditedTransaction` ends the
/// body there, commits the entry and throws `error`. Outside an audited transaction it would roll the
/// entry back, so only code that runs inside one throws it.
struct AuditedRefusal: Error {
    let error: ServiceError

    init(_ error: ServiceError, audited entry: AuditEvent, on connection: isolated PostgresConnection) throws {
        var denied = entry
        denied.outcome = .denied
        try AuditStore.appendAtCommit(denied, on: connection)
        self.error = error
    }
}
