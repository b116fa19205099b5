import Foundation
import Postgres

/// A sign-in try noted the way the service notes it (migration 0046): in a transaction of its own,
/// committed before the sign-in function checks the candidate with the ticket.
public enum SignInTicket {
    /// The ticket for one check of `candidate` for `email` (`kind` is `staff` or `partner`).
    public static func note(
        _ kind: String,
        _ email: String,
        _ candidate: String,
        _ pool: ConnectionPool
    ) async throws -> UUID {
        try await pool.query("SELECT haven_sign_in_note_try(\(kind), \(email), \(candidate), 'attacker', NULL)")[0]
            .decode(0, as: UUID.self)
    }
}
