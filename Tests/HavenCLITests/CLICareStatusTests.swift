import Foundation
import HavenTestSupport
import Testing

/// `haven couple status` and `haven client status`: show a chart's care status or set it through the
/// server; a refusal names `--set` as the user typed it.
@Suite("The CLI pauses, discharges and reactivates charts", .needsTestDatabase, .needsHavenBinary)
struct CLICareStatusTests {
    struct Change: Decodable {
        var id: String
        var status: String
        var previousStatus: String
        var changed: Bool
    }

    @Test func aCounselorSetsACouplesAndAClientsStatusAndRefusalsNameTheFlag() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let short = String(couple.prefix(8))
            #expect(try f.ok(["couple", "status", short]) == "Couple \(short) is active.")

            let typo = try f.run(["couple", "status", couple, "--set", "pausd"])
            #expect(typo.status == 1, "\(typo)")
            #expect(typo.stderr.contains("--set: 'pausd' is not a care status; did you mean 'paused'?"), "\(typo)")
            let paused = try f.run(["couple", "status", short, "--set", "paused"])
            #expect(paused.status == 0 && paused.stdout.hasPrefix("Couple \(short) is now paused (was active)."))
            #expect(paused.stdout.contains("Both partners were signed out of the portal"), "\(paused)")
            let again = try f.ok(["couple", "status", couple, "--set", "paused"])
            #expect(again == "Couple \(short) is already paused; nothing changed.")
            let discharged = try f.json(["couple", "status", couple, "--set", "discharged"], as: Change.self)
            #expect(discharged.status == "discharged" && discharged.previousStatus == "paused" && discharged.changed)
            #expect(try f.run(["couple", "show", couple]).stdout.contains("discharged"))

            // A partner now in another active couple: reactivating names --set and says what to do.
            let c = try f.ok(["client", "add", "--name", "Fictional C", "--intake", "2026-09-01"])
            _ = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", c, "--start", "2026-10-01"])
            let refused = try f.run(["couple", "status", couple, "--set", "active"])
            #expect(refused.status == 1, "\(refused)")
            #expect(
                refused.stderr.contains(
                    "--set: a partner is already in another active couple; discharge that couple first"
                ),
                "\(refused)"
            )
            #expect(try f.ok(["couple", "status", couple]).hasSuffix("is discharged."))

            // A client's individual chart.
            let set = try f.ok(["client", "status", c, "--set", "paused"])
            #expect(set.hasPrefix("Client \(String(c.prefix(8))) is now paused (was active)."), "\(set)")
            #expect(try f.run(["client", "show", c]).stdout.contains("status: paused"))
        }
    }
}
