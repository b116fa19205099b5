import Foundation
import HavenTestSupport
import Testing

/// `haven measure void`: the reason read like every clinical reason; the trend leaves the voided
/// administration out unless asked, then marks it.
@Suite("The CLI: voiding a measure administration", .needsTestDatabase, .needsHavenBinary)
struct CLIMeasureVoidTests {
    struct Trend: Decodable {
        struct Point: Decodable {
            var id: String
            var total: Double
            var voided: Bool?
        }
        var points: [Point]
    }

    @Test func aVoidedAdministrationLeavesTheTrendAndShowsOnlyWhenAsked() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let record = ["measure", "record", "--measure", "CSI-4", "--client", a]
            let wrong = String(try f.ok(record + ["--items", "1,1,1,1", "--date", "2026-09-02"]).prefix(36))
            _ = try f.ok(record + ["--items", "4,4,4,4", "--date", "2026-10-01"])
            let trend = ["measure", "trend", "--measure", "CSI-4", "--client", a]
            #expect(try f.json(trend, as: Trend.self).points.count == 2)
            #expect(try f.run(trend).stdout.contains(String(wrong.prefix(8))))

            let inline = try f.run(["measure", "void", wrong, "--reason", "Fictional: wrong client entered."])
            #expect(inline.status == 1 && inline.stderr.contains("--reason: clinical text is not taken"))
            let short = try f.run(["measure", "void", wrong, "--reason-file", "-"], stdin: "typo")
            #expect(short.status == 1 && short.stderr.contains("--reason-file: must say why"), "\(short)")
            let voided = try f.run(
                ["measure", "void", String(wrong.prefix(8)), "--reason-file", "-"],
                stdin: "Fictional: recorded for the wrong client."
            )
            #expect(voided.status == 0 && voided.stdout.hasPrefix("Voided \(wrong)"), "\(voided)")
            #expect(try f.json(trend, as: Trend.self).points.map(\.total) == [16])
            let all = try f.json(trend + ["--include-voided"], as: Trend.self)
            #expect(all.points.map(\.voided) == [true, false] && all.points[0].id == wrong)
            #expect(try f.run(trend + ["--include-voided"]).stdout.contains("VOIDED"))
            let again = try f.run(
                ["measure", "void", wrong, "--reason-file", "-"],
                stdin: "Fictional: recorded for the wrong client."
            )
            #expect(again.status == 1 && again.stderr.contains("voided already"), "\(again)")
        }
    }
}
