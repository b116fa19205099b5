import Foundation
import Postgres

extension ConnectionPool {
    /// Runs `body` in a transaction acting as `actor`: the row-level security context
    /// (`app.practice_id`, `app.staff_id`) is set with `set_config(..., true)`, so it lasts exactly
    /// as long as the transaction (it also works behind PgBouncer in transaction mode).
    @discardableResult
    public func transaction<Value: Sendable>(
        as actor: StaffActor,
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await transaction(practiceID: actor.practiceID, staffID: actor.staffID, isolation: isolation, body)
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
        try await transaction(isolation: isolation) { connection in
            try await connection.execute(
                """
                SELECT set_config('app.practice_id', \(practiceID.uuidString.lowercased()), true), \
                set_config('app.staff_id', \(staffID?.uuidString.lowercased() ?? ""), true)
                """
            )
            return try await body(connection)
        }
    }
}
