import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP

/// `haven today`: the counselor's inbox — the day's sessions with names, and what needs doing.
struct TodayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "today",
        abstract: "Your day: today's and tomorrow's sessions, and what needs doing.",
        discussion: """
            Shows your sessions today and tomorrow (practice time) with the people's names, then what \
            needs doing: sessions past their time not yet marked completed, no-show or cancelled; draft \
            notes; notes awaiting your co-signature (as a supervisor) or your supervisor's (when you are \
            pre-licensed); overdue homework; couples with an open high-risk flag; and partners or \
            clients seen soon with no CSI in the last 28 days. Each section says the command that deals \
            with it. --json prints the API's GET /v1/me/today answer.

            Example:
              haven today
              haven today --json
            """
    )

    @OptionGroup var options: ClinicalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Clinic.with(options) { clinic in
            let day = try await clinic.api.send("GET", "/v1/me/today", as: HavenAPI.DayView.self)
            try output.emit(day) { DayText(day: day, style: DateStyle(timeZoneName: day.timeZone)).render() }
        }
    }
}

/// The day as text: a heading, then one block per non-empty section.
private struct DayText {
    let day: HavenAPI.DayView
    let style: DateStyle

    func render() -> String {
        var blocks = ["Today is \(day.date) (\(day.timeZone))."]
        blocks.append(sessions())
        section(
            &blocks,
            day.unfinished,
            "Past their time, not yet marked — haven session complete|no-show|cancel ID",
            header: ["ID", "START", "WHO"]
        ) { [short($0.id), style.dateTime($0.start), who($0.chart)] }
        section(
            &blocks,
            day.drafts,
            "Draft notes — haven note edit ID, then haven note sign ID",
            header: ["ID", "SESSION", "WHO", "VERSION"]
        ) { [short($0.id), style.dateTime($0.sessionStart), who($0.chart), "\($0.version)"] }
        section(
            &blocks,
            day.toCosign,
            "Awaiting your co-signature — haven note show ID, then haven note cosign ID",
            header: ["ID", "SESSION", "WHO", "COUNSELOR", "SIGNED"]
        ) {
            [
                short($0.id), style.dateTime($0.sessionStart), who($0.chart), $0.authorName,
                $0.signedAt.map(style.dateTime) ?? "",
            ]
        }
        section(
            &blocks,
            day.awaitingCosignature,
            "Your notes awaiting your supervisor's co-signature",
            header: ["ID", "SESSION", "WHO", "SIGNED"]
        ) { [short($0.id), style.dateTime($0.sessionStart), who($0.chart), $0.signedAt.map(style.dateTime) ?? ""] }
        section(
            &blocks,
            day.overdueHomework,
            "Overdue homework — haven homework respond ID --partner CLIENT",
            header: ["ID", "DUE", "COUPLE", "FOR", "PROMPT"]
        ) {
            [short($0.id), $0.dueOn, who($0.chart), $0.partnerName ?? "both partners", $0.promptTitle]
        }
        section(
            &blocks,
            day.highRisk,
            "Open high-risk flag — conjoint sessions and joint homework need an override reason",
            header: ["COUPLE", "WHO"]
        ) { [short($0.id), who($0)] }
        section(
            &blocks,
            day.measuresDue,
            "CSI due before the session — haven measure record --measure CSI-4 --client CLIENT --items ...",
            header: ["CLIENT", "NAME", "SESSION", "LAST CSI"]
        ) { [short($0.clientId), $0.name, style.dateTime($0.sessionStart), $0.lastAdministeredOn ?? "never"] }
        if blocks.count == 2 && day.appointments.isEmpty { blocks.append("Nothing needs doing.") }
        return blocks.joined(separator: "\n\n")
    }

    private func sessions() -> String {
        guard !day.appointments.isEmpty else { return "No sessions today or tomorrow." }
        let today = style.today()
        let table = TextTable(
            header: ["ID", "WHEN", "MIN", "WHO", "TYPE", "FORMAT", "STATUS", "NOTE"],
            rows: day.appointments.map {
                let date = style.dateTime($0.start)
                let when = date.hasPrefix(today.description) ? "today" : "tomorrow"
                return [
                    short($0.id), "\(when) \(date.suffix(5))", "\($0.durationMinutes)", who($0.chart), $0.sessionType,
                    $0.format,
                    $0.status.replacingOccurrences(of: "_", with: " "), $0.noted ? "yes" : "",
                ]
            }
        )
        return "Sessions\n" + table.render()
    }

    private func section<Item>(
        _ blocks: inout [String],
        _ items: [Item],
        _ title: String,
        header: [String],
        row: (Item) -> [String]
    ) {
        guard !items.isEmpty else { return }
        blocks.append("\(title) (\(items.count))\n" + TextTable(header: header, rows: items.map(row)).render())
    }

    private func who(_ chart: HavenAPI.ChartNameView) -> String {
        chart.names.isEmpty ? "(not in reach)" : chart.names.joined(separator: " & ")
    }
}
