import Foundation
import HavenCore
import HavenService

/// Days and times in the practice's time zone, as the calendar pages read them from forms
/// (`<input type="date">` and `<input type="time">` send `YYYY-MM-DD` and `HH:MM`) and print them.
struct PracticeTime {
    let zone: TimeZone
    private let calendar: Calendar

    init(timeZoneName: String) {
        zone = TimeZone(identifier: timeZoneName) ?? .gmt
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    /// The practice's date at `instant`.
    func day(of instant: Date) -> CalendarDate {
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return CalendarDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
            ?? CalendarDate(daysSince1970: 0)
    }

    /// The instant `day` starts in the practice's zone.
    func start(of day: CalendarDate) -> Date {
        calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))
            ?? Date(timeIntervalSince1970: 0)
    }

    /// The instant a `HH:MM` (24-hour) time of `day` is in the practice's zone; nil for any other text.
    func instant(_ day: CalendarDate, time text: String) -> Date? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { ("0"..."9").contains($0) } }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), hour < 24, minute < 60
        else { return nil }
        return calendar.date(
            from: DateComponents(year: day.year, month: day.month, day: day.day, hour: hour, minute: minute)
        )
    }

    /// `HH:MM` at `instant` in the practice's zone.
    func time(_ instant: Date) -> String {
        let parts = calendar.dateComponents([.hour, .minute], from: instant)
        return String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }

    /// "Monday, November 23".
    func dayTitle(_ day: CalendarDate) -> String {
        start(of: day).formatted(
            Date.FormatStyle(timeZone: zone).locale(Locale(identifier: "en_US")).weekday(.wide).month(.wide).day()
        )
    }

    /// The Monday of the week `day` is in (1970-01-01 was a Thursday).
    static func monday(of day: CalendarDate) -> CalendarDate {
        day.adding(days: -(((day.daysSince1970 + 3) % 7 + 7) % 7))
    }
}

/// The calendar page: one counselor's week, Monday to Sunday in the practice's time zone, with the
/// forms that schedule, move and record sessions. Every value is a string ready to print.
struct CalendarView {
    var chrome: PageChrome
    var weekTitle: String
    /// The week's Monday, `YYYY-MM-DD` (the value every form sends back).
    var week: String
    var previousHref: String
    var nextHref: String
    /// Why the page shows something other than what the address asked (a bad `week` value).
    var notice: String?
    /// What a booking or a move warns about (overlapping sessions of the same clients).
    var warnings: [String]
    var hasWarnings: Bool
    var counselors: [Option]
    /// The counselor shown, lowercase UUID text ("" when the practice has none).
    var counselor: String
    var counselorName: String
    var days: [Day]
    var schedule: ScheduleForm

    /// One choice of a `<select>`.
    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Day {
        var title: String
        /// The heading's id, `day-YYYY-MM-DD`.
        var anchor: String
        var sessions: [Session]
    }

    /// One session and the forms that act on it (each shown only where the actor's roles would use it;
    /// the service decides whether it is done).
    struct Session {
        var id: String
        var time: String
        var duration: String
        var kind: String
        var format: String
        var names: String
        /// The chart's page; nil for the front desk, which sees no clinical record.
        var href: String?
        var status: String
        /// The session's note editor, once the session is completed (clinical staff only).
        var noteHref: String?
        var scheduled: Bool
        /// Complete, no-show and move (the caseload's): not for the front desk.
        var clinical: Bool
        /// A status correction (a session no longer scheduled, clinical staff only).
        var correctable: Bool
        /// The forms start unfolded (after a refusal of one of them).
        var open: Bool
        var error: String?
        var moveDate: String
        var moveTime: String
        var moveDuration: String
        var askOverlap: Bool
        var allowOverlap: Bool
        var correctionStatuses: [Option]
        var correctionReason: String
    }

    /// The scheduling form, with what was typed kept after a refusal.
    struct ScheduleForm {
        var error: String?
        var charts: [Option]
        var date: String
        var time: String
        var duration: String
        var types: [Option]
        var formats: [Option]
        var serviceCode: String
        var riskOverrideReason: String
        var askOverlap: Bool
        var allowOverlap: Bool
    }

    /// A form the service refused, with the refusal's words and what was typed.
    struct Refusal {
        var message: String
        /// The session whose form was refused; nil for the scheduling form.
        var session: UUID?
        var form: WebForm
        /// The refusal was a counselor's double-booking: offer the deliberate overlap.
        var overlap: Bool
    }

    /// A chart the scheduling form offers: `couple:<id>` or `client:<id>`.
    struct Chart {
        var reference: ChartReference
        var names: String
    }

    static func chartValue(_ chart: ChartReference) -> String {
        "\(chart.kind):\(chart.id.uuidString.lowercased())"
    }

    /// The chart a scheduling form's `chart` value names, nil for anything else.
    static func chart(fromValue text: String) -> ChartReference? {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let id = UUID(uuidString: String(parts[1])) else { return nil }
        switch parts[0] {
        case "couple": return .couple(id)
        case "client": return .client(id)
        default: return nil
        }
    }

    /// The address of a counselor's week.
    static func href(week: CalendarDate, counselor: UUID?) -> String {
        "/calendar?week=\(week)" + (counselor.map { "&counselor=\($0.uuidString.lowercased())" } ?? "")
    }

    static func words(_ value: String) -> String { value.replacingOccurrences(of: "_", with: " ") }

    init(
        chrome: PageChrome,
        time: PracticeTime,
        monday: CalendarDate,
        notice: String?,
        warnings: [String],
        counselors: [PracticeService.StaffMember],
        counselor: UUID?,
        sessions: [SessionService.Listing],
        charts: [Chart],
        clinical: Bool,
        refusal: Refusal?
    ) {
        self.chrome = chrome
        let sunday = monday.adding(days: 6)
        weekTitle = "\(time.dayTitle(monday)) – \(time.dayTitle(sunday)), \(sunday.year)"
        week = monday.description
        previousHref = Self.href(week: monday.adding(days: -7), counselor: counselor)
        nextHref = Self.href(week: monday.adding(days: 7), counselor: counselor)
        self.notice = notice
        self.warnings = warnings
        hasWarnings = !warnings.isEmpty
        self.counselors = counselors.map {
            Option(value: $0.id.uuidString.lowercased(), label: $0.displayName, selected: $0.id == counselor)
        }
        self.counselor = counselor?.uuidString.lowercased() ?? ""
        counselorName = counselors.first { $0.id == counselor }?.displayName ?? "No counselor"
        let refused = refusal?.session
        days = (0..<7).map { offset in
            let day = monday.adding(days: offset)
            let lines = sessions.filter { time.day(of: $0.start) == day }
            return Day(
                title: time.dayTitle(day),
                anchor: "day-\(day)",
                sessions: lines.map { line in
                    let end = line.start.addingTimeInterval(TimeInterval(line.durationMinutes * 60))
                    let typed = refused == line.id ? refusal?.form : nil
                    let scheduled = line.status == SessionStatus.scheduled.rawValue
                    let correction = typed?["status"]
                    return Session(
                        id: line.id.uuidString.lowercased(),
                        time: "\(time.time(line.start))–\(time.time(end))",
                        duration: "\(line.durationMinutes) min",
                        kind: Self.words(line.sessionType),
                        format: Self.words(line.format),
                        names: line.chartName,
                        href: clinical
                            ? "/\(line.chart.kind == "couple" ? "couples" : "clients")/\(line.chart.id.uuidString.lowercased())"
                            : nil,
                        status: Self.words(line.status),
                        noteHref: clinical && line.status == SessionStatus.completed.rawValue
                            ? "/sessions/\(line.id.uuidString.lowercased())/note" : nil,
                        scheduled: scheduled,
                        clinical: clinical,
                        correctable: clinical && !scheduled,
                        open: typed != nil,
                        error: typed == nil ? nil : refusal?.message,
                        moveDate: typed?["date"] ?? time.day(of: line.start).description,
                        moveTime: typed?["time"] ?? time.time(line.start),
                        moveDuration: typed?["duration"] ?? "\(line.durationMinutes)",
                        askOverlap: typed != nil && refusal?.overlap == true,
                        allowOverlap: typed?["allowOverlap"] != nil,
                        correctionStatuses: SessionStatus.allCases.filter { $0.rawValue != line.status }.map {
                            Option(
                                value: $0.rawValue,
                                label: Self.words($0.rawValue),
                                selected: $0.rawValue == correction
                            )
                        },
                        correctionReason: typed?["reason"] ?? ""
                    )
                }
            )
        }
        // A refused session form whose session is not in the week shown: its words at the top.
        if let refusal, let id = refusal.session, !sessions.contains(where: { $0.id == id }) {
            self.notice = [notice, refusal.message].compactMap { $0 }.joined(separator: " ")
        }
        let typed = refusal?.session == nil ? refusal?.form : nil
        let chosenChart = typed?["chart"]
        let chosenType = typed?["type"] ?? ""
        let chosenFormat = typed?["format"] ?? SessionFormat.inPerson.rawValue
        schedule = ScheduleForm(
            error: typed == nil ? nil : refusal?.message,
            charts: charts.map {
                let value = Self.chartValue($0.reference)
                return Option(value: value, label: $0.names, selected: value == chosenChart)
            },
            date: typed?["date"] ?? monday.description,
            time: typed?["time"] ?? "09:00",
            duration: typed?["duration"] ?? "50",
            types: [
                Option(value: "", label: "conjoint for a couple, individual for a client", selected: chosenType.isEmpty)
            ]
                + SessionType.allCases.map {
                    Option(value: $0.rawValue, label: Self.words($0.rawValue), selected: $0.rawValue == chosenType)
                },
            formats: SessionFormat.allCases.map {
                Option(value: $0.rawValue, label: Self.words($0.rawValue), selected: $0.rawValue == chosenFormat)
            },
            serviceCode: typed?["serviceCode"] ?? "",
            riskOverrideReason: typed?["riskOverrideReason"] ?? "",
            askOverlap: typed != nil && refusal?.overlap == true,
            allowOverlap: typed?["allowOverlap"] != nil
        )
    }
}
