import Foundation
import Postgres

extension AuthService {
    /// What the web app's chrome shows about a signed-in staff member on every page: their name and
    /// their live break-glass grants.
    public struct SignedIn: Sendable, Equatable {
        /// The staff member's display name.
        public var displayName: String
        /// Live grants (clinicians only), soonest to end first.
        public var liveGrants: [BreakGlassService.Grant]
    }

    /// The actor's name and live break-glass grants in one transaction of one round trip (BEGIN, the
    /// context, both reads and COMMIT in one pipeline): every signed-in page asks, so this replaced
    /// two transactions (`PracticeService.staff`, `BreakGlassService.grants`). Open to every role that
    /// may sign in (a scheduler's page shows their name too); grants are read for counselors and
    /// supervisors only, the roles that can hold one.
    ///
    /// - Throws: `ServiceError.unauthenticated` when the session is no longer live;
    ///   `ServiceError.totpEnrollmentDue` while the actor owes the practice a second factor.
    public func signedIn(actor: StaffActor, now: Date = Date()) async throws -> SignedIn {
        let clinician = actor.roles.contains(.counselor) || actor.roles.contains(.supervisor)
        let reads: [PostgresQuery] =
            ["SELECT display_name FROM staff WHERE id = \(actor.staffID)"]
            + (clinician ? [BreakGlassService.grantsQuery] : [])
        return try await pool.transaction(as: actor, reach: .calendar, prologue: reads + ["COMMIT"]) { _, rows in
            let name = try rows[0].singleRow()?.decode(0, as: String.self) ?? ""
            let grants = clinician ? try BreakGlassService.grants(in: rows[1]) : []
            return SignedIn(
                displayName: name,
                liveGrants: grants.filter { $0.isLive(at: now) }.sorted { $0.expiresAt < $1.expiresAt }
            )
        }
    }
}
