import Foundation
import HavenTestSupport
import Testing

/// The front desk's shell: `haven session list --day` with names, booking for the chart's counselor,
/// cancelling, and every clinical command refused.
@Suite("The CLI for the front desk: the calendar and nothing clinical", .needsTestDatabase, .needsHavenBinary)
struct CLISchedulerTests {
    @Test func theFrontDeskListsBooksAndCancelsAndIsRefusedTheCharts() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:00"])
            try f.ok(["logout"])
            let password = "a long fictional password"
            try f.ok(
                [
                    "staff", "add", "--email", "desk@harbor.example", "--name", "Fictional Desk", "--role",
                    "scheduler", "--password-stdin",
                ],
                stdin: password
            )
            let login = try f.run(["login", "--email", "desk@harbor.example", "--password-stdin"], stdin: password)
            #expect(login.status == 0, "\(login)")

            let day = try f.run(["session", "list", "--day", "2026-11-20"])
            #expect(day.status == 0, "\(day)")
            #expect(day.stdout.contains("Fictional A & Fictional B") && day.stdout.contains("Dana Reyes"), "\(day)")

            let booked = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-21T10:00"])
            let overlap = try f.run(["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:15"])
            #expect(overlap.status != 0 && overlap.stderr.contains("the counselor already has"), "\(overlap)")
            try f.ok(["session", "cancel", booked])
            let noShow = try f.run(["session", "no-show", booked])
            #expect(noShow.status != 0)

            for command in [["couple", "list"], ["note", "list", "--couple", couple], ["couple", "show", couple]] {
                let result = try f.run(command)
                #expect(result.status != 0 && result.stderr.contains("calendar only"), "\(command): \(result)")
            }

            // An admin alone reaches no session: the list says so instead of claiming an empty day.
            try f.ok(["logout"])
            try f.ok(
                [
                    "staff", "add", "--email", "office@harbor.example", "--name", "Fictional Office", "--role", "admin",
                    "--password-stdin",
                ],
                stdin: password
            )
            try f.ok(["login", "--email", "office@harbor.example", "--password-stdin"], stdin: password)
            let admin = try f.run(["session", "list", "--day", "2026-11-20"])
            #expect(admin.status == 0 && admin.stdout.contains("No sessions in your reach"), "\(admin)")
            #expect(admin.stdout.contains("scheduler role"))
        }
    }
}
