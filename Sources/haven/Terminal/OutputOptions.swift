import ArgumentParser
import Foundation
import HavenCore
import HavenService

/// `--json` on read commands: stable machine output (sorted keys, ISO 8601 instants, ids as lowercase
/// UUIDs) instead of a table.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable keys and ISO 8601 dates) instead of a table.")
    var json = false

    /// Prints `value` as JSON when asked, else the human text.
    func emit<Value: Encodable>(_ value: Value, human: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            let text = human()
            if !text.isEmpty { print(text.terminalSafe) }
        }
    }
}

/// How the CLI shows and reads dates: in the practice's time zone, ISO 8601 in and out.
struct DateStyle {
    let timeZone: TimeZone

    init(timeZoneName: String) {
        timeZone = TimeZone(identifier: timeZoneName) ?? TimeZone(identifier: "UTC")!
    }

    /// `2026-11-24 15:00` in the practice's zone.
    func dateTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d",
            parts.year ?? 0,
            parts.month ?? 0,
            parts.day ?? 0,
            parts.hour ?? 0,
            parts.minute ?? 0
        )
    }

    /// Today's date in the practice's zone.
    func today(_ now: Date = Date()) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// The instant a day starts in the practice's zone.
    func start(of day: CalendarDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }

    /// Parses an ISO 8601 date and time: with `Z` or an offset as given, without one in the practice's
    /// zone (`2026-11-24T15:00`, `2026-11-24 15:00`, `2026-11-24T15:00:00-06:00`).
    func parseDateTime(_ text: String, option: String) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "T")
        let withZone = ISO8601DateFormatter()
        withZone.formatOptions = [.withInternetDateTime]
        if let date = withZone.date(from: trimmed) { return date }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = timeZone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            local.dateFormat = format
            if let date = local.date(from: trimmed) { return date }
        }
        throw UserError(
            message:
                "\(option): '\(text.prefix(40))' is not a date and time; use ISO 8601, e.g. 2026-11-24T15:00 (practice time) or 2026-11-24T21:00Z"
        )
    }
}

/// Parses an ISO 8601 calendar date (`2026-11-24`).
func parseDate(_ text: String, option: String) throws -> CalendarDate {
    guard let date = CalendarDate(iso8601: text.trimmingCharacters(in: .whitespaces)) else {
        throw UserError(message: "\(option): '\(text.prefix(40))' is not a date; use ISO 8601, e.g. 2026-11-24")
    }
    return date
}

/// The first eight hex digits of an id: how the CLI shows ids in tables (any command accepts them).
func short(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }

/// The first eight hex digits of an id as the API sends it (lowercase UUID text).
func short(_ id: String) -> String { String(id.lowercased().prefix(8)) }

/// Lowercase UUID text, for JSON.
func full(_ id: UUID) -> String { id.uuidString.lowercased() }

/// A stage's short name for tables.
func stageName(_ stage: Int) -> String {
    switch stage {
    case 1: "de-escalation"
    case 2: "restructuring"
    case 3: "consolidation"
    default: ""
    }
}
