import Foundation
import HavenMail
import HavenService
import Hummingbird

extension HavenAPI {
    /// The practice's reminder switches (`/admin/reminders`): one box per kind, the partners' and then
    /// the counselors' (the digest of new answers), and how many hours before an appointment its
    /// reminder goes out; the POST turns on or off only the kinds whose box changed, each audited
    /// (`practice.notification.on|off`), and sets the hours when they changed
    /// (`practice.reminder_hours.set`; a number out of range comes back as 422 with what was typed).
    /// Admins only (a refusal is audited and shown as a 403 page).
    func addAdminReminderPages(to web: RouterGroup<HavenRequestContext>) {
        let practice = PracticeService(pool: pool)
        web.get("/admin/reminders") { request, context in
            try await Self.adminOnly {
                let user = try SignedIn(request, context)
                // The admin check (audited as the other admin pages' is).
                _ = try await practice.administration(actor: user.actor)
                var view = AdminReminderView(
                    chrome: user.chrome("Reminders", section: "/admin"),
                    settings: try await practice.notificationSettings(actor: user.actor),
                    hours: String(try await practice.appointmentReminderHours(actor: user.actor))
                )
                if Self.queryText(request, "done") == "saved" { view.notice = "The practice's reminders are saved." }
                return WebPage.html(WebTemplates.render(view, template: "admin-reminders"))
            }
        }
        web.post("/admin/reminders") { request, context in
            try await Self.adminOnly {
                var request = request
                let user = try SignedIn(request, context)
                let form = try await WebForm(request: &request)
                _ = try await practice.administration(actor: user.actor)
                let settings = try await practice.notificationSettings(actor: user.actor)
                // The hours first (when the form sent them): a refusal changes nothing and shows the form
                // again as typed.
                let typed = form["appointment-hours"]?.trimmingCharacters(in: .whitespaces)
                do {
                    if let typed {
                        guard let hours = Int(typed) else {
                            throw ServiceError(
                                .invalidInput,
                                field: "appointmentReminderHours",
                                PracticeService.appointmentReminderHoursRule
                            )
                        }
                        if hours != (try await practice.appointmentReminderHours(actor: user.actor)) {
                            try await StaffAdminService(pool: pool).setAppointmentReminderHours(
                                hours,
                                actor: user.actor
                            )
                        }
                    }
                } catch let error as ServiceError where error.kind == .invalidInput {
                    var view = AdminReminderView(
                        chrome: user.chrome("Reminders", section: "/admin"),
                        settings: settings,
                        hours: typed ?? ""
                    )
                    view.hoursError =
                        "The hours before an appointment (“\(typed ?? "")”) \(error.message): type a number such as 24 and save again."
                    return WebPage.html(
                        WebTemplates.render(view, template: "admin-reminders"),
                        status: .unprocessableContent
                    )
                }
                for setting in settings {
                    let send = form["send-\(setting.kind.rawValue)"] == "yes"
                    if send == setting.practiceOff {
                        try await practice.setNotification(setting.kind, send: send, actor: user.actor)
                    }
                }
                return WebPage.redirect(to: "/admin/reminders?done=saved")
            }
        }
    }
}

/// `GET /admin/reminders`.
struct AdminReminderView {
    struct Kind {
        var name: String
        var label: String
        var send: Bool
    }

    var chrome: PageChrome
    /// The partners' kinds, then the staff's (the counselor's digest), each in its own fieldset.
    var kinds: [Kind]
    var staffKinds: [Kind]
    var notice: String?
    /// The hours before an appointment its reminder goes out, as the form shows them (typed, after a
    /// refusal), with the allowed range.
    var hours: String
    var hoursError: String?
    let minimumHours = PracticeService.appointmentReminderHours.lowerBound
    let maximumHours = PracticeService.appointmentReminderHours.upperBound

    init(chrome: PageChrome, settings: [NotificationSetting], hours: String) {
        self.chrome = chrome
        self.hours = hours
        let all = settings.map {
            ($0.kind.isForStaff, Kind(name: $0.kind.rawValue, label: $0.practiceLabel, send: !$0.practiceOff))
        }
        kinds = all.filter { !$0.0 }.map(\.1)
        staffKinds = all.filter(\.0).map(\.1)
    }
}
