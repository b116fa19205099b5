import Foundation
import HavenService
import Hummingbird

/// The signed-in staff member a page handler works for: the actor `WebMiddleware` resolved from the
/// session cookie and the page's CSRF token. A page handler starts with `try SignedIn(request, context)`;
/// without a live session that throws `WebRefusal.signedOut`, which sends the browser to sign in.
struct SignedIn {
    let actor: StaffActor
    /// The CSRF token for this session's forms.
    let csrf: String
    /// Who is signed in, the idle timeout, open break-glass grants (for the page chrome).
    let session: WebSessionFacts

    init(_ request: Request, _ context: HavenRequestContext) throws {
        guard let actor = context.actor, let token = WebSession.token(in: request)?.value else {
            throw WebRefusal.signedOut
        }
        self.actor = actor
        self.csrf = CSRF.token(forKey: token)
        self.session = context.webSession
    }

    /// The layout's chrome for a page titled `title` in the section whose link is `section`.
    func chrome(_ title: String, section: String) -> PageChrome {
        PageChrome(title: title, actor: actor, csrf: csrf, section: section, session: session)
    }
}
