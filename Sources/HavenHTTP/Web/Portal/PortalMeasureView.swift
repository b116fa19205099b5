import Foundation
import HavenCore
import HavenService

/// `GET /portal/measures/{id}`: a questionnaire due from the partner. A CSI form is asked item by item with
/// each item's answer range (`MeasureFormView.items`, the counselor's form's data: one source); a practice's
/// own measure is asked as one number, with the measure's name and range (migration 0081). Haven ships no
/// item wording; the counselor gives the partner the questionnaire's words.
struct PortalMeasureView: PortalView {
    /// A practice measure's one field.
    struct Score {
        var label: String
        var minimum: String
        var maximum: String
        var value: String
    }

    var chrome = PageChrome.signedOut(title: "A questionnaire")
    var scheduleID: String
    var heading: String
    var intro: String
    var dueText: String?
    /// A CSI form's items (empty for a practice measure).
    var items: [MeasureFormView.Item]
    /// A practice measure's number (nil for a CSI form).
    var score: Score?
    var error: String?

    init(_ due: PortalService.DueMeasure, typed: [String] = [], error: String? = nil) {
        scheduleID = due.scheduleID.uuidString.lowercased()
        dueText = due.dueBefore.map {
            "Please send it before your appointment on \(PortalMeasuresView.day($0, due.timeZone))."
        }
        switch due.form {
        case .csi(let form):
            heading = "\(form.rawValue) questionnaire"
            intro =
                "Your counselor gave you this questionnaire's \(form.itemCount) questions. For each one, enter the "
                + "number of your answer. Only your counselor sees your answers, and they cannot be changed once sent."
            items = MeasureFormView.items(of: form, typed: typed)
        case .practice(let measure):
            let range = Self.range(measure)
            heading = measure.name
            intro =
                "Your counselor asked you for one number on this measure, \(range). Only your counselor sees your "
                + "answer, and it cannot be changed once sent."
            items = []
            score = Score(
                label: "Your answer (\(range))",
                minimum: PortalForm.PracticeMeasure.text(measure.minimum),
                maximum: PortalForm.PracticeMeasure.text(measure.maximum),
                value: typed.first ?? ""
            )
        }
        chrome.title = heading
        self.error = error
    }

    /// What the form sent for `form`: its items in order, or a practice measure's one number.
    static func typed(_ fields: WebForm, for form: PortalForm) -> [String] {
        switch form {
        case .csi(let csi): (1...csi.itemCount).map { fields["item\($0)"] ?? "" }
        case .practice: [fields["score"] ?? ""]
        }
    }

    /// The typed answer as the service takes it: a CSI form's items as whole numbers, a practice measure's
    /// number written in decimals (`6`, `6.5`, `-2`; no exponent, hexadecimal, `nan` or `inf`).
    ///
    /// - Throws: `invalidInput` naming `items[n]` or `score` for a field that is not such a number.
    static func answer(_ typed: [String], for form: PortalForm) throws -> PortalService.MeasureAnswer {
        switch form {
        case .csi: return .items(try MeasureFormView.answers(typed))
        case .practice(let measure):
            let text = (typed.first ?? "").trimmingCharacters(in: .whitespaces)
            guard text.wholeMatch(of: /-?[0-9]{1,15}(\.[0-9]{1,6})?/) != nil, let value = Double(text) else {
                throw ServiceError(.invalidInput, field: "score", "the answer must be a number \(range(measure))")
            }
            return .score(value)
        }
    }

    /// "from 0 to 10": a practice measure's range in the partner's words.
    static func range(_ measure: PortalForm.PracticeMeasure) -> String {
        "from \(PortalForm.PracticeMeasure.text(measure.minimum)) to \(PortalForm.PracticeMeasure.text(measure.maximum))"
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
        /// "13 of 21"; a practice measure's "6 (from 0 to 10)".
        var total: String
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
            Point(form: $0.form.title, date: $0.date.description, total: Self.total($0.total, of: $0.form))
        }
        hasTrend = !self.trend.isEmpty
        self.notice = notice
    }

    /// A due questionnaire as the portal lists it (here and on the home page).
    static func due(_ measure: PortalService.DueMeasure) -> Due {
        let label =
            switch measure.form {
            case .csi(let form): "\(form.rawValue) questionnaire (\(form.itemCount) questions)"
            case .practice(let practice): "\(practice.name) (one number \(PortalMeasureView.range(practice)))"
            }
        return Due(
            href: "/portal/measures/\(measure.scheduleID.uuidString.lowercased())",
            label: label,
            dueText: measure.dueBefore.map { "before your appointment on \(day($0, measure.timeZone))" }
        )
    }

    /// A total as the portal and the chart state it: "13 of 21" for a CSI form, "6 (from 0 to 10)" for a
    /// practice measure.
    static func total(_ total: Double, of form: PortalForm) -> String {
        switch form {
        case .csi(let csi): "\(MeasureFormView.number(total)) of \(csi.maximum)"
        case .practice(let measure): "\(PortalForm.PracticeMeasure.text(total)) (\(PortalMeasureView.range(measure)))"
        }
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
