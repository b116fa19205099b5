import Foundation
import HavenTestSupport
import Testing

/// A refusal names the flag the user typed, not the API's JSON field, and writes nothing.
@Suite("The CLI's refusals name the user's flags", .needsTestDatabase, .needsHavenBinary)
struct CLIFlagNamingTests {
    @Test func refusalsNameTheFlagsTheUserTyped() async throws {
        try await CLIFixture.with { f in
            try f.login()
            func refused(_ arguments: [String], _ expected: String, stdin: String = "") throws {
                let result = try f.run(arguments, stdin: stdin)
                #expect(result.status == 1 && result.stderr.contains(expected), "\(arguments): \(result)")
            }
            try refused(["client", "add", "--name", " ", "--intake", "2026-09-01"], "--name: must be 1 to 200")
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            try refused(
                ["couple", "add", "--partner-a", a, "--partner-b", a],
                "--partner-b: must be a different client"
            )
            #expect(try f.json(["couple", "list"], as: [[String: String?]].self).isEmpty)
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            try refused(
                ["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:00", "--minutes", "1"],
                "--minutes: must be 5 to 480"
            )
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:00"])
            let prompt = try #require(
                try f.json(["homework", "library"], as: [Prompt].self).first { !$0.joint }
            ).id
            try refused(
                [
                    "homework", "assign", "--prompt", prompt, "--couple", couple, "--session", session, "--due",
                    "2020-01-01",
                ],
                "--due: must be on or after"
            )
            // The same prompt twice while the first is open: assigned, with a warning on stderr only.
            let assign = ["homework", "assign", "--prompt", prompt, "--couple", couple, "--session", session, "--due"]
            let first = try f.run(assign + ["2099-01-01"])
            #expect(first.status == 0 && first.stderr.isEmpty, "\(first)")
            let second = try f.run(assign + ["2099-01-08"])
            #expect(second.status == 0 && second.stdout.count == 37, "\(second)")
            #expect(second.stderr.hasPrefix("haven: warning: this prompt is already assigned"), "\(second)")
            let injury = try f.ok(["injury", "record", "--couple", couple, "--injured", a], stdin: "Fictional injury.")
            try refused(["injury", "update", injury, "--step", "9", "--status", "in_repair"], "--step: must be 1 to 8")
        }
    }

    struct Prompt: Decodable {
        var id: String
        var joint: Bool
    }
}
