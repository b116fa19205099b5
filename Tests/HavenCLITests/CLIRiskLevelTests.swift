import Foundation
import HavenTestSupport
import Testing

/// `note write` needs `--risk` away from a terminal; `couple close-risk-flag` closes an open flag with
/// a reason read like every clinical reason (never from the command line).
@Suite("The CLI: explicit risk levels and closing a high-risk flag", .needsTestDatabase, .needsHavenBinary)
struct CLIRiskLevelTests {
    struct Couple: Decodable {
        var id: String
        var highRisk: Bool
    }

    @Test func aNoteNeedsItsRiskLevelAndAFlagIsClosedWithAReason() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:00"])
            try f.ok(["session", "complete", session])
            let write = ["note", "write", "--session", session, "--stage", "1", "--step", "2"]
            let missing = try f.run(write, stdin: "Fictional note.")
            #expect(missing.status == 1 && missing.stderr.contains("--risk is required"), "\(missing)")
            #expect(!missing.stderr.contains("kept in"))
            #expect(try f.ok(["note", "list", "--couple", couple]).contains("No notes"))
            try f.ok(write + ["--risk", "high"], stdin: "Fictional note.")
            #expect(try f.json(["couple", "list"], as: [Couple].self).map(\.highRisk) == [true])

            let inline = try f.run(["couple", "close-risk-flag", couple, "--reason", "Fictional reason on argv."])
            #expect(inline.status == 1 && inline.stderr.contains("--reason: clinical text is not taken"))
            #expect(!inline.stderr.contains("Fictional reason"))
            let short = try f.run(["couple", "close-risk-flag", couple, "--reason-file", "-"], stdin: "ok now")
            #expect(short.status == 1 && short.stderr.contains("--reason-file: must say why"), "\(short)")
            let closed = try f.run(
                ["couple", "close-risk-flag", String(couple.prefix(8)), "--reason-file", "-"],
                stdin: "Fictional: safety plan reviewed with both partners."
            )
            #expect(closed.status == 0 && closed.stdout.hasPrefix("Closed the high-risk flag"), "\(closed)")
            #expect(try f.json(["couple", "list"], as: [Couple].self).map(\.highRisk) == [false])
            let again = try f.run(
                ["couple", "close-risk-flag", couple, "--reason-file", "-"],
                stdin: "Fictional: safety plan reviewed with both partners."
            )
            #expect(again.status == 1 && again.stderr.contains("no open high-risk flag"), "\(again)")
        }
    }
}
