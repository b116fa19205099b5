import Foundation
import HavenServiceFixtures
import HavenTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(
    "Operator traps: serve's numbers, clinical text never on the command line, a private config directory",
    .needsTestDatabase,
    .needsHavenBinary
)
struct CLITrapTests {
    @Test func serveRefusesImpossibleConnectionsAndPortsWithOneLine() async throws {
        try await CLIFixture.with { f in
            for (arguments, message) in [
                (["--connections", "0"], "--connections must be 1 to 500"),
                (["--connections", "501"], "--connections must be 1 to 500"),
                (["--port", "99999"], "--port must be 1 to 65535"),
                (["--port", "0"], "--port must be 1 to 65535"),
            ] {
                let result = try f.run(["serve"] + arguments)
                #expect(result.status == 1, "\(arguments): \(result)")
                #expect(result.stderr.hasPrefix("haven: \(message)") && result.stderr.split(separator: "\n").count == 1)
                #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Precondition"))
            }
        }
    }

    @Test func clinicalTextGivenAsAFlagsValueIsRefusedWithoutEchoingIt() async throws {
        try await CLIFixture.with { f in
            let secret = "FICTIONAL-SECRET-DISCLOSURE"
            let id = UUID().uuidString
            for (arguments, flag, instead) in [
                (
                    ["note", "write", "--session", id, "--stage", "1", "--step", "2", "--risk-detail", secret],
                    "--risk-detail", "--risk-detail-file"
                ),
                (["note", "edit", id, "--keep-text", "--risk-detail", secret], "--risk-detail", "--risk-detail-file"),
                (["note", "addend", id, "--reason", secret], "--reason", "--reason-file"),
                (["break-glass", "open", "--couple", id, "--reason", secret], "--reason", "--reason-file"),
                (
                    [
                        "session", "schedule", "--couple", id, "--at", "2026-12-01T10:00", "--risk-override-reason",
                        secret,
                    ],
                    "--risk-override-reason", "--risk-override-reason-file"
                ),
                (
                    [
                        "homework", "assign", "--prompt", id, "--couple", id, "--session", id, "--due", "2099-01-01",
                        "--risk-override-reason", secret,
                    ],
                    "--risk-override-reason", "--risk-override-reason-file"
                ),
            ] {
                let result = try f.run(arguments, stdin: "Fictional text.")
                #expect(result.status == 1, "\(arguments[0]) \(arguments[1]): \(result)")
                #expect(result.stderr.hasPrefix("haven: \(flag): clinical text is not taken on the command line"))
                #expect(result.stderr.contains(instead) && !result.stderr.contains(secret))
            }
            // The hidden flags stay out of the help.
            let help = try f.run(["note", "write", "--help"])
            #expect(help.stdout.contains("--risk-detail-file") && !help.stdout.contains("--risk-detail "))
        }
    }

    @Test func reasonsAndRiskDetailComeFromFilesOrStdin() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:00"])
            try f.ok(["session", "complete", session])
            let riskFile = f.directory + "/risk.txt"
            try "Fictional: raised voices; safety plan reviewed.\n".write(
                toFile: riskFile,
                atomically: true,
                encoding: .utf8
            )
            let write = ["note", "write", "--session", session, "--stage", "1", "--step", "2", "--risk", "high"]
            let bothStdin = try f.run(write + ["--risk-detail-file", "-"], stdin: "Fictional note.")
            #expect(bothStdin.status == 1 && bothStdin.stderr.contains("--risk-detail-file: the note's text already"))
            let note = String(try f.ok(write + ["--risk-detail-file", riskFile], stdin: "Fictional note.").prefix(36))
            struct Shown: Decodable {
                var riskDetail: String?
                var addenda: [Addendum]
                struct Addendum: Decodable { var reason: String }
            }
            #expect(
                try f.json(["note", "show", note], as: Shown.self).riskDetail
                    == "Fictional: raised voices; safety plan reviewed."
            )
            try f.ok(["note", "sign", note])

            // An addendum's text and reason cannot both be stdin; a reason file (or stdin) works.
            let noReason = try f.run(["note", "addend", note], stdin: "Fictional: partner B joined late.")
            #expect(
                noReason.status == 1 && noReason.stderr.contains("--reason-file: the text already comes from stdin")
            )
            let reasonFile = f.directory + "/reason.txt"
            try "Late entry\n".write(toFile: reasonFile, atomically: true, encoding: .utf8)
            let textFile = f.directory + "/addendum.txt"
            try "Fictional: partner B joined late.".write(toFile: textFile, atomically: true, encoding: .utf8)
            try f.ok(["note", "addend", note, "--reason-file", reasonFile], stdin: "Fictional: text from stdin.")
            try f.ok(["note", "addend", note, "--file", textFile], stdin: "Correction")
            #expect(
                try f.json(["note", "show", note], as: Shown.self).addenda.map(\.reason) == [
                    "Late entry", "Correction",
                ]
            )

            // The couple is now high-risk: a conjoint session needs an override reason, from a file or stdin.
            let schedule = ["session", "schedule", "--couple", couple, "--at", "2026-11-27T15:00"]
            let refused = try f.run(schedule)
            #expect(refused.status == 1 && refused.stderr.hasPrefix("haven: --risk-override-reason-file: this couple"))
            try f.ok(
                schedule + ["--risk-override-reason-file", "-"],
                stdin: "Fictional: safety plan reviewed with both partners."
            )
        }
    }

    @Test func aConfigDirectoryOpenToOthersIsTightenedAndAForeignOneRefused() async throws {
        try await CLIFixture.with { f in
            try f.login()
            chmod(f.configDirectory, 0o755)
            let whoami = try f.run(["whoami"])
            #expect(whoami.status == 0, "\(whoami)")
            #expect(whoami.stderr.contains("was open to other users (mode 755); it is now 0700"))
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: f.configDirectory) == 0o700)
            #expect(try f.run(["whoami"]).stderr.isEmpty)

            let file = f.directory + "/not-a-directory"
            try "x".write(toFile: file, atomically: true, encoding: .utf8)
            let notDirectory = try f.run(["whoami"], extraEnvironment: ["HAVEN_CONFIG_DIR": file])
            #expect(
                notDirectory.status == 1 && notDirectory.stderr.contains("is not a directory; set HAVEN_CONFIG_DIR")
            )

            // Someone else's directory (only root can hand one to another user here).
            if geteuid() == 0 {
                let foreign = f.directory + "/foreign"
                try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: false)
                chown(foreign, 65534, 65534)
                let refused = try f.run(
                    ["login", "--email", "dana@harbor.example", "--password-stdin"],
                    stdin: StaffFixture.password,
                    extraEnvironment: ["HAVEN_CONFIG_DIR": foreign]
                )
                #expect(refused.status == 1 && refused.stderr.contains("belongs to another user"))
                #expect(!FileManager.default.fileExists(atPath: foreign + "/session.json"))
            }
        }
    }
}
