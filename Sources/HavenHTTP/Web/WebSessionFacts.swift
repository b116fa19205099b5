import Foundation
import HavenService
import Postgres

/// What every signed-in page shows about its session besides the page itself (docs/web.md, "The
/// browser session"): who is signed in, the idle timeout the page counts down, and the break-glass
/// grants open now. `WebMiddleware` gathers them once per request from the services the API uses
/// (`PracticeService.staff`, `BreakGlassService.grants`); `SignedIn` hands them to `PageChrome`.
struct WebSessionFacts: Sendable {
    /// The signed-in staff member's display name (empty when it could not be read).
    var name = ""
    /// The server's idle timeout (`haven serve --idle-minutes`), in seconds.
    var idleSeconds = 900
    /// Live break-glass grants of the signed-in staff member, soonest to end first.
    var grants: [BreakGlassService.Grant] = []

    /// The facts for `actor`; a part that cannot be read is left out (the page still renders).
    static func gather(
        for actor: StaffActor,
        pool: ConnectionPool,
        keys: KeyManager,
        idleSeconds: Int,
        now: Date = Date()
    ) async -> WebSessionFacts {
        var facts = WebSessionFacts(idleSeconds: idleSeconds)
        guard !actor.totpEnrollmentDue else { return facts }
        facts.name =
            (try? await PracticeService(pool: pool).staff(actor: actor).first { $0.id == actor.staffID }?
                .displayName) ?? ""
        if actor.roles.contains(.counselor) || actor.roles.contains(.supervisor) {
            let grants = (try? await BreakGlassService(pool: pool, keys: keys).grants(actor: actor)) ?? []
            facts.grants = grants.filter { $0.isLive(at: now) }.sorted { $0.expiresAt < $1.expiresAt }
        }
        return facts
    }
}
