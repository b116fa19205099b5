import Foundation
import HavenService
import HavenStore
import Hummingbird

/// The audit log's filters as a query string carries them, read in one place for `GET /v1/audit` and
/// the admin page `GET /admin/audit`: `clientId`, `staffId`, `action`, `outcome`, `breakGlass`,
/// `from`, `to` and `cursor`. Ids only; a value that is not what the parameter takes is a 400
/// `bad-parameter` (or `bad-cursor`) naming it.
struct AuditQuery {
    /// How `from` and `to` are written.
    enum Dates {
        /// ISO 8601 instants with an offset (the API); `to` is exclusive.
        case instants
        /// Calendar days `YYYY-MM-DD` in a time zone (the page's date fields); both days are included.
        case days(TimeZone)
    }

    /// Which way `cursor` pages.
    enum Paging {
        /// Oldest first; `cursor` is the last seq seen and the next page starts after it (the API).
        case oldestFirst
        /// Newest first; `cursor` is the last (oldest) seq seen and the next page holds older entries.
        case newestFirst
    }

    /// The filter `request` asks for in the actor's practice, taking `limit` entries.
    ///
    /// - Throws: `APIError` 400 naming the parameter at fault.
    static func filter(
        _ request: Request,
        practiceID: UUID,
        limit: Int,
        dates: Dates,
        paging: Paging
    ) throws -> AuditStore.Filter {
        func text(_ name: String) -> String? { HavenAPI.queryText(request, name) }
        func id(_ name: String) throws -> UUID? {
            try text(name).map { value in
                guard let id = UUID(uuidString: value) else { throw HavenAPI.badParameter(name, "must be a UUID") }
                return id
            }
        }
        let outcome = try text("outcome").map { value in
            guard let outcome = AuditEntry.Outcome(rawValue: value) else {
                throw HavenAPI.badParameter("outcome", "is success, denied or failed")
            }
            return outcome
        }
        let cursor = try text("cursor").map { value in
            guard let seq = Int(value), seq >= 0 else {
                throw APIError(
                    status: .badRequest,
                    kind: "bad-cursor",
                    detail: "cursor is a nextCursor value",
                    field: "cursor"
                )
            }
            return seq
        }
        let from: Date?
        let to: Date?
        switch dates {
        case .instants:
            from = try HavenAPI.instant(request, "from")
            to = try HavenAPI.instant(request, "to")
        case .days(let zone):
            from = try day(text("from"), named: "from", in: zone, next: false)
            to = try day(text("to"), named: "to", in: zone, next: true)
        }
        return AuditStore.Filter(
            practiceID: practiceID,
            clientID: try id("clientId"),
            staffID: try id("staffId"),
            action: text("action"),
            from: from,
            to: to,
            breakGlassOnly: try HavenAPI.flag(request, "breakGlass"),
            outcome: outcome,
            afterSeq: paging == .oldestFirst ? cursor : nil,
            beforeSeq: paging == .newestFirst ? cursor : nil,
            limit: limit,
            order: paging == .oldestFirst ? .oldestFirst : .newestFirst
        )
    }

    /// The start of the day `value` names in `zone` (or of the day after, for an inclusive end).
    private static func day(_ value: String?, named name: String, in zone: TimeZone, next: Bool) throws -> Date? {
        guard let value else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = value.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard value.count == 10, parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
            let start = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: start) == day, calendar.component(.month, from: start) == month
        else { throw HavenAPI.badParameter(name, "must be a date, YYYY-MM-DD") }
        return next ? calendar.date(byAdding: .day, value: 1, to: start) : start
    }
}
