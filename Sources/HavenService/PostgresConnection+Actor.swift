import Foundation
import HavenStore
import Postgres

extension ConnectionPool {
    /// Runs `body` in a transaction acting as `actor`: the row-level security context
    /// (`app.practice_id`, `app.staff_id`, and `app.caseload`, the counselors whose charts the actor
    /// reaches) is set by `haven_set_context` with `set_config(..., true)`, so it lasts exactly as
    /// long as the transaction (it also works behind PgBouncer in transaction mode).
    ///
    /// - Throws: `ServiceError.totpEnrollmentDue` while the actor owes the practice a second factor.
    @discardableResult
    public func transaction<Value: Sendable>(
        as actor: StaffActor,
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await requireEnrolled(actor)
        return try await transaction(
            practiceID: actor.practiceID,
            staffID: actor.staffID,
            breakGlass: actor.breakGlass,
            isolation: isolation,
            prologue: []
        ) { connection, _ in
            try await body(connection)
        }
    }

    /// As `transaction(as:isolation:_:)`, sending BEGIN, the security context and `prologue` in one
    /// round trip (the body receives the prologue's rows) and honouring the actor's break-glass mode.
    @discardableResult
    public func transaction<Value: Sendable>(
        as actor: StaffActor,
        isolation: IsolationLevel = .readCommitted,
        prologue: [PostgresQuery],
        _ body: @Sendable @escaping (isolated PostgresConnection, _ prologueRows: [PostgresRows]) async throws -> Value
    ) async throws -> Value {
        try await requireEnrolled(actor)
        return try await transaction(
            practiceID: actor.practiceID,
            staffID: actor.staffID,
            breakGlass: actor.breakGlass,
            isolation: isolation,
            prologue: prologue,
            body
        )
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
    /// the practice a second factor: the one gate every use case acting as a staff member passes.
    ///
    /// - Throws: `invalidInput` for the actor's source or request id; `ServiceError.totpEnrollmentDue`.
    func requireEnrolled(_ actor: StaffActor) async throws {
        try actor.validate()
        guard actor.totpEnrollmentDue else { return }
        try await transaction(practiceID: actor.practiceID, staffID: actor.staffID) { connection in
            try AuditStore.appendAtCommit(
                AuditEntry(
                    actor: actor,
                    action: "staff.totp.required",
                    entityType: "staff",
                    entityID: actor.staffID,
                    outcome: .denied
                ),
                on: connection
            )
        }
        throw ServiceError.totpEnrollmentDue
    }

    /// Runs `body` in a transaction whose row-level security context is the given practice (and staff
    /// member, if any).
    @discardableResult
    public func transaction<Value: Sendable>(
        practiceID: UUID,
        staffID: UUID?,
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await transaction(practiceID: practiceID, staffID: staffID, isolation: isolation, prologue: []) {
            connection,
            _ in
            try await body(connection)
        }
    }

    /// As `transaction(practiceID:staffID:isolation:_:)`, sending BEGIN, the security context and
    /// `prologue` in one round trip; the body receives the prologue's rows. With `breakGlass`, the
    /// staff member's live break-glass grants widen what the transaction can read (never write).
    @discardableResult
    public func transaction<Value: Sendable>(
        practiceID: UUID,
        staffID: UUID?,
        breakGlass: Bool = false,
        isolation: IsolationLevel = .readCommitted,
        prologue: [PostgresQuery],
        _ body: @Sendable @escaping (isolated PostgresConnection, _ prologueRows: [PostgresRows]) async throws -> Value
    ) async throws -> Value {
        let context: PostgresQuery = "SELECT haven_set_context(\(practiceID), \(staffID), \(breakGlass))"
        do {
            return try await withConnection { connection in
                try await connection.transaction(isolation: isolation, prologue: [context] + prologue) {
                    connection,
                    rows in
                    try await body(connection, Array(rows.dropFirst()))
                }
            }
        } catch let error as PostgresError where breakGlass && error.code == .insufficientPrivilege {
            // A break-glass grant widens reading only; the policies refuse every write through it.
            throw ServiceError(.forbidden, "break-glass access is read-only; act without it to change your own charts")
        }
    }
}
