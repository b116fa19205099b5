import Foundation
import HavenTestSupport
import Testing

/// `haven session schedule --type/--service-code/--allow-overlap` and `haven session correct-status`.
@Suite("The CLI schedules with types and guards the calendar", .needsTestDatabase, .needsHavenBinary)
struct CLISchedulingTests {
    struct Line: Decodable {
        var id: String
        var sessionType: String
        var serviceCode: String?
        var status: String
    }

    @Test func typesOverlapsWarningsAndCorrections() async throws {
        try await CLIFixture.with { f in
            try f.login()
            func refused(_ arguments: [String], _ expected: String, stdin: String = "") throws {
                let result = try f.run(arguments, stdin: stdin)
                #expect(result.status != 0 && result.stderr.contains(expected), "\(arguments): \(result)")
            }
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let at = ["--at", "2026-11-20T15:00"]
            try refused(["session", "schedule", "--couple", couple, "--type", "group"] + at, "--type: is not one of")
            try refused(
                ["session", "schedule", "--couple", couple, "--service-code", "9084"] + at,
                "--service-code: must be a five-character"
            )
            try refused(
                ["session", "schedule", "--couple", couple, "--type", "individual"] + at,
                "--type: an individual session is one client's"
            )
            let session = try f.ok(
                ["session", "schedule", "--couple", couple, "--type", "intake", "--service-code", "90847"] + at
            )
            // Your own overlapping session: refused, naming the other session, nothing written.
            try refused(
                ["session", "schedule", "--client", a, "--at", "2026-11-20T15:30"],
                "you already have a session from"
            )
            #expect(try f.json(["session", "list", "--client", a], as: [Line].self).isEmpty)
            // On purpose: booked, with the overlap on stderr, the id alone on stdout.
            let result = try f.run([
                "session", "schedule", "--client", a, "--at", "2026-11-20T15:30", "--allow-overlap",
            ])
            #expect(result.status == 0 && result.stderr.contains("haven: warning:"), "\(result)")
            #expect(UUID(uuidString: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)
            let lines = try f.json(["session", "list", "--couple", couple], as: [Line].self)
            #expect(lines.map(\.sessionType) == ["intake"] && lines[0].serviceCode == "90847")
            #expect(
                try f.json(["session", "list", "--client", a], as: [Line].self).map(\.sessionType) == ["individual"]
            )
            let table = try f.run(["session", "list", "--day", "2026-11-20"]).stdout
            #expect(table.contains("TYPE") && table.contains("intake") && table.contains("90847"))

            // A correction: the reason never on the command line; a short one named; then done.
            _ = try f.ok(["session", "complete", session])
            let reason = "Fictional: marked completed by mistake, nobody came."
            try refused(["session", "correct-status", session, "--to", "no_show", "--reason", reason], "--reason-file")
            try refused(["session", "correct-status", session, "--to", "gone"], "--to: is not one of", stdin: reason)
            try refused(
                ["session", "correct-status", session, "--to", "no_show"],
                "--reason-file: must say why",
                stdin: "oops"
            )
            let done = try f.ok(
                ["session", "correct-status", session, "--to", "no_show", "--reason-file", "-"],
                stdin: reason
            )
            #expect(done.contains("is now no show"))
            #expect(try f.json(["session", "list", "--couple", couple], as: [Line].self)[0].status == "no_show")
            let shown = try f.run(["session", "show", String(session.prefix(8))]).stdout
            #expect(shown.contains("intake, service code 90847") && shown.contains("status: no_show"), "\(shown)")
            #expect(try f.json(["session", "show", session], as: Line.self).sessionType == "intake")
        }
    }
}
