import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// `GET /today`: the counselor's day from `TodayService.day`, the same call as `GET /v1/me/today`.
    func addTodayPage(to web: RouterGroup<HavenRequestContext>) {
        web.get("/today") { request, context in
            let user = try SignedIn(request, context)
            let day = try await TodayService(pool: pool).day(actor: user.actor)
            let view = TodayView(day: day, chrome: user.chrome("Today", section: "/today"))
            return WebPage.html(WebTemplates.render(view, template: "today"))
        }
    }
}
