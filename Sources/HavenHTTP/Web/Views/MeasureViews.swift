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
        let id = couple.id.uuidString.lowercased()
        names = "\(couple.partnerAName) & \(couple.partnerBName)"
        chartHref = "/couples/\(id)"
        action = "/couples/\(id)/measures/new"
        formCode = typed.form.rawValue
        forms = CouplesSatisfactionIndex.allCases.map {
            FormLink(
                label: "\($0.rawValue) (\($0.itemCount) items)",
                href: "/couples/\(id)/measures/new?form=\($0.rawValue)",
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
        items = (0..<typed.form.itemCount).map { index in
            let range = typed.form.range(ofItem: index)
            return Item(
                id: "item\(index + 1)",
                label: "Item \(index + 1) (answer \(range.lowerBound) to \(range.upperBound))",
                minimum: range.lowerBound,
                maximum: range.upperBound,
                value: index < typed.items.count ? typed.items[index] : ""
            )
        }
        maximumText =
            "Totals run from 0 to \(typed.form.maximum); below \(Self.number(typed.form.distressCutoff)) "
            + "indicates notable relationship dissatisfaction."
        error = typed.error
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
        let id = couple.id.uuidString.lowercased()
        names = "\(couple.partnerAName) & \(couple.partnerBName)"
        chartHref = "/couples/\(id)"
        newHref = "/couples/\(id)/measures/new?form=\(form.rawValue)"
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
