import Foundation
import HavenHTTP
import HavenServiceFixtures
import HavenTestSupport
import Testing

/// `haven today` through the server: the day's sessions with the people's names, and what needs doing.
@Suite("haven today", .needsTestDatabase, .needsHavenBinary)
struct CLITodayTests {
    @Test func theDayShowsNamesAndWhatNeedsDoing() async throws {
        try await CLIFixture.with { f in
            try f.login()
            #expect(try f.run(["today"]).stdout.contains("No sessions today or tomorrow."))
            let a = try f.ok(["client", "add", "--name", "Fictional Avery", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional Blair", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let instant = ISO8601DateFormatter()
            let soon = try f.ok([
                "session", "schedule", "--couple", couple, "--at",
                instant.string(from: Date().addingTimeInterval(7_200)),
            ])
            let over = try f.ok([
                "session", "schedule", "--couple", couple, "--at",
                instant.string(from: Date().addingTimeInterval(-10_800)), "--minutes", "60",
            ])

            let text = try f.run(["today"]).stdout
            #expect(text.contains("Fictional Avery & Fictional Blair"), "\(text)")
            #expect(text.contains(String(soon.prefix(8))) && text.contains("Past their time, not yet marked"))
            #expect(text.contains("haven session complete|no-show|cancel ID") && text.contains(String(over.prefix(8))))
            #expect(text.contains("CSI due before the session") && text.contains("never"))

            let day = try f.json(["today"], as: HavenAPI.DayView.self)
            #expect(day.appointments.map(\.id).contains(soon))
            #expect(day.unfinished.map(\.id) == [over])
            #expect(day.appointments.first { $0.id == soon }?.chart.names == ["Fictional Avery", "Fictional Blair"])
            #expect(Set(day.measuresDue.map(\.clientId)) == [a, b])

            // A note on a session not yet marked: the next command, with the session's id.
            let early = try f.run(
                ["note", "write", "--session", over, "--stage", "1", "--step", "1", "--risk", "none", "--file", "-"],
                stdin: "Fictional: early."
            )
            #expect(early.status == 1, "\(early)")
            #expect(early.stderr.contains("complete the session first: haven session complete \(over.prefix(8))"))
            try f.ok(["session", "no-show", over])
            #expect(!(try f.run(["today"]).stdout.contains("Past their time")))
        }
    }
}
