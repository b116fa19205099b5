import Foundation
import HavenCore
import HavenService

/// The CSI form: one field per item with its answer range, both from `CouplesSatisfactionIndex` (the
/// one definition of the forms; Haven ships no item wording, only item numbers and ranges).
struct MeasureFormView {
    var chrome: PageChrome
    var names: String
    var chartHref: String
    var action: String
    var formCode: String
    var forms: [FormLink]
    var partners: [WebOption]
    var administeredOn: String
    var items: [Item]
    var maximumText: String
    var error: String?

    /// What the form sent, kept when the service refuses it.
    struct Typed {
        var form: CouplesSatisfactionIndex
        var partner = ""
        var administeredOn = ""
        var items: [String] = []
        var error: String?
    }

    struct FormLink {
        var label: String
        var href: String
        var current: Bool
    }

    struct Item {
        var id: String
        var label: String
        var minimum: Int
        var maximum: Int
        var value: String
    }

    init(chrome: PageChrome, couple: ChartService.Couple, typed: Typed, today: CalendarDate) {
        self.chrome = chrome
        let chart = HavenAPI.chartPath(.couple(couple.id))
        names = "\(couple.partnerAName) & \(couple.partnerBName)"
        chartHref = chart
        action = chart + "/measures/new"
        formCode = typed.form.rawValue
        forms = CouplesSatisfactionIndex.allCases.map {
            FormLink(
                label: "\($0.rawValue) (\($0.itemCount) items)",
                href: chart + "/measures/new?form=\($0.rawValue)",
                current: $0 == typed.form
            )
        }
        partners = [(couple.partnerA, couple.partnerAName), (couple.partnerB, couple.partnerBName)].map {
            WebOption(
                value: $0.0.uuidString.lowercased(),
                label: $0.1,
                selected: typed.partner.lowercased() == $0.0.uuidString.lowercased()
            )
        }
        administeredOn = typed.administeredOn.isEmpty ? today.description : typed.administeredOn
        items = Self.items(of: typed.form, typed: typed.items)
        maximumText =
            "Totals run from 0 to \(typed.form.maximum); below \(Self.number(typed.form.distressCutoff)) "
            + "indicates notable relationship dissatisfaction."
        error = typed.error
    }

    /// The form's fields, item by item with each item's answer range: the one source for the
    /// counselor's form and the portal's (`PortalMeasureView`). `typed` refills the fields.
    static func items(of form: CouplesSatisfactionIndex, typed: [String]) -> [Item] {
        (0..<form.itemCount).map { index in
            let range = form.range(ofItem: index)
            return Item(
                id: "item\(index + 1)",
                label: "Item \(index + 1) (answer \(range.lowerBound) to \(range.upperBound))",
                minimum: range.lowerBound,
                maximum: range.upperBound,
                value: index < typed.count ? typed[index] : ""
            )
        }
    }

    /// The typed answers as numbers, item by item, for the scoring in `CouplesSatisfactionIndex`.
    ///
    /// - Throws: `invalidInput` naming `items[n]` for an item left empty or not a whole number.
    static func answers(_ typed: [String]) throws -> [Int] {
        try typed.enumerated().map { index, text in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ServiceError(.invalidInput, field: "items[\(index + 1)]", "answer item \(index + 1)")
            }
            return value
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// A partner's series on one CSI form after recording: the latest total against the cut-off, the
/// reliable-change reading, every administration.
struct MeasureResultView {
    var chrome: PageChrome
    var partnerName: String
    var names: String
    var chartHref: String
    var newHref: String
    var formCode: String
    var recorded: Bool
    var latestText: String?
    var cutoffText: String
    var changeText: String?
    var points: [Point]

    struct Point {
        var date: String
        var total: String
    }

    init(
        chrome: PageChrome,
        couple: ChartService.Couple,
        partnerName: String,
        form: CouplesSatisfactionIndex,
        trend: MeasureService.Trend,
        recorded: Bool
    ) {
        self.chrome = chrome
        self.partnerName = partnerName
        let chart = HavenAPI.chartPath(.couple(couple.id))
        names = "\(couple.partnerAName) & \(couple.partnerBName)"
        chartHref = chart
        newHref = chart + "/measures/new?form=\(form.rawValue)"
        formCode = form.rawValue
        self.recorded = recorded
        let cutoff = trend.cutoff ?? form.distressCutoff
        if let latest = trend.points.last {
            latestText =
                "\(MeasureFormView.number(latest.total)) of \(form.maximum) on \(latest.date): "
                + (latest.total < cutoff ? "below the cut-off" : "at or above the cut-off")
        }
        cutoffText =
            "\(MeasureFormView.number(cutoff)) (totals below it indicate notable relationship dissatisfaction)"
        if let label = trend.label, let index = trend.reliableChangeIndex, let first = trend.points.first {
            changeText =
                "\(label.rawValue) since \(first.date) (reliable change index \(String(format: "%.2f", index)))"
        }
        points = trend.points.map { Point(date: $0.date.description, total: MeasureFormView.number($0.total)) }
    }
}

/// The chart's "On the portal" part of its measures section (couples): the forms scheduled for the
/// partners to answer on the portal (CSI forms and the practice's own measures), each with a stop button; the form to schedule one (after a refused
/// submit, with what was typed and the refusal beside its field); and the measures the partners answered
/// there, marked as from the portal (`ChartService.Record.portalMeasures`).
struct PortalMeasuresSection {
    struct Schedule {
        var text: String
        var endAction: String
    }

    struct Answer {
        var partner: String
        var form: String
        var date: String
        var total: String
    }

    /// What the schedule form sent (or its defaults), kept when it is refused, with the refusal and the
    /// field it is about (`form`, `partner` or `cadence`).
    struct Typed {
        var form = CouplesSatisfactionIndex.csi4.rawValue
        var partner = "both"
        var cadence = MeasureService.Cadence.everySession.rawValue
        var showTrend = false
        var error: String?
        var field: String?
    }

    var scheduleAction: String
    var forms: [WebOption]
    var partners: [WebOption]
    var cadences: [WebOption]
    var showTrend: Bool
    /// The refusal of the last submit, shown beside `field`'s select.
    var error: String?
    var formError: Bool
    var partnerError: Bool
    var cadenceError: Bool
    var schedules: [Schedule]
    var answers: [Answer]

    init(
        _ measures: MeasureService.PortalMeasures,
        couple: UUID,
        partners names: [(id: UUID, name: String)],
        typed: Typed = .init()
    ) {
        let base = HavenAPI.chartPath(.couple(couple)) + "/measures/schedules"
        let named = Dictionary(names.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        scheduleAction = base
        forms =
            CouplesSatisfactionIndex.allCases.map {
                WebOption(
                    value: $0.rawValue,
                    label: "\($0.rawValue) (\($0.itemCount) items)",
                    selected: $0.rawValue == typed.form
                )
            }
            + measures.practiceMeasures.map {
                let value = Self.value(of: $0)
                return WebOption(
                    value: value,
                    label: "\($0.name) (the practice's measure: one number \(PortalMeasureView.range($0)))",
                    selected: value == typed.form.lowercased()
                )
            }
        partners =
            [WebOption(value: "both", label: "Each partner", selected: typed.partner == "both")]
            + names.map {
                let value = HavenAPI.text($0.id)
                return WebOption(value: value, label: $0.name, selected: typed.partner.lowercased() == value)
            }
        cadences = MeasureService.Cadence.allCases.map {
            WebOption(value: $0.rawValue, label: Self.words($0), selected: $0.rawValue == typed.cadence)
        }
        showTrend = typed.showTrend
        error = typed.error
        formError = typed.error != nil && typed.field == "form"
        partnerError = typed.error != nil && typed.field == "partner"
        cadenceError = typed.error != nil && typed.field == "cadence"
        schedules = measures.schedules.map { schedule in
            let who = schedule.partnerID.flatMap { named[$0] } ?? "each partner"
            return Schedule(
                text: "\(schedule.form.title) for \(who), \(Self.words(schedule.cadence).lowercased())"
                    + (schedule.showTrend ? "; the partner sees their own totals" : ""),
                endAction: "\(base)/\(HavenAPI.text(schedule.id))/end"
            )
        }
        answers = measures.answers.map {
            Answer(
                partner: named[$0.partnerID] ?? "partner",
                form: $0.form.title,
                date: $0.administeredOn.description,
                total: PortalMeasuresView.total($0.total, of: $0.form)
            )
        }
    }

    /// The schedule form's value for a practice measure: `practice:` and the definition's id (a practice's
    /// code may be any text, a CSI form's code included).
    static func value(of measure: PortalForm.PracticeMeasure) -> String {
        "practice:" + HavenAPI.text(measure.definitionID)
    }

    /// A cadence in the counselor's words.
    static func words(_ cadence: MeasureService.Cadence) -> String {
        switch cadence {
        case .once: "Once"
        case .everySession: "Before every session"
        case .everyOtherSession: "Before every other session"
        }
    }
}
