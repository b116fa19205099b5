import Foundation
import HavenStore
import Postgres

extension ConnectionPool {
    /// Runs `body` in a transaction acting as `actor`.
    ///
    /// The row-level security context (practice, staff member, caseload, break-glass reach, and the
    /// source and request id the audit log records) is opened by the database from the actor's live
    /// session (`haven_open_context`, migration 0025) in BEGIN's round trip, and lasts exactly as long
    /// as the transaction (it also works behind PgBouncer in transaction mode). Nothing the service
    /// sends besides the token's hash decides what the transaction reaches.
    ///
    /// - Throws: `ServiceError.unauthenticated` when the session is no longer live;
    ///   `ServiceError.totpEnrollmentDue` while the actor owes the practice a second factor.
    @discardableResult
    public func transaction<Value: Sendable>(
        as actor: StaffActor,
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await transaction(as: actor, reach: .clinical, isolation: isolation, body)
    }

    /// As `transaction(as:isolation:_:)` for a use case whose reach is `reach`: a scheduler-only
    /// actor passes only for `.calendar` (`requireEnrolled(_:reach:)`).
    @discardableResult
    func transaction<Value: Sendable>(
        as actor: StaffActor,
        reach: UseCaseReach,
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await requireEnrolled(actor, reach: reach)
        return try await transaction(context: actor, isolation: isolation, prologue: []) { connection, _ in
            try await body(connection)
        }
    }

    /// As `transaction(as:isolation:_:)`, sending BEGIN, the context and `prologue` in one round trip
    /// (the body receives the prologue's rows).
    @discardableResult
    public func transaction<Value: Sendable>(
        as actor: StaffActor,
        isolation: IsolationLevel = .readCommitted,
        prologue: [PostgresQuery],
        _ body: @Sendable @escaping (isolated PostgresConnection, _ prologueRows: [PostgresRows]) async throws -> Value
    ) async throws -> Value {
        try await transaction(as: actor, reach: .clinical, isolation: isolation, prologue: prologue, body)
    }

    /// As `transaction(as:isolation:prologue:_:)` for a use case whose reach is `reach`.
    @discardableResult
    func transaction<Value: Sendable>(
        as actor: StaffActor,
        reach: UseCaseReach,
        isolation: IsolationLevel = .readCommitted,
        prologue: [PostgresQuery],
        _ body: @Sendable @escaping (isolated PostgresConnection, _ prologueRows: [PostgresRows]) async throws -> Value
    ) async throws -> Value {
        try await requireEnrolled(actor, reach: reach)
        return try await transaction(context: actor, isolation: isolation, prologue: prologue, body)
    }

    /// Reads in one repeatable-read snapshot as `actor`, then runs the statements the body hands back
    /// (its audit entries, records of what was read) in a read-committed transaction of their own
    /// before returning the value: nothing is returned unless they committed.
    ///
    /// An audit append must see the newest entry of the practice's chain to take the next sequence
    /// number, which a snapshot taken before it cannot; appended inside the snapshot, a concurrent
    /// entry would make it collide.
    public func snapshot<Value: Sendable>(
        as actor: StaffActor,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> (Value, then: [PostgresQuery])
    ) async throws -> Value {
        let (value, statements) = try await transaction(as: actor, isolation: .repeatableRead, body)
        if !statements.isEmpty {
            try await transaction(as: actor) { connection in
                _ = try await connection.pipeline(statements + ["COMMIT"])
            }
        }
        return value
    }

    /// Checks what the audit log will record about the actor and refuses (audited) an actor who owes
    /// the practice a second factor, and a scheduler-only actor anywhere but the calendar: the one gate
    /// every use case acting as a staff member passes. (The database gives the first an empty
    /// caseload, and the second no caseload beyond their own, as well.)
    ///
    /// - Throws: `invalidInput` for the actor's source or request id; `ServiceError.totpEnrollmentDue`;
    ///   `forbidden` for a scheduler-only actor outside the calendar (audited `staff.calendar_only`).
    func requireEnrolled(_ actor: StaffActor, reach: UseCaseReach = .clinical) async throws {
        try actor.validate()
        if actor.isSchedulerOnly && reach != .calendar && !actor.totpEnrollmentDue {
            try await transaction(context: actor) { connection in
                try AuditStore.appendAtCommit(
                    AuditEvent(
                        action: .staffCalendarOnly,
                        entityType: .staff,
                        entityID: actor.staffID,
                        outcome: .denied
                    ),
                    on: connection
                )
            }
            throw ServiceError.calendarOnly
        }
        guard actor.totpEnrollmentDue else { return }
        try await transaction(context: actor) { connection in
            try AuditStore.appendAtCommit(
                AuditEvent(action: .staffTOTPRequired, entityType: .staff, entityID: actor.staffID, outcome: .denied),
                on: connection
            )
        }
        throw ServiceError.totpEnrollmentDue
    }

    /// Runs `body` in a transaction whose context is opened from the actor's session, without the
    /// second-factor gate: for what a session that still owes a factor may do (enrol one, sign out,
    /// have its refusals audited).
    ///
    /// - Throws: `ServiceError.unauthenticated` when the session is no longer live.
    @discardableResult
    func transaction<Value: Sendable>(
        context actor: StaffActor,
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await transaction(context: actor, isolation: isolation, prologue: []) { connection, _ in
            try await body(connection)
        }
    }

    @discardableResult
    private func transaction<Value: Sendable>(
        context actor: StaffActor,
        isolation: IsolationLevel,
        prologue: [PostgresQuery],
        _ body: @Sendable @escaping (isolated PostgresConnection, _ prologueRows: [PostgresRows]) async throws -> Value
    ) async throws -> Value {
        let context: PostgresQuery = """
            SELECT 1 FROM haven_open_context(\(actor.sessionHash), \(actor.breakGlass), \(actor.source), \
            \(actor.requestID))
            """
        do {
            return try await withConnection { connection in
                try await connection.transaction(isolation: isolation, prologue: [context] + prologue) {
                    connection,
                    rows in
                    try await body(connection, Array(rows.dropFirst()))
                }
            }
        } catch let error as PostgresError where error.sqlState == Self.sessionNotLive {
            throw ServiceError.sessionExpired
        } catch let error as PostgresError where actor.breakGlass && error.code == .insufficientPrivilege {
            // A break-glass grant widens reading only; the policies refuse every write through it.
            throw ServiceError(.forbidden, "break-glass access is read-only; act without it to change your own charts")
        }
    }

    /// SQLSTATE 28000 (invalid authorization specification): `haven_open_context` found no live session.
    static let sessionNotLive = "28000"

    /// Runs `body` in a transaction of an operator (the owner role only: the application role may not
    /// open this context) in one practice, acting for `staffID` if given. The owner's policies see
    /// every row; the context is what the transaction's audit entries and key guard record.
    @discardableResult
    public func transaction<Value: Sendable>(
        operatorIn practiceID: UUID,
        staffID: UUID? = nil,
        source: String,
        requestID: String? = nil,
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let context: PostgresQuery =
            "SELECT haven_operator_context(\(practiceID), \(staffID), \(source), \(requestID))"
        return try await withConnection { connection in
            try await connection.transaction(isolation: isolation, prologue: [context]) { connection, _ in
                try await body(connection)
            }
        }
    }
}
