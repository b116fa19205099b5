import Foundation
import HavenService
import Postgres

/// What every signed-in page shows about its session besides the page itself (docs/web.md, "The
/// browser session"): who is signed in, the idle timeout the page counts down, and the break-glass
/// grants open now. `WebMiddleware` gathers them once per request with one service call
/// (`AuthService.signedIn`, one round trip); `SignedIn` hands them to `PageChrome`.
struct WebSessionFacts: Sendable {
    /// The signed-in staff member's display name (empty when it could not be read).
    var name = ""
    /// The server's idle timeout (`haven serve --idle-minutes`), in seconds.
    var idleSeconds = 900
    /// Live break-glass grants of the signed-in staff member, soonest to end first.
    var grants: [BreakGlassService.Grant] = []

    /// The facts for `actor`; when they cannot be read the page still renders, without them.
    static func gather(
        for actor: StaffActor,
        auth: AuthService,
        idleSeconds: Int,
        now: Date = Date()
    ) async -> WebSessionFacts {
        var facts = WebSessionFacts(idleSeconds: idleSeconds)
        guard !actor.totpEnrollmentDue, let signedIn = try? await auth.signedIn(actor: actor, now: now) else {
            return facts
        }
        facts.name = signedIn.displayName
        facts.grants = signedIn.liveGrants
        return facts
    }
}
