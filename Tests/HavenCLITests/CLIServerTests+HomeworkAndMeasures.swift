import Foundation
import HavenTestSupport
import Testing

extension CLIServerTests {
    struct Prompt: Decodable {
        var id: String
        var title: String
        var stages: [Int]
        var joint: Bool
        var builtIn: Bool
        var instructions: String
    }

    struct OpenAssignment: Decodable {
        var id: String
        var coupleId: String
        var partnerId: String?
        var status: String
    }

    struct Trend: Decodable {
        struct Point: Decodable {
            var date: String
            var total: Double
        }
        var measure: String
        var clientId: String
        var points: [Point]
        var cutoff: Double?
    }

    /// `haven homework` and `haven measure record/trend` go through `haven serve`: the library, a
    /// practice's own prompt, a joint assignment to a high-risk couple (refused naming the flag, then
    /// given a reason on stdin), responses (a refused one keeps its text), what is open, and a trend.
    @Test func homeworkAndMeasuresNeedOnlyTheServer() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let outsider = try f.ok(["client", "add", "--name", "Fictional C", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:00"])
            try f.ok(["session", "complete", session])
            let riskFile = f.directory + "/risk.txt"
            try "Fictional: raised voices.\n".write(toFile: riskFile, atomically: true, encoding: .utf8)
            try f.ok(
                [
                    "note", "write", "--session", session, "--stage", "1", "--step", "2", "--risk", "high",
                    "--risk-detail-file", riskFile,
                ],
                stdin: "Fictional note."
            )
            func run(_ arguments: [String], stdin: String = "") throws -> HavenCLI.Result {
                try f.run(arguments, stdin: stdin)
            }
            func json<Value: Decodable>(_ arguments: [String], as type: Value.Type) throws -> Value {
                let result = try run(arguments + ["--json"])
                #expect(result.status == 0, "\(arguments): \(result)")
                return try JSONDecoder().decode(type, from: Data(result.stdout.utf8))
            }

            // The practice's own joint prompt joins the library.
            let added = try run(
                [
                    "homework", "add-prompt", "--title", "Fictional check-in", "--category", "emotional_check_in",
                    "--frequency", "daily", "--stages", "1,2", "--joint", "--file", "-",
                ],
                stdin: "Fictional: ask one question."
            )
            #expect(added.status == 0, "\(added)")
            let promptID = added.firstLine
            let library = try json(["homework", "library", "--stage", "2"], as: [Prompt].self)
            #expect(!library.isEmpty && library.allSatisfy { $0.stages.contains(2) })
            let own = try #require(library.first { $0.id == promptID })
            #expect(own.joint && !own.builtIn && own.instructions == "Fictional: ask one question.")
            let table = try run(["homework", "library", "--category", "emotional_check_in"])
            #expect(table.status == 0 && table.stdout.contains("\(promptID.prefix(8))  Fictional check-in"))
            #expect(table.stdout.contains("together") && table.stdout.contains("practice"))

            // The couple's latest note records high risk: joint homework needs the override reason.
            let assign = [
                "homework", "assign", "--prompt", String(promptID.prefix(8)), "--couple", String(couple.prefix(8)),
                "--session", String(session.prefix(8)), "--due", "2099-01-01",
            ]
            let refused = try run(assign)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.hasPrefix("haven: --risk-override-reason-file: "))
            let assigned = try run(
                assign + ["--risk-override-reason-file", "-"],
                stdin: "Fictional: safety plan reviewed."
            )
            #expect(assigned.status == 0, "\(assigned)")
            let assignment = assigned.firstLine
            let open = try json(["homework", "open"], as: [OpenAssignment].self)
            #expect(open.map(\.id) == [assignment] && open.map(\.coupleId) == [couple])
            #expect(open[0].partnerId == nil && open[0].status == "assigned")
            #expect(try run(["homework", "open", "--overdue"]).stdout == "Nothing overdue.\n")

            // Someone outside the couple cannot answer; the typed response is kept, privately.
            let outside = try run(
                ["homework", "respond", String(assignment.prefix(8)), "--partner", outsider, "--file", "-"],
                stdin: "Fictional response."
            )
            #expect(outside.status == 1 && outside.stderr.contains("partnerID: must be the partner"), "\(outside)")
            #expect(!outside.stderr.contains("Fictional response."))
            let kept = try #require(
                outside.stderr.components(separatedBy: "your text is kept in ").last?
                    .components(separatedBy: " (retry").first
            )
            #expect(try String(contentsOfFile: kept, encoding: .utf8) == "Fictional response.")
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: kept) == 0o600)
            let answered = try run(["homework", "respond", assignment, "--partner", a, "--file", kept, "--shared"])
            #expect(answered.status == 0 && answered.stdout == "Recorded.\n", "\(answered)")
            let skipped = try run(["homework", "skip", assignment, "--partner", b])
            #expect(skipped.status == 0 && skipped.stdout == "Recorded as skipped.\n", "\(skipped)")
            #expect(try json(["homework", "open"], as: [OpenAssignment].self).isEmpty)
            #expect(try run(["homework", "open"]).stdout == "No open homework.\n")

            // The emotional-safety practice: its joint steps need the reason too; one step opens at once.
            let series = ["homework", "assign-series", "--couple", String(couple.prefix(8)), "--session", session]
            let badInterval = try run(series + ["--interval-days", "0"])
            #expect(badInterval.status == 1 && badInterval.stderr.contains("--interval-days"), "\(badInterval)")
            let unreasoned = try run(series)
            #expect(unreasoned.status == 1, "\(unreasoned)")
            #expect(unreasoned.stderr.hasPrefix("haven: --risk-override-reason-file: "), "\(unreasoned)")
            let given = try run(
                series + ["--risk-override-reason-file", "-"],
                stdin: "Fictional: safety plan reviewed."
            )
            #expect(given.status == 0 && given.stdout.split(separator: "\n").count == 7, "\(given)")
            let steps = given.stdout.split(separator: "\n").dropFirst().map(String.init)
            #expect(try json(["homework", "open"], as: [OpenAssignment].self).map(\.id) == [steps[0]])

            // Measures: recorded and read back with the API's keys.
            let first = try run([
                "measure", "record", "--measure", "CSI-4", "--client", a, "--items", "3,3,3,3", "--date", "2026-09-01",
            ])
            #expect(first.status == 0 && first.firstLine.hasSuffix(" total 12"), "\(first)")
            try #require(
                try run([
                    "measure", "record", "--measure", "CSI-4", "--client", String(a.prefix(8)), "--items", "5,5,5,5",
                    "--date", "2026-11-01", "--session", session,
                ]).status == 0
            )
            let outOfRange = try run(["measure", "record", "--measure", "CSI-4", "--client", a, "--items", "3,3,3,9"])
            #expect(outOfRange.status == 1 && outOfRange.stderr.hasPrefix("haven: items[4]: "), "\(outOfRange)")
            let trend = try json(["measure", "trend", "--measure", "CSI-4", "--client", a], as: Trend.self)
            #expect(trend.measure == "CSI-4" && trend.clientId == a && trend.cutoff == 13.5)
            #expect(trend.points.map(\.date) == ["2026-09-01", "2026-11-01"] && trend.points.map(\.total) == [12, 20])
            let shown = try run(["measure", "trend", "--measure", "CSI-4", "--client", a])
            #expect(shown.status == 0 && shown.stdout.contains("2026-09-01  12     distress"), "\(shown)")
            let unknown = try run(["measure", "trend", "--measure", "Fictional", "--client", a])
            #expect(unknown.status == 1 && unknown.stderr == "haven: measure: no measure with this code\n")
        }
    }
}
