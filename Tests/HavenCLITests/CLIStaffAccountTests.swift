import Foundation
import HavenServiceFixtures
import HavenTestSupport
import Testing

@Suite(
    "The haven binary for operators: staff show, set-roles, unsupervise, reset-password",
    .needsTestDatabase,
    .needsHavenBinary
)
struct CLIStaffAccountTests {
    struct Account: Decodable {
        struct Colleague: Decodable, Equatable {
            var id: String
            var name: String
        }

        var id: String
        var name: String
        var email: String
        var roles: [String]
        var preLicensed: Bool
        var active: Bool
        var totpEnrolled: Bool
        var supervisors: [Colleague]
        var supervisees: [Colleague]
    }

    struct AuditLine: Decodable {
        var action: String
        var outcome: String
    }

    @Test func operatorsShowAccountsChangeRolesEndSupervisionAndResetPasswords() async throws {
        try await CLIFixture.with { f in
            let password = "a long fictional password"
            let dana = f.fixture.counselorID.uuidString.lowercased()
            let lee = try f.ok(
                [
                    "staff", "add", "--email", "lee@harbor.example", "--name", "Lee Park", "--role", "counselor",
                    "--pre-licensed", "--password-stdin",
                ],
                stdin: password
            )
            // Lee is not a supervisor yet; set-roles makes them one (an empty set is refused).
            let empty = try f.run(["staff", "set-roles", lee])
            #expect(empty.status == 1 && empty.stderr.contains("--role: give at least one"))
            let badRole = try f.run(["staff", "set-roles", lee, "--role", "boss"])
            #expect(badRole.status == 1 && badRole.stderr.contains("admin, counselor, scheduler, supervisor"))
            try f.ok(["staff", "set-roles", String(lee.prefix(8)), "--role", "counselor", "--role", "supervisor"])
            try f.ok(["staff", "supervise", "--supervisor", lee, "--supervisee", dana])

            // The front desk: granted with `staff add` and with `set-roles`.
            let deskID = try f.ok(
                [
                    "staff", "add", "--email", "desk@harbor.example", "--name", "Fictional Desk", "--role",
                    "scheduler", "--password-stdin",
                ],
                stdin: password
            )
            #expect(try f.json(["staff", "show", deskID], as: Account.self).roles == ["scheduler"])
            try f.ok(["staff", "set-roles", deskID, "--role", "admin", "--role", "scheduler"])
            #expect(try f.json(["staff", "show", deskID], as: Account.self).roles == ["admin", "scheduler"])

            let shown = try f.json(["staff", "show", lee], as: Account.self)
            #expect(shown.roles == ["counselor", "supervisor"] && shown.preLicensed && shown.active)
            #expect(!shown.totpEnrolled && shown.supervisors.isEmpty)
            #expect(shown.supervisees == [.init(id: dana, name: "Dana Reyes")])
            let text = try f.run(["staff", "show", String(dana.prefix(8))])
            #expect(text.status == 0 && text.stdout.contains("Supervisors: Lee Park (\(lee.prefix(8)))"))
            #expect(text.stdout.contains("Pre-licensed: no") && text.stdout.contains("Disabled: no"))
            let listed = try f.json(["staff", "list"], as: [Account].self)
            #expect(listed.first { $0.id == dana }?.supervisors.map(\.id) == [lee])
            #expect(listed.first { $0.id == lee }?.preLicensed == true)
            #expect(try f.run(["staff", "list"]).stdout.contains("PRE-LICENSED"))

            // Lee reaches Dana's couple while supervising, not after unsupervise.
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A"])
            let b = try f.ok(["client", "add", "--name", "Fictional B"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b])
            try f.ok(["login", "--email", "lee@harbor.example", "--password-stdin"], stdin: password)
            #expect(try f.run(["couple", "show", couple]).status == 0)
            try f.ok(["staff", "unsupervise", "--supervisor", lee, "--supervisee", String(dana.prefix(8))])
            let after = try f.run(["couple", "show", couple])
            #expect(after.status == 1 && after.stderr.contains("no couple"))
            let twice = try f.run(["staff", "unsupervise", "--supervisor", lee, "--supervisee", dana])
            #expect(twice.status == 1 && twice.stderr.contains("supervisee: is not supervised"))
            #expect(try f.json(["staff", "show", lee], as: Account.self).supervisees.isEmpty)

            // A new password from a file: Lee's session ends, the old password no longer signs in.
            let file = f.directory + "/lee.pw"
            // Saved with a Windows line end: the password is the line without it.
            try "a newer fictional password\r\n".write(toFile: file, atomically: true, encoding: .utf8)
            let short = try f.run(["staff", "reset-password", lee, "--password-stdin"], stdin: "short")
            #expect(short.status == 1 && short.stderr.contains("password: must be at least 12"))
            try f.ok(["staff", "reset-password", lee, "--password-file", file])
            #expect(try f.run(["couple", "list"]).status == 1)
            #expect(
                try f.run(["login", "--email", "lee@harbor.example", "--password-stdin"], stdin: password).status == 1
            )
            try f.ok(
                ["login", "--email", "lee@harbor.example", "--password-stdin"],
                stdin: "a newer fictional password"
            )
            try f.ok(["staff", "reset-password", lee, "--password-stdin"], stdin: "the newest fictional password\n")
            try f.ok(
                ["login", "--email", "lee@harbor.example", "--password-stdin"],
                stdin: "the newest fictional password"
            )

            let all = try f.json(["audit", "list"], as: [AuditLine].self).map(\.action)
            for action in ["staff.roles.set", "staff.unsupervise", "staff.password.reset"] {
                #expect(all.contains(action))
            }
        }
    }
}
