import HavenService
import Postgres

extension StaffFixture {
    /// Raw SQL as the application role inside a context opened from `actor`'s live session (source
    /// `attacker`): what psql reaches with `haven_app`'s password and that session's token. Runs `body`
    /// in that one transaction on the application pool.
    public func asAppRole<Value: Sendable>(
        _ actor: StaffActor,
        _ body: @Sendable (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await app.withConnection { connection in
            try await connection.transaction { connection in
                try await connection.query(
                    "SELECT 1 FROM haven_open_context(\(actor.sessionHash), false, 'attacker', NULL)"
                )
                return try await body(connection)
            }
        }
    }
}
