import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// `GET /today`: the counselor's day from `TodayService.day`, the same call as `GET /v1/me/today`.
    func addTodayPage(to web: RouterGroup<HavenRequestContext>) {
        web.get("/today") { request, context in
            guard let actor = context.actor, let token = WebSession.token(in: request)?.value else {
                throw WebRefusal.signedOut
            }
            let day = try await TodayService(pool: pool).day(actor: actor)
            let view = TodayView(day: day, csrf: CSRF.token(forKey: token))
            return WebPage.html(WebTemplates.render(view, template: "today"))
        }
    }
}
