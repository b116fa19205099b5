import Foundation
import HTTPTypes
import HavenService
import Hummingbird

extension HavenAPI {
    /// The portal's answer pages (docs/portal.md "Answers, sharing, series, measures", docs/web.md "The
    /// partner portal"): `/portal/homework/{id}` shows an assignment with the partner's answer box; its
    /// form saves the server draft (with the version it was based on) or submits it, the autosave
    /// script saves the same draft by itself, and `/share` changes who can read a submitted answer.
    /// Each write is one `PortalService` call whose outcome the database decides (migration 0045); the
    /// pages only put it in the partner's words. A refused write shows the page again with the text typed.
    func addPortalAnswerPages(to pages: RouterGroup<HavenRequestContext>) {
        pages.get("/homework/{id}") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            let notice: String? =
                switch Self.queryText(request, "done") {
                case "saved": "Your draft is saved. Only you see a draft."
                case "submitted": "Your answer is submitted."
                case "shared": "Your partner can read this answer now."
                case "unshared": "Your partner cannot read this answer now."
                default: nil
                }
            return try await self.portalAnswerPage(request, partner, try Self.pageID("id", context), notice: notice)
        }
        pages.post("/homework/{id}") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            let id = try Self.pageID("id", context)
            let typed = PortalTypedAnswer(form)
            var outcome: PortalService.AnswerOutcome
            do {
                let saved = try await self.portalSave(typed, assignment: id, partner: partner)
                outcome = saved.outcome
                if outcome == .saved, form["action"] == "submit", let version = saved.version {
                    outcome = try await portal.submit(assignment: id, expectedVersion: version, actor: partner.actor)
                }
            } catch let error as ServiceError where error.kind == .invalidInput {
                let words = "Your answer \(error.message), so it was not saved. Shorten it and save again."
                return try await self.portalAnswerPage(
                    request,
                    partner,
                    id,
                    typed: typed,
                    error: words,
                    status: .unprocessableContent
                )
            }
            switch outcome {
            case .saved: return WebPage.redirect(to: "/portal/homework/\(Self.text(id))?done=saved")
            case .submitted: return WebPage.redirect(to: "/portal/homework/\(Self.text(id))?done=submitted")
            case .notFound: return Self.portalNoSuchHomework()
            default:
                return try await self.portalAnswerPage(
                    request,
                    partner,
                    id,
                    typed: typed,
                    error: Self.portalRefusal(outcome),
                    status: .conflict
                )
            }
        }
        pages.post("/homework/{id}/autosave") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            guard let partner = context.partner else {
                return Self.json(
                    [
                        "error":
                            "You were signed out, so this draft was not saved. Copy your text, sign in, and paste it."
                    ],
                    status: .unauthorized
                )
            }
            let typed = PortalTypedAnswer(form)
            do {
                let saved = try await self.portalSave(
                    typed,
                    assignment: try Self.pageID("id", context),
                    partner: partner
                )
                switch (saved.outcome, saved.version) {
                case (.saved, let version?): return Self.json(["version": String(version)])
                case (.notFound, _):
                    return Self.json(["error": "There is no such homework in your portal."], status: .notFound)
                default: return Self.json(["error": Self.portalRefusal(saved.outcome)], status: .conflict)
                }
            } catch let error as ServiceError where error.kind == .invalidInput {
                return Self.json(["error": "Your answer \(error.message)."], status: .unprocessableContent)
            }
        }
        pages.post("/homework/{id}/share") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            let id = try Self.pageID("id", context)
            let outcome = try await portal.share(assignment: id, form["share"] == "on", actor: partner.actor)
            switch outcome {
            case .shared, .unshared:
                return WebPage.redirect(to: "/portal/homework/\(Self.text(id))?done=\(outcome.rawValue)")
            case .notFound: return Self.portalNoSuchHomework()
            default:
                return try await self.portalAnswerPage(
                    request,
                    partner,
                    id,
                    error: Self.portalRefusal(outcome),
                    status: .conflict
                )
            }
        }
    }

    /// Saves the typed answer as the partner's draft: the draft the form was based on at its version
    /// (a first save names the id the page made for it).
    private func portalSave(
        _ typed: PortalTypedAnswer,
        assignment: UUID,
        partner: SignedInPartner
    ) async throws -> (outcome: PortalService.AnswerOutcome, version: Int?) {
        try await portal.saveDraft(
            assignment: assignment,
            draft: typed.draft,
            expectedVersion: typed.version,
            text: typed.text,
            share: typed.share,
            actor: partner.actor
        )
    }

    /// The answer page of `assignment` (only one of the partner's own on the chosen chart: any other id
    /// is the same "no such homework" page, whether it exists or not).
    private func portalAnswerPage(
        _ request: Request,
        _ partner: SignedInPartner,
        _ assignment: UUID,
        typed: PortalTypedAnswer? = nil,
        notice: String? = nil,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let home = try await portal.home(partner.actor)
        guard let item = home.assignments.first(where: { $0.id == assignment }) else {
            return Self.portalNoSuchHomework()
        }
        let answers = try await portal.answers(partner.actor)
        var view = PortalAnswerView(item, answers, typed: typed)
        view.step = home.series.first { $0.id == item.seriesID }.flatMap { series in
            item.seriesPosition.map { "Step \($0) of \(series.steps) · \(series.title)" }
        }
        view.chrome.title = item.title
        view.notice = notice
        view.error = error
        return try Self.portalPage(
            request,
            partner,
            "/portal/homework",
            view,
            template: "portal-answer",
            status: status,
            safety: answers.safetyMode
        )
    }

    /// The one page for an assignment id that is not the partner's (another partner's, another chart's,
    /// or none at all).
    static func portalNoSuchHomework() -> Response {
        WebErrorPage.page(.notFound, "Not found", "There is no such homework in your portal.")
    }

    /// A refused answer write in the partner's words (the database's outcome, migration 0045).
    static func portalRefusal(_ outcome: PortalService.AnswerOutcome) -> String {
        switch outcome {
        case .conflict:
            "This answer was saved in another tab or window first, so this was not saved. Nothing you typed is "
                + "lost: it is still below. Saving again replaces the other version with what is below."
        case .read:
            "Your counselor has already read your answer, so it and who can read it are final. Nothing was "
                + "changed; what you typed is below if you want to keep a copy."
        case .safetyMode:
            "Sharing with your partner is switched off in your portal for now, so this was not saved. What you "
                + "typed is below: save it again and it goes to your counselor only."
        default: "There is no such homework in your portal."
        }
    }
}
