import Foundation
import HTTPTypes
import HavenService
import Hummingbird

extension HavenAPI {
    /// The portal's questionnaires (docs/portal.md "Answers, sharing, series, measures", docs/web.md
    /// "The partner portal"): `/portal/measures` lists what is due from the partner (and their own
    /// totals when the counselor allowed it); `/portal/measures/{id}` is one due questionnaire, item by
    /// item (a practice's own measure: one number in its range), whose POST is scored on the server
    /// (`PortalService.submitMeasure`, the counselor's scoring) and is final. The database decides what is due and whether it was answered (migration 0055); the
    /// pages put its answer in the partner's words. Any id that is not due from this partner is the same
    /// "no such questionnaire" page.
    func addPortalMeasurePages(to pages: RouterGroup<HavenRequestContext>) {
        pages.get("/measures") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            let notice: String? =
                Self.queryText(request, "done") == "submitted"
                ? "Thank you: your answers are sent to your counselor. Only your counselor sees them." : nil
            let measures = try await portal.measures(partner.actor)
            let view = PortalMeasuresView(due: measures.due, trend: measures.trend, notice: notice)
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/measures",
                view,
                template: "portal-measures",
                safety: partner.context.safetyMode
            )
        }
        pages.get("/measures/{id}") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            let id = try Self.pageID("id", context)
            guard let due = try await portal.dueMeasure(id, actor: partner.actor) else {
                return Self.portalNoSuchMeasure()
            }
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/measures",
                PortalMeasureView(due),
                template: "portal-measure",
                safety: partner.context.safetyMode
            )
        }
        pages.post("/measures/{id}") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            let id = try Self.pageID("id", context)
            guard let due = try await portal.dueMeasure(id, actor: partner.actor) else {
                // Answered already, the other partner's, or none: the database says which (and audits it).
                let outcome = try await portal.submitMeasure(schedule: id, items: [], actor: partner.actor).outcome
                return outcome == .answered ? Self.portalMeasureAnswered() : Self.portalNoSuchMeasure()
            }
            let typed = PortalMeasureView.typed(form, for: due.form)
            do {
                let outcome = try await portal.submitMeasure(
                    schedule: id,
                    answer: try PortalMeasureView.answer(typed, for: due.form),
                    actor: partner.actor
                ).outcome
                switch outcome {
                case .submitted: return WebPage.redirect(to: "/portal/measures?done=submitted")
                case .answered: return Self.portalMeasureAnswered()
                case .notFound: return Self.portalNoSuchMeasure()
                }
            } catch let error as ServiceError where error.kind == .invalidInput {
                let view = PortalMeasureView(
                    due,
                    typed: typed,
                    error: "Not sent: \(error.message). Please check that answer and send again."
                )
                return try Self.portalPage(
                    request,
                    context.partner,
                    "/portal/measures",
                    view,
                    template: "portal-measure",
                    status: .unprocessableContent,
                    safety: partner.context.safetyMode
                )
            }
        }
    }

    /// The one page for a questionnaire id that is not due from the partner (another partner's, another
    /// chart's, ended, or none at all).
    static func portalNoSuchMeasure() -> Response {
        WebErrorPage.page(.notFound, "Not found", "There is no such questionnaire waiting in your portal.")
    }

    /// A second answer to a questionnaire already sent.
    static func portalMeasureAnswered() -> Response {
        WebErrorPage.page(
            .conflict,
            "Already sent",
            "You have already sent this questionnaire, and answers cannot be changed once sent. If something "
                + "in it was wrong, tell your counselor."
        )
    }
}
