import Foundation
import HavenCore

extension DateStyle {
    /// Parses a plain ISO 8601 date (`2026-11-24`: the start of that day in the practice's zone) or a
    /// date and time as `parseDateTime` does.
    ///
    /// - Throws: `UserError` naming `option` and repeating `text` when it is neither.
    func parseInstant(_ text: String, option: String) throws -> Date {
        if let day = CalendarDate(iso8601: text.trimmingCharacters(in: .whitespaces)) { return start(of: day) }
        do {
            return try parseDateTime(text, option: option)
        } catch is UserError {
            throw UserError(
                message: "\(option): '\(text.prefix(40))' is not a date or a date and time; use ISO 8601, e.g. "
                    + "2026-11-24 (the start of that day, practice time), 2026-11-24T15:00 or 2026-11-24T21:00Z"
            )
        }
    }

    /// Today in the practice's zone, as the instants it starts and ends (the start of tomorrow).
    func todayRange(_ now: Date = Date()) -> (from: Date, to: Date) {
        let day = today(now)
        return (start(of: day), start(of: day.adding(days: 1)))
    }
}
