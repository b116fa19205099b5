import Foundation
import HavenService

/// The Today page's content, every value a string ready to print (the template decides nothing).
struct TodayView {
    var chrome: PageChrome
    var dateText: String
    var appointments: [Row]
    var unfinished: [Row]
    var drafts: [Row]
    var toCosign: [Row]
    var awaitingCosignature: [Row]
    var overdueHomework: [Row]
    var highRisk: [Row]
    var measuresDue: [Row]

    /// One line of a list: when, who (a link to the chart by id), what.
    struct Row {
        var when: String
        var names: String
        var href: String
        var detail: String
    }

    init(day: TodayService.Day, chrome: PageChrome) {
        self.chrome = chrome
        let zone = TimeZone(identifier: day.timeZone) ?? .gmt
        let time = Date.FormatStyle(date: .omitted, time: .shortened, timeZone: zone)
        let dayAndTime = Date.FormatStyle(timeZone: zone).weekday(.abbreviated).month(.abbreviated).day().hour()
            .minute()
        dateText = "\(day.date) (\(day.timeZone))"
        func chart(_ item: TodayService.ChartItem) -> (String, String) {
            let names = item.names.joined(separator: " & ")
            switch item.chart {
            case .couple(let id): return (names, "/couples/\(id.uuidString.lowercased())")
            case .client(let id): return (names, "/clients/\(id.uuidString.lowercased())")
            }
        }
        func appointment(_ a: TodayService.Appointment, format: Date.FormatStyle) -> Row {
            let (names, href) = chart(a.chart)
            let kind = a.sessionType.replacingOccurrences(of: "_", with: " ")
            return Row(
                when: a.start.formatted(format),
                names: names,
                href: href,
                detail:
                    "\(kind), \(a.durationMinutes) min, \(a.format.replacingOccurrences(of: "_", with: " ")) · \(a.status)"
                    + (a.noted ? " · note started" : "")
            )
        }
        func note(_ n: TodayService.NoteItem, detail: String) -> Row {
            let (names, href) = chart(n.chart)
            return Row(when: n.sessionStart.formatted(dayAndTime), names: names, href: href, detail: detail)
        }
        appointments = day.appointments.map { appointment($0, format: dayAndTime) }
        unfinished = day.unfinished.map { appointment($0, format: dayAndTime) }
        drafts = day.drafts.map { note($0, detail: "draft, version \($0.version)") }
        toCosign = day.toCosign.map { note($0, detail: "by \($0.authorName)") }
        awaitingCosignature = day.awaitingCosignature.map { note($0, detail: "awaiting your supervisor") }
        overdueHomework = day.overdueHomework.map { item in
            let (names, href) = chart(item.chart)
            return Row(
                when: "due \(item.dueOn)",
                names: names,
                href: href,
                detail: item.promptTitle + (item.partnerName.map { " (\($0))" } ?? " (both)")
            )
        }
        highRisk = day.highRisk.map { item in
            let (names, href) = chart(item)
            return Row(when: "", names: names, href: href, detail: "open high-risk flag")
        }
        measuresDue = day.measuresDue.map { item in
            let (_, href) = chart(item.chart)
            return Row(
                when: item.sessionStart.formatted(time),
                names: item.name,
                href: href,
                detail: item.lastAdministeredOn.map { "last CSI \($0)" } ?? "no CSI yet"
            )
        }
    }
}
