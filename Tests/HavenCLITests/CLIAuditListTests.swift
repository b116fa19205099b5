import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite(
    "haven audit list for operators: newest first, --tail, plain dates and --today, known actions only",
    .needsTestDatabase,
    .needsHavenBinary
)
struct CLIAuditListTests {
    struct Entry: Decodable {
        var seq: Int
        var action: String
    }

    /// Dana signs in and adds three clients: a handful of audited entries, all made today.
    private static func withActivity(_ body: (CLIFixture, [Int]) async throws -> Void) async throws {
        try await CLIFixture.with { f in
            try f.login()
            for name in ["Fictional A", "Fictional B", "Fictional C"] { try f.ok(["client", "add", "--name", name]) }
            let all = try f.json(["audit", "list", "--oldest-first"], as: [Entry].self).map(\.seq)
            try await body(f, all)
        }
    }

    /// The fixture practice's calendar (America/Chicago).
    private static var practiceCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/Chicago")!
        return calendar
    }

    /// Today's date in the fixture practice's zone (America/Chicago).
    private static func practiceDay(addingDays days: Int = 0) -> String {
        let calendar = practiceCalendar
        let day = calendar.date(byAdding: .day, value: days, to: Date())!
        let parts = calendar.dateComponents([.year, .month, .day], from: day)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// An entry's source is the app role's claim: with its password and a session, raw SQL can write a
    /// line break into it (attacker review of 2026-12-07). The table keeps each entry on its own line.
    @Test func aSourceWithALineBreakCannotPrintALineOfItsOwn() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let actor = try await f.fixture.staff.openSession(
                for: f.fixture.counselorID,
                practiceID: f.fixture.practiceID,
                source: "test"
            )
            try await f.fixture.app.withConnection { connection in
                try await connection.transaction { connection in
                    _ = try await connection.query(
                        """
                        SELECT 1 FROM haven_open_context(\(actor.sessionHash), false,
                                                         \("10.0.0.7\n99999  forged  operator  staff.disable"), 'r1')
                        """
                    )
                    _ = try await connection.query(
                        "SELECT 1 FROM haven_audit_append('note.read', 'note', gen_random_uuid(), '{}', 'success', NULL)"
                    )
                }
            }
            let table = try f.run(["audit", "list", "--tail", "1"])
            let lines = table.stdout.split(separator: "\n")
            #expect(table.status == 0, "\(table)")
            #expect(lines.contains { $0.contains("10.0.0.7\u{FFFD}99999  forged") }, "\(table)")
            #expect(!lines.contains { $0.hasPrefix("99999") })
        }
    }

    @Test func newestFirstByDefaultTheTailOldestToNewestAndOldestFirstOnRequest() async throws {
        try await Self.withActivity { f, all in
            #expect(all.count >= 4 && all == all.sorted())
            #expect(try f.json(["audit", "list"], as: [Entry].self).map(\.seq) == Array(all.reversed()))
            #expect(
                try f.json(["audit", "list", "--limit", "2"], as: [Entry].self).map(\.seq)
                    == Array(all.suffix(2).reversed())
            )
            #expect(try f.json(["audit", "list", "--tail", "2"], as: [Entry].self).map(\.seq) == Array(all.suffix(2)))
            #expect(
                try f.json(["audit", "list", "--oldest-first", "--limit", "2"], as: [Entry].self).map(\.seq)
                    == Array(all.prefix(2))
            )
            let creates = try f.json(["audit", "list", "--action", "client.create", "--tail", "2"], as: [Entry].self)
            #expect(creates.count == 2 && creates.allSatisfy { $0.action == "client.create" })
            #expect(creates.map(\.seq) == creates.map(\.seq).sorted())
            let table = try f.run(["audit", "list", "--tail", "1"])
            #expect(table.status == 0 && table.stdout.contains("\(all.last!)"), "\(table)")

            let both = try f.run(["audit", "list", "--tail", "2", "--limit", "3"])
            #expect(both.status == 1 && both.stderr.contains("--tail") && both.stdout.isEmpty, "\(both)")
            let zero = try f.run(["audit", "list", "--tail", "0"])
            #expect(zero.status == 1 && zero.stderr.contains("--tail: 0"), "\(zero)")
        }
    }

    /// Waits out the last five minutes of the practice's day, so the entries made and the dates
    /// computed below fall on one day however slowly the fixture runs.
    private static func awayFromPracticeMidnight() async throws {
        let calendar = practiceCalendar
        let now = Date()
        let midnight = calendar.startOfDay(for: calendar.date(byAdding: .day, value: 1, to: now)!)
        let left = midnight.timeIntervalSince(now)
        if left < 300 { try await Task.sleep(for: .seconds(left + 1)) }
    }

    @Test func plainDatesStartTheDayInThePracticeZoneAndTodayIsToday() async throws {
        try await Self.awayFromPracticeMidnight()
        try await Self.withActivity { f, all in
            let today = Self.practiceDay()
            let tomorrow = Self.practiceDay(addingDays: 1)
            func seqs(_ extra: [String]) throws -> [Int] {
                try f.json(["audit", "list", "--oldest-first"] + extra, as: [Entry].self).map(\.seq)
            }
            #expect(try seqs(["--today"]) == all)
            #expect(try seqs(["--from", today]) == all)
            #expect(try seqs(["--from", today, "--to", tomorrow]) == all)
            // --to is exclusive: before the start of that day.
            #expect(try seqs(["--to", today]).isEmpty)
            #expect(try seqs(["--from", tomorrow]).isEmpty)
            #expect(try seqs(["--from", "\(today)T00:00"]) == all)

            let bad = try f.run(["audit", "list", "--from", "2026-13-45"])
            #expect(bad.status == 1 && bad.stderr.contains("--from: '2026-13-45' is not a date"), "\(bad)")
            let mixed = try f.run(["audit", "list", "--today", "--to", tomorrow])
            #expect(mixed.status == 1 && mixed.stderr.contains("--today") && mixed.stdout.isEmpty, "\(mixed)")
        }
    }

    @Test func anUnknownActionIsRefusedWithTheClosestAndTheCatalogue() async throws {
        try await CLIFixture.with { f in
            let typo = try f.run(["audit", "list", "--action", "note.raed"])
            #expect(typo.status == 1 && typo.stdout.isEmpty, "\(typo)")
            #expect(typo.stderr.contains("--action: 'note.raed' is not an audit action"), "\(typo)")
            #expect(typo.stderr.contains("did you mean 'note.read'?"), "\(typo)")
            for action in AuditEvent.Action.allCases {
                #expect(typo.stderr.contains(action.rawValue), "\(action)")
            }
            let far = try f.run(["audit", "list", "--action", "zzzzzzzzzz"])
            #expect(far.status == 1 && !far.stderr.contains("did you mean") && far.stderr.contains("client.create"))
            #expect(try f.run(["audit", "list", "--action", "note.read"]).status == 0)
        }
    }
}
