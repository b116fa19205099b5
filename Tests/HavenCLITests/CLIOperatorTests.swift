import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite(
    "The haven binary for operators: practices, staff, supervision, break-glass, the demo practice",
    .needsTestDatabase,
    .needsHavenBinary
)
struct CLIOperatorTests {
    struct Line: Decodable {
        var id: String
        var name: String?
        var email: String?
        var roles: [String]?
        var active: Bool?
        var live: Bool?
    }

    struct AuditLine: Decodable {
        var action: String
        var breakGlass: Bool
        var outcome: String
    }

    @Test func operatorsSetUpStaffWhoThenWorkAndBreakGlass() async throws {
        try await CLIFixture.with { f in
            let password = "a long fictional password"
            // Two practices now exist, so operator commands must name one.
            let second = try f.ok(["practice", "create", "--name", "Second Practice", "--time-zone", "Europe/Berlin"])
            let ambiguous = try f.run(["staff", "list"])
            #expect(ambiguous.status == 1 && ambiguous.stderr.contains("--practice"))
            #expect(try f.json(["practice", "list"], as: [Line].self).count == 2)
            let badZone = try f.run(["practice", "create", "--name", "X", "--time-zone", "Mars/Olympus"])
            #expect(badZone.status == 1 && badZone.stderr.contains("IANA"))

            let practice = f.fixture.practiceID.uuidString.lowercased()
            let supervisor = try f.ok(
                [
                    "staff", "add", "--practice", String(practice.prefix(8)), "--email", "lee@harbor.example", "--name",
                    "Lee Park", "--role", "counselor,supervisor", "--password-stdin",
                ],
                stdin: password
            )
            let badRole = try f.run(
                [
                    "staff", "add", "--practice", practice, "--email", "x@harbor.example", "--name", "X", "--role",
                    "boss",
                    "--password-stdin",
                ],
                stdin: password
            )
            #expect(
                badRole.status == 1
                    && badRole.stderr.contains(
                        "--role: 'boss' is not a staff role; one of: admin, counselor, scheduler, supervisor"
                    )
            )
            let staff = try f.json(["staff", "list", "--practice", practice], as: [Line].self)
            #expect(Set(staff.compactMap(\.email)) == ["dana@harbor.example", "lee@harbor.example"])
            #expect(try f.json(["staff", "list", "--practice", second], as: [Line].self).isEmpty)
            try f.ok(
                [
                    "staff", "supervise", "--practice", practice, "--supervisor", String(supervisor.prefix(8)),
                    "--supervisee", f.fixture.counselorID.uuidString,
                ]
            )

            // Dana opens a couple; Lee, her supervisor, reaches it; a stranger needs break-glass.
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A"])
            let b = try f.ok(["client", "add", "--name", "Fictional B"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b])
            let stranger = try f.ok(
                [
                    "staff", "add", "--practice", practice, "--email", "kim@harbor.example", "--name", "Kim Roe",
                    "--role",
                    "counselor", "--password-stdin",
                ],
                stdin: password
            )
            _ = stranger
            try f.ok(["login", "--email", "lee@harbor.example", "--password-stdin"], stdin: password)
            #expect(try f.json(["couple", "list"], as: [Line].self).map(\.id) == [couple])
            try f.ok(["login", "--email", "kim@harbor.example", "--password-stdin"], stdin: password)
            let outside = try f.run(["couple", "show", couple])
            #expect(outside.status == 1 && outside.stderr.contains("no couple"))
            let short = try f.run(["break-glass", "open", "--couple", couple], stdin: "urgent")
            #expect(short.status == 1 && short.stderr.contains("reason: "))
            let grant = try f.ok(
                ["break-glass", "open", "--couple", couple, "--reason-file", "-", "--minutes", "30"],
                stdin: "Fictional: client in crisis, counselor away"
            )
            #expect(grant.contains("open until"))
            #expect(try f.ok(["couple", "show", couple, "--break-glass"]).contains("Fictional"))
            let write = try f.run(["goal", "add", "--couple", couple, "--break-glass"], stdin: "Fictional goal")
            #expect(write.status == 1 && write.stderr.contains("read-only"))
            let grants = try f.json(["break-glass", "list"], as: [Line].self)
            #expect(grants.count == 1 && grants[0].live == true)
            try f.ok(["break-glass", "close", String(grants[0].id.prefix(8))])
            #expect(try f.run(["couple", "show", couple, "--break-glass"]).status == 1)
            let flagged = try f.json(["audit", "list", "--practice", practice, "--break-glass"], as: [AuditLine].self)
            #expect(
                flagged.map(\.action).contains("break_glass.open") && flagged.contains { $0.action == "couple.read" }
            )
            #expect(flagged.allSatisfy { $0.breakGlass })
            let denied = try f.json(
                ["audit", "list", "--practice", practice, "--outcome", "denied"],
                as: [AuditLine].self
            )
            #expect(denied.contains { $0.action == "couple.read" })
        }
    }

    @Test func theDemoPracticeIsSeededOnceThroughTheServices() async throws {
        try await CLIFixture.with { f in
            let passwordFile = f.directory + "/demo.pw"
            try "fictional demo password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            let seeded = try f.ok(["demo", "seed", "--password-file", passwordFile])
            #expect(seeded.hasPrefix("Seeded Harbor Demo Counseling: 4 staff, 6 couples"))
            #expect(
                try f.ok(["demo", "seed", "--password-file", passwordFile]) == "The demo practice is already seeded."
            )
            try f.ok(["login", "--email", "dana@demo.haven", "--password-stdin"], stdin: "fictional demo password")
            struct Couple: Decodable {
                var stage: Int?
                var step: Int?
                var nextSession: Date?
            }
            let couples = try f.json(["couple", "list"], as: [Couple].self)
            #expect(couples.count == 2 && couples.allSatisfy { $0.stage != nil && $0.nextSession != nil })
            try f.ok(["login", "--email", "morgan@demo.haven", "--password-stdin"], stdin: "fictional demo password")
            // Morgan supervises Sam: Morgan's own two couples and Sam's two.
            #expect(try f.json(["couple", "list"], as: [Couple].self).map(\.step).compactMap { $0 }.count == 4)
            let demo = try #require(
                try f.json(["practice", "list"], as: [Line].self).first { $0.name == "Harbor Demo Counseling" }
            )
            #expect(try f.ok(["audit", "verify", "--practice", demo.id]).hasPrefix("Intact:"))
        }
    }

    @Test func aPracticeMeasureWithParametersGivesReliableChangeInReports() async throws {
        try await CLIFixture.with { f in
            let missingSource = try f.run(
                [
                    "measure", "define", "--code", "CLOSE", "--name", "Closeness", "--min", "0", "--max", "100", "--sd",
                    "10",
                    "--reliability", "0.9",
                ]
            )
            #expect(missingSource.status == 1 && missingSource.stderr.contains("parametersSource"))
            try f.ok(
                [
                    "measure", "define", "--code", "CLOSE", "--name", "Closeness (fictional scale)", "--min", "0",
                    "--max",
                    "100", "--cutoff", "40", "--sd", "10", "--reliability", "0.9", "--source", "Fictional norms",
                ]
            )
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            try f.ok([
                "measure", "record", "--measure", "CLOSE", "--client", a, "--score", "30", "--date", "2026-09-02",
            ])
            try f.ok([
                "measure", "record", "--measure", "CLOSE", "--client", a, "--score", "45", "--date", "2026-11-02",
            ])
            let tooHigh = try f.run(["measure", "record", "--measure", "CLOSE", "--client", a, "--score", "101"])
            #expect(tooHigh.status == 1 && tooHigh.stderr.contains("score"))
            struct Report: Decodable {
                struct Measures: Decodable { var series: [Series] }
                struct Series: Decodable {
                    var code: String
                    var reliableChangeIndex: Double?
                    var label: String?
                }
                var measures: Measures
            }
            let json = try f.run(["report", "couple", couple, "--format", "json", "--to", "2026-11-30"])
            let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
            // (45 − 30) / (√2 · 10 · √0.1) ≈ 3.35.
            #expect(report.measures.series.map(\.reliableChangeIndex) == [3.35])
            #expect(report.measures.series.map(\.label) == ["reliable improvement"])
        }
    }
}
