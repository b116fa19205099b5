import Foundation
import HavenCore
import HavenService

/// `GET /portal/measures/{id}`: a questionnaire due from the partner, item by item with each item's
/// answer range (`MeasureFormView.items`, the counselor's form's data: one source). Haven ships no
/// item wording; the counselor gives the partner the questionnaire's words.
struct PortalMeasureView: PortalView {
    var chrome = PageChrome.signedOut(title: "A questionnaire")
    var scheduleID: String
    var formCode: String
    var itemCount: Int
    var dueText: String?
    var items: [MeasureFormView.Item]
    var error: String?

    init(_ due: PortalService.DueMeasure, typed: [String] = [], error: String? = nil) {
        chrome.title = "\(due.form.rawValue) questionnaire"
        scheduleID = due.scheduleID.uuidString.lowercased()
        formCode = due.form.rawValue
        itemCount = due.form.itemCount
        dueText = due.dueBefore.map {
            "Please send it before your appointment on \(PortalMeasuresView.day($0, due.timeZone))."
        }
        items = MeasureFormView.items(of: due.form, typed: typed)
        self.error = error
    }
}

/// `GET /portal/measures`: the questionnaires due from the partner and, when their counselor allowed
/// it, their own totals so far. Nothing of the other partner's.
struct PortalMeasuresView: PortalView {
    struct Due {
        var href: String
        var label: String
        var dueText: String?
    }

    struct Point {
        var form: String
        var date: String
        var total: String
        var maximum: String
    }

    var chrome = PageChrome.signedOut(title: "Questionnaires")
    var notice: String?
    var due: [Due]
    var trend: [Point]
    /// The counselor allowed the trend and there is a total to show. Stored: templates read stored
    /// properties only.
    var hasTrend: Bool

    init(due: [PortalService.DueMeasure], trend: [PortalService.MeasurePoint], notice: String? = nil) {
        self.due = due.map(Self.due)
        self.trend = trend.map {
            Point(
                form: $0.form.rawValue,
                date: $0.date.description,
                total: MeasureFormView.number($0.total),
                maximum: String($0.form.maximum)
            )
        }
        hasTrend = !self.trend.isEmpty
        self.notice = notice
    }

    /// A due questionnaire as the portal lists it (here and on the home page).
    static func due(_ measure: PortalService.DueMeasure) -> Due {
        Due(
            href: "/portal/measures/\(measure.scheduleID.uuidString.lowercased())",
            label: "\(measure.form.rawValue) questionnaire (\(measure.form.itemCount) questions)",
            dueText: measure.dueBefore.map { "before your appointment on \(day($0, measure.timeZone))" }
        )
    }

    /// "Tuesday 15 December": the appointment's day in the practice's time zone (no time, no more).
    static func day(_ date: Date, _ zone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEEE d MMMM"
        return formatter.string(from: date)
    }
}
