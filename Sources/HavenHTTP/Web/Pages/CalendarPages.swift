import Foundation
import HTTPTypes
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// The calendar (docs/web.md): `GET /calendar?week=YYYY-MM-DD&counselor={id}`, one counselor's week
    /// from `SessionService.list` (as `GET /v1/therapy-sessions`), and the forms that call the same
    /// `SessionService` methods as the API's session routes: `POST /sessions` (book),
    /// `POST /sessions/{id}/reschedule`, `/status` and `/status-correction`. Open to counselors,
    /// supervisors and the front desk (whose service calls reach the calendar and nothing clinical).
    func addCalendarPages(to web: RouterGroup<HavenRequestContext>) {
        let sessions = SessionService(pool: pool, keys: keys)
        web.get("/calendar") { request, context in
            let user = try SignedIn(request, context)
            return try await calendarPage(
                user,
                week: Self.queryText(request, "week"),
                counselor: Self.queryText(request, "counselor")
            )
        }
        web.post("/sessions") { request, context in
            let user = try SignedIn(request, context)
            var request = request
            let form = try await WebForm(request: &request)
            let time = try await practiceTime(user)
            let booking: SessionService.Booking
            do {
                guard let chart = CalendarView.chart(fromValue: form["chart"] ?? "") else {
                    throw ServiceError(.invalidInput, field: "chart", "choose a couple or a client")
                }
                booking = try await sessions.book(
                    chart,
                    start: try Self.start(form, time),
                    durationMinutes: try Self.minutes(form),
                    format: try Self.parse(SessionFormat.self, form["format"] ?? ""),
                    type: try Self.given(form["type"]).map { try Self.parse(SessionType.self, $0) },
                    serviceCode: try Self.given(form["serviceCode"]).map(Self.serviceCode),
                    riskOverrideReason: Self.given(form["riskOverrideReason"]),
                    allowOverlap: form["allowOverlap"] != nil,
                    counselorID: form["counselor"].flatMap(UUID.init(uuidString:)),
                    actor: user.actor
                )
            } catch let error as ServiceError where Self.isFormRefusal(error) {
                return try await refusedForm(user, form, error, session: nil)
            }
            return try await afterChange(user, form, warnings: booking.warnings)
        }
        web.post("/sessions/{id}/reschedule") { request, context in
            let user = try SignedIn(request, context)
            let id = try Self.pageID("id", context)
            var request = request
            let form = try await WebForm(request: &request)
            let time = try await practiceTime(user)
            let booking: SessionService.Booking
            do {
                booking = try await sessions.reschedule(
                    session: id,
                    start: try Self.start(form, time),
                    durationMinutes: try Self.minutes(form),
                    allowOverlap: form["allowOverlap"] != nil,
                    actor: user.actor
                )
            } catch let error as ServiceError where Self.isFormRefusal(error) {
                return try await refusedForm(user, form, error, session: id)
            }
            return try await afterChange(user, form, warnings: booking.warnings)
        }
        web.post("/sessions/{id}/status") { request, context in
            let user = try SignedIn(request, context)
            let id = try Self.pageID("id", context)
            var request = request
            let form = try await WebForm(request: &request)
            do {
                try await sessions.setStatus(
                    try Self.settableStatus(form["status"] ?? ""),
                    session: id,
                    actor: user.actor
                )
            } catch let error as ServiceError where Self.isFormRefusal(error) {
                return try await refusedForm(user, form, error, session: id)
            }
            return try await afterChange(user, form, warnings: [])
        }
        web.post("/sessions/{id}/status-correction") { request, context in
            let user = try SignedIn(request, context)
            let id = try Self.pageID("id", context)
            var request = request
            let form = try await WebForm(request: &request)
            do {
                try await sessions.correctStatus(
                    try Self.parse(SessionStatus.self, form["status"] ?? ""),
                    session: id,
                    reason: form["reason"] ?? "",
                    actor: user.actor
                )
            } catch let error as ServiceError where Self.isFormRefusal(error) {
                return try await refusedForm(user, form, error, session: id)
            }
            return try await afterChange(user, form, warnings: [])
        }
    }

    /// The week page: `week` is any day of the week shown (this week by default), `counselor` the
    /// counselor shown (the actor when a counselor, else the practice's first). A bad value of either is
    /// said on the page, which then shows the default.
    func calendarPage(
        _ user: SignedIn,
        week weekText: String?,
        counselor counselorText: String?,
        warnings: [String] = [],
        refusal: CalendarView.Refusal? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let practices = PracticeService(pool: pool)
        let time = PracticeTime(timeZoneName: try await practices.practice(actor: user.actor).timeZone)
        var notices: [String] = []
        var day = time.day(of: Date())
        if let weekText {
            if let asked = CalendarDate(iso8601: weekText) {
                day = asked
            } else {
                notices.append("The week in the address is not a date like 2026-11-23 (YYYY-MM-DD); this is this week.")
            }
        }
        let monday = PracticeTime.monday(of: day)
        let counselors = try await practices.staff(actor: user.actor).filter {
            $0.active && $0.roles.contains(StaffActor.Role.counselor.rawValue)
        }
        var counselor = counselors.contains { $0.id == user.actor.staffID } ? user.actor.staffID : counselors.first?.id
        if let counselorText {
            if let asked = UUID(uuidString: counselorText), counselors.contains(where: { $0.id == asked }) {
                counselor = asked
            } else {
                notices.append(
                    "The counselor in the address is not one of the practice's counselors; choose one below."
                )
            }
        }
        let week = try await SessionService(pool: pool, keys: keys).list(
            from: time.start(of: monday),
            to: time.start(of: monday.adding(days: 7)),
            actor: user.actor
        ).filter { $0.counselorID == counselor }
        let clinical = !user.actor.isSchedulerOnly
        let charts: [CalendarView.Chart]
        if clinical {
            let service = ChartService(pool: pool, keys: keys)
            let couples = try await service.listCouples(actor: user.actor).map {
                CalendarView.Chart(reference: .couple($0.id), names: "\($0.partnerA) & \($0.partnerB)")
            }
            let clients = try await service.listClients(actor: user.actor).map {
                CalendarView.Chart(reference: .client($0.id), names: $0.preferredName ?? $0.legalName)
            }
            charts = couples + clients
        } else {
            // The front desk reaches no caseload list: it books again for the charts on this week.
            var seen = Set<String>()
            charts = week.compactMap {
                seen.insert(CalendarView.chartValue($0.chart)).inserted
                    ? CalendarView.Chart(reference: $0.chart, names: $0.chartName) : nil
            }
        }
        let view = CalendarView(
            chrome: user.chrome("Calendar", section: "/calendar"),
            time: time,
            monday: monday,
            notice: notices.isEmpty ? nil : notices.joined(separator: " "),
            warnings: warnings,
            counselors: counselors,
            counselor: counselor,
            sessions: week,
            charts: charts,
            clinical: clinical,
            refusal: refusal
        )
        return WebPage.html(WebTemplates.render(view, template: "calendar"), status: status)
    }

    /// The practice's clock, for reading a form's date and time.
    private func practiceTime(_ user: SignedIn) async throws -> PracticeTime {
        PracticeTime(timeZoneName: try await PracticeService(pool: pool).practice(actor: user.actor).timeZone)
    }

    /// The week again with the service's refusal at the refused form and everything typed kept.
    private func refusedForm(
        _ user: SignedIn,
        _ form: WebForm,
        _ error: ServiceError,
        session: UUID?
    ) async throws -> Response {
        try await calendarPage(
            user,
            week: form["week"],
            counselor: form["counselor"],
            refusal: CalendarView.Refusal(
                message: error.description,
                session: session,
                form: form,
                overlap: error.reason == "session-overlap"
            ),
            status: error.kind == .conflict ? .conflict : .unprocessableContent
        )
    }

    /// After a change: back to the form's week (post/redirect/get), or that week with the booking's
    /// warnings when it has any.
    private func afterChange(_ user: SignedIn, _ form: WebForm, warnings: [String]) async throws -> Response {
        guard warnings.isEmpty else {
            return try await calendarPage(user, week: form["week"], counselor: form["counselor"], warnings: warnings)
        }
        guard let week = form["week"].flatMap(CalendarDate.init(iso8601:)) else {
            return WebPage.redirect(to: "/calendar")
        }
        return WebPage.redirect(
            to: CalendarView.href(week: week, counselor: form["counselor"].flatMap(UUID.init(uuidString:)))
        )
    }

    /// Whether the service refused what was typed (the form comes back with its words), rather than the
    /// request itself (an error page).
    static func isFormRefusal(_ error: ServiceError) -> Bool {
        error.kind == .invalidInput || error.kind == .conflict
    }

    /// A form field's text, nil when absent or blank.
    static func given(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// The form's `date` and `time` in the practice's zone, refused naming `start`.
    static func start(_ form: WebForm, _ time: PracticeTime) throws -> Date {
        guard let day = CalendarDate(iso8601: form["date"] ?? ""),
            let start = time.instant(day, time: form["time"] ?? "")
        else {
            throw ServiceError(.invalidInput, field: "start", "give a date (YYYY-MM-DD) and a time (HH:MM, 24-hour)")
        }
        return start
    }

    /// The form's `duration` in whole minutes, refused naming `durationMinutes` (the service checks the range).
    static func minutes(_ form: WebForm) throws -> Int {
        guard let minutes = Int(form["duration"] ?? "") else {
            throw SessionService.invalidDuration
        }
        return minutes
    }
}
