import Foundation
import HavenCore
import HavenService

/// The chart page's "Care status" section: the status now, what it means for the portal, and one
/// button per other status, each opening its confirmation page (a GET: nothing changes until that
/// page's form is sent).
struct CareStatusSection {
    /// One button of the section's form: the status it asks for and its label.
    struct Choice {
        var value: String
        var label: String
    }

    var status: String
    /// What the status means now, in a sentence (nil while active).
    var meaning: String?
    /// The confirmation page's path (`/couples/{id}/status`); the chosen status travels as `set`.
    var confirmAction: String
    var choices: [Choice]

    init(chart: ChartReference, status: CareStatus) {
        self.status = status.rawValue
        let people = chart.kind == "couple" ? "the partners" : "the client"
        meaning =
            switch status {
            case .active: nil
            case .paused:
                "The portal is closed for this chart while it is paused: \(people) cannot sign in to it and get no reminders."
            case .discharged:
                "The portal is closed for this chart: \(people) cannot sign in to it and get no reminders; "
                    + "their access was turned off at discharge."
            }
        confirmAction = HavenAPI.chartPath(chart) + "/status"
        choices = CareStatus.allCases.filter { $0 != status }.map {
            Choice(value: $0.rawValue, label: Self.verb($0) + "…")
        }
    }

    /// The button that asks for `status`, in the counselor's words.
    static func verb(_ status: CareStatus) -> String {
        switch status {
        case .active: "Make active again"
        case .paused: "Pause"
        case .discharged: "Discharge"
        }
    }
}

/// The confirmation page before a chart's care status changes (`GET /couples/{id}/status?set=...`):
/// what the change does, said plainly, and the one form that makes it; or, when the chart already has
/// the status, only that.
struct CareStatusConfirmView {
    var chrome: PageChrome
    var names: String
    var current: String
    /// The status asked for.
    var target: String
    /// The chart already has `target`: nothing to confirm.
    var already: Bool
    /// "Discharge: what happens", over `consequences`.
    var heading: String
    var consequences: [String]
    var button: String
    /// The form's path (`POST /couples/{id}/status`).
    var action: String
    var chartHref: String
    /// Why the last submit was refused (a partner already in another active couple).
    var error: String?

    init(
        chrome: PageChrome,
        chart: ChartReference,
        names: String,
        current: CareStatus,
        target: CareStatus,
        error: String? = nil
    ) {
        self.chrome = chrome
        self.names = names
        self.current = current.rawValue
        self.target = target.rawValue
        already = current == target
        heading = "\(CareStatusSection.verb(target)): what happens"
        consequences = Self.consequences(of: target, from: current, couple: chart.kind == "couple")
        button = "\(CareStatusSection.verb(target))\(chart.kind == "couple" ? " the couple" : " the client")"
        action = HavenAPI.chartPath(chart) + "/status"
        chartHref = HavenAPI.chartPath(chart) + "#care-status"
        self.error = error
    }

    /// What moving a chart from `current` to `target` does, in plain words, for the confirmation page
    /// (the database's triggers do it: docs/portal.md, "How access ends").
    static func consequences(of target: CareStatus, from current: CareStatus, couple: Bool) -> [String] {
        let people = couple ? "Both partners are" : "The client is"
        let them = couple ? "the partners" : "the client"
        let booked =
            "Sessions already booked stay on the calendar and are not cancelled: cancel any that will not take "
            + "place from the calendar or the session's page."
        switch target {
        case .paused:
            return [
                "\(people) signed out of the portal at once, and cannot sign in to this chart while it is paused.",
                "Reminders (appointments, homework, questionnaires) stop going to \(them).",
                "Their portal access is kept: when you make the chart active again they can sign in as before.",
                booked,
            ]
        case .discharged:
            return [
                "\(people) signed out of the portal at once, and cannot sign in to this chart.",
                "Their portal access to this chart is turned off and any invitation not yet accepted is cancelled: "
                    + "if \(them) come back, invite them again.",
                "Reminders (appointments, homework, questionnaires) stop going to \(them).",
                booked,
            ]
        case .active:
            var lines = [
                current == .discharged
                    ? "Portal access stays off after a discharge: invite \(them) again from the chart's Portal access."
                    : "\(them.prefix(1).uppercased() + them.dropFirst()) can sign in to the portal again, and reminders resume."
            ]
            if couple {
                lines.append("This is refused while either partner is in another active couple.")
            }
            return lines
        }
    }
}
