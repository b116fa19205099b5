import Foundation
import Hummingbird

extension HavenAPI {
    /// The counselor web app's pages (docs/web.md), behind `WebMiddleware`, and its static files.
    func addWeb(to router: Router<HavenRequestContext>) {
        router.get("/static/{file}") { request, context in
            guard let name = context.parameters.get("file"),
                var response = WebStaticFiles.response(for: name, version: request.uri.queryParameters.get("v"))
            else {
                var response = WebErrorPage.page(.notFound, "Not found", "There is nothing here.")
                SecurityHeaders.apply(to: &response)
                return response
            }
            SecurityHeaders.apply(to: &response, cacheable: true)
            return response
        }
        let web = router.group().add(middleware: WebMiddleware(auth: auth, logger: logger))
        web.get("/") { _, context in
            WebPage.redirect(to: context.actor.map(PageChrome.home(for:)) ?? "/sign-in")
        }
        addSignInPages(to: web)
        addWelcomePages(to: web)
        addTodayPage(to: web)
        addCalendarPages(to: web)
        addNotePages(to: web)
        addAdminPages(to: web)
        addAdminReminderPages(to: web)
        addHomeworkPages(to: web)
        addMeasurePages(to: web)
        addReportPages(to: web)
        addAccountPages(to: web)
        addAccountEmailPages(to: web)
        addBreakGlassPages(to: web)
        addCaseloadPages(to: web)
        addPortalAccessPages(to: web)
        addCareStatusPages(to: web)
        // The partner portal: its own group and middleware, never WebMiddleware (docs/web.md).
        addPortalPages(to: router)
    }
}
