import Foundation
import Postgres

extension AuthService {
    /// Notes one sign-in try of `candidate` for `email` (kind `staff` or `partner`) in a transaction of
    /// its own and returns the ticket the sign-in function takes (migration 0046). The try is committed
    /// before the candidate is checked, so it counts towards the address's pause whatever happens to the
    /// sign-in's own transaction; one ticket checks one candidate.
    static func noteTry(
        kind: String,
        email: String,
        candidate: String,
        source: String,
        requestID: String?,
        pool: ConnectionPool
    ) async throws -> UUID {
        try await pool.query(
            "SELECT haven_sign_in_note_try(\(kind), \(email), \(candidate), \(source), \(requestID))"
        )[0].decode(0, as: UUID.self)
    }

    /// The answer to a try past the database's pause of an address (`haven_sign_in_try_limit()` failed
    /// tries in `haven_sign_in_try_window()`): the same whether or not the address has an account, and
    /// given to the right password too.
    static let paused = ServiceError(
        .unauthenticated,
        reason: "sign-in-paused",
        "too many failed sign-ins for this address; try again in 15 minutes"
    )
}
