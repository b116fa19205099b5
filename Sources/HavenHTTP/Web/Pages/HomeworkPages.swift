import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// The homework pages (docs/web.md): the library with the open/overdue list (`GET /homework`), a
    /// couple's homework with the assign form and its high-risk override (`/couples/{id}/homework/new`),
    /// a series assigned from it (`POST /couples/{id}/homework/series`, its steps released one at a time),
    /// and a partner's response (`POST /homework/{id}/responses`), on the `HomeworkService` calls the
    /// `/v1/homework` routes make.
    func addHomeworkPages(to web: RouterGroup<HavenRequestContext>) {
        let homework = HomeworkService(pool: pool, keys: keys)
        web.get("/homework") { request, context in
            let user = try SignedIn(request, context)
            let query = request.uri.queryParameters
            let filter = HomeworkLibraryView.Filter(
                stage: query.get("stage").flatMap { Int($0) }.flatMap(EFTStage.init(rawValue:)),
                category: query.get("category").flatMap { HomeworkCategory(rawValue: String($0)) },
                joint: query.get("kind").flatMap { ["joint": true, "individual": false][String($0)] }
            )
            let today = try await self.today(user.actor)
            let view = HomeworkLibraryView(
                chrome: user.chrome("Homework", section: "/homework"),
                library: try await homework.library(actor: user.actor),
                open: try await homework.openAssignments(today: today, actor: user.actor),
                filter: filter
            )
            return WebPage.html(WebTemplates.render(view, template: "homework"))
        }
        web.get("/couples/{id}/homework/new") { request, context in
            let user = try SignedIn(request, context)
            let query = request.uri.queryParameters
            var notice: String?
            if query.get("assigned") != nil {
                notice =
                    query.get("duplicate") != nil
                    ? "Assigned. Worth a second look: the same prompt is already assigned to this partner (or the couple) and still open."
                    : "Assigned."
            } else if query.get("responded") != nil {
                notice = "Response recorded."
            } else if query.get("series") != nil {
                notice =
                    "Series assigned. Its first step is open on the partners' portal now; "
                    + "the others open one at a time."
            }
            return try await self.coupleHomeworkPage(
                user,
                couple: try Self.pageID("id", context),
                assign: .init(),
                notice: notice
            )
        }
        web.post("/couples/{id}/homework/new") { request, context in
            let user = try SignedIn(request, context)
            let coupleID = try Self.pageID("id", context)
            var request = request
            let form = try await WebForm(request: &request)
            let typed = CoupleHomeworkView.AssignForm(
                prompt: form["prompt"] ?? "",
                partner: form["partner"] ?? "",
                session: form["session"] ?? "",
                dueOn: form["dueOn"] ?? "",
                recurrence: form["recurrence"] ?? "none",
                reason: form["riskOverrideReason"] ?? ""
            )
            do {
                guard let prompt = UUID(uuidString: typed.prompt) else {
                    throw ServiceError(.invalidInput, field: "prompt", "choose a prompt from the library")
                }
                let (partner, session) = try Self.partnerAndSession(typed.partner, typed.session)
                guard let due = CalendarDate(iso8601: typed.dueOn) else {
                    throw ServiceError(.invalidInput, field: "dueOn", "is a date: YYYY-MM-DD")
                }
                guard let recurrence = HomeworkService.Recurrence(rawValue: typed.recurrence) else {
                    throw ServiceError(.invalidInput, field: "recurrence", "is one of: none, daily, weekly")
                }
                let assigned = try await homework.assign(
                    prompt: prompt,
                    couple: coupleID,
                    partner: partner,
                    session: session,
                    dueOn: due,
                    recurrence: recurrence,
                    today: try await self.today(user.actor),
                    riskOverrideReason: typed.reason.isEmpty ? nil : typed.reason,
                    actor: user.actor
                )
                let path = Self.chartPath(.couple(coupleID)) + "/homework/new?assigned=1"
                return WebPage.redirect(to: assigned.warnings.isEmpty ? path : path + "&duplicate=1")
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                var typed = typed
                typed.error = error.description
                typed.reasonRefused = error.field == "riskOverrideReason"
                return try await self.coupleHomeworkPage(
                    user,
                    couple: coupleID,
                    assign: typed,
                    status: .unprocessableContent
                )
            }
        }
        web.post("/couples/{id}/homework/series") { request, context in
            let user = try SignedIn(request, context)
            let coupleID = try Self.pageID("id", context)
            var request = request
            let form = try await WebForm(request: &request)
            let typed = CoupleHomeworkView.SeriesForm(
                series: form["series"] ?? "",
                partner: form["partner"] ?? "",
                session: form["session"] ?? "",
                intervalDays: form["intervalDays"] ?? "",
                reason: form["riskOverrideReason"] ?? ""
            )
            do {
                guard let series = UUID(uuidString: typed.series) else {
                    throw ServiceError(.invalidInput, field: "series", "choose a series from the library")
                }
                let (partner, session) = try Self.partnerAndSession(typed.partner, typed.session)
                guard let interval = Int(typed.intervalDays) else {
                    throw ServiceError(.invalidInput, field: "intervalDays", "is a number of days, 1 to 60")
                }
                _ = try await homework.assignSeries(
                    series,
                    couple: coupleID,
                    partner: partner,
                    session: session,
                    intervalDays: interval,
                    today: try await self.today(user.actor),
                    riskOverrideReason: typed.reason.isEmpty ? nil : typed.reason,
                    actor: user.actor
                )
                return WebPage.redirect(to: Self.chartPath(.couple(coupleID)) + "/homework/new?series=1")
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                var typed = typed
                typed.error = error.description
                typed.reasonRefused = error.field == "riskOverrideReason"
                return try await self.coupleHomeworkPage(
                    user,
                    couple: coupleID,
                    assign: .init(),
                    series: typed,
                    status: .unprocessableContent
                )
            }
        }
        web.post("/homework/{id}/responses") { request, context in
            let user = try SignedIn(request, context)
            let assignmentID = try Self.pageID("id", context)
            var request = request
            let form = try await WebForm(request: &request)
            guard let coupleID = form["couple"].flatMap(UUID.init(uuidString:)) else {
                throw ServiceError(.notFound, field: "couple", "no couple with this id in your caseload")
            }
            let typed = CoupleHomeworkView.ResponseForm(
                assignment: assignmentID,
                partner: form["partner"] ?? "",
                completion: form["completion"] ?? "",
                text: form["text"] ?? "",
                shared: form["shared"] == "on"
            )
            do {
                guard let partner = UUID(uuidString: typed.partner) else {
                    throw ServiceError(.invalidInput, field: "partner", "choose the partner who responded")
                }
                guard let completion = HomeworkService.Completion(rawValue: typed.completion) else {
                    throw ServiceError(
                        .invalidInput,
                        field: "completion",
                        "is one of: completed, partly completed, skipped"
                    )
                }
                try await homework.recordResponse(
                    assignment: assignmentID,
                    partner: partner,
                    completion: completion,
                    text: typed.text.isEmpty ? nil : typed.text,
                    shareWithPartner: typed.shared,
                    actor: user.actor
                )
                return WebPage.redirect(
                    to: Self.chartPath(.couple(coupleID)) + "/homework/new?responded=1"
                )
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                var typed = typed
                typed.error = error.description
                return try await self.coupleHomeworkPage(
                    user,
                    couple: coupleID,
                    assign: .init(),
                    response: typed,
                    status: .unprocessableContent
                )
            }
        }
    }

    /// The "For" and "Assigned in session" fields both homework forms share: a partner's id (nil for
    /// "both") and the session's id.
    private static func partnerAndSession(_ partner: String, _ session: String) throws -> (UUID?, UUID) {
        var chosen: UUID?
        if !partner.isEmpty && partner != "both" {
            guard let id = UUID(uuidString: partner) else {
                throw ServiceError(.invalidInput, field: "partner", "choose a partner or both")
            }
            chosen = id
        }
        guard let session = UUID(uuidString: session) else {
            throw ServiceError(.invalidInput, field: "session", "choose the session it is assigned in")
        }
        return (chosen, session)
    }

    /// A couple's homework page: the chart's partners (`ChartService.couple`, the caseload wall), its
    /// high-risk flag (`listCouples`), its sessions, the library and its assignments with responses.
    private func coupleHomeworkPage(
        _ user: SignedIn,
        couple coupleID: UUID,
        assign: CoupleHomeworkView.AssignForm,
        series: CoupleHomeworkView.SeriesForm = .init(),
        response: CoupleHomeworkView.ResponseForm? = nil,
        notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let charts = ChartService(pool: pool, keys: keys)
        let homework = HomeworkService(pool: pool, keys: keys)
        let couple = try await charts.couple(coupleID, actor: user.actor)
        let highRisk = try await charts.listCouples(actor: user.actor).first { $0.id == coupleID }?.highRisk ?? false
        let today = try await self.today(user.actor)
        let view = CoupleHomeworkView(
            chrome: user.chrome("Homework: \(couple.partnerAName) & \(couple.partnerBName)", section: "/homework"),
            couple: couple,
            highRisk: highRisk,
            sessions: try await SessionService(pool: pool, keys: keys).list(
                chart: .couple(coupleID),
                actor: user.actor
            ),
            library: try await homework.library(actor: user.actor),
            seriesLibrary: try await homework.seriesLibrary(actor: user.actor),
            assignments: try await homework.assignments(couple: coupleID, today: today, actor: user.actor),
            today: today,
            timeZone: try await PracticeService(pool: pool).practice(actor: user.actor).timeZone,
            assign: assign,
            series: series,
            response: response,
            notice: notice
        )
        return WebPage.html(WebTemplates.render(view, template: "homework-couple"), status: status)
    }
}
