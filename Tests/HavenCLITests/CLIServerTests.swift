import Foundation
import HavenServiceFixtures
import HavenTestSupport
import Testing

/// `haven login`, `whoami` and `logout` go through `haven serve`: no database URL or master key in
/// the CLI's environment, plain http only to this machine, and the server's sign-in pause applies.
@Suite("The CLI signs in through the server", .needsTestDatabase, .needsHavenBinary)
struct CLIServerTests {
    @Test func signInWhoamiAndSignOutNeedOnlyTheServer() async throws {
        try await CLIFixture.with { f in
            // The counselor's shell (CLIFixture.cli) holds no database URL and no master key.
            #expect(
                ["HAVEN_DATABASE_URL", "HAVEN_OWNER_DATABASE_URL", "HAVEN_MASTER_KEY_FILE", "HAVEN_MASTER_KEY"]
                    .allSatisfy { f.cli.environment[$0] == nil }
            )
            let login = try f.run(
                ["login", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(login.status == 0 && login.stdout.contains("Signed in as dana@harbor.example"), "\(login)")
            let session =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: f.configDirectory + "/session.json"))
                ) as? [String: Any]
            #expect(session?["server"] as? String == f.server.url)
            let whoami = try f.run(["whoami", "--json"])
            #expect(whoami.status == 0, "\(whoami)")
            let identity = try JSONSerialization.jsonObject(with: Data(whoami.stdout.utf8)) as? [String: Any]
            #expect(
                identity?["email"] as? String == "dana@harbor.example"
                    && identity?["practice"] as? String == "Harbor Counseling"
            )
            // The caseload too: through GET /v1/couples, same table and JSON as before.
            let caseload = try f.run(["couple", "list"])
            #expect(caseload.status == 0 && caseload.stdout.contains("No couples in your caseload yet"), "\(caseload)")
            let badCounselor = try f.run(
                ["couple", "list", "--counselor", "12z4"]
            )
            #expect(badCounselor.status == 1 && badCounselor.stderr.contains("counselor: '12z4' is not a UUID"))
            let logout = try f.run(["logout"])
            #expect(logout.status == 0, "\(logout)")
            // The token is dead on the server, not only forgotten here.
            #expect(!FileManager.default.fileExists(atPath: f.configDirectory + "/session.json"))
            let after = try f.run(["whoami"])
            #expect(after.status == 1 && after.stderr.contains("not signed in"))
        }
    }

    /// Sessions and progress notes, from scheduling to a supervisor's co-signature, through the
    /// server alone; the version checks, the signed-note hint and kept text work as they did.
    @Test func sessionsAndNotesNeedOnlyTheServer() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            func run(_ arguments: [String], stdin: String = "") throws -> HavenCLI.Result {
                try f.run(arguments, stdin: stdin)
            }
            @discardableResult
            func ok(_ arguments: [String], stdin: String = "") throws -> String {
                try f.ok(arguments, stdin: stdin)
            }
            func json(_ arguments: [String]) throws -> Any {
                let result = try run(arguments + ["--json"])
                #expect(result.status == 0, "\(arguments): \(result)")
                return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
            }

            // Sessions: schedule, record, list by day (across charts) and by chart.
            let session = try ok([
                "session", "schedule", "--couple", String(couple.prefix(8)), "--at", "2026-11-24T15:00", "--format",
                "video",
            ])
            let individual = try ok(["session", "schedule", "--client", a, "--at", "2026-11-25T10:00"])
            let day = try run(["session", "list", "--day", "2026-11-24"])
            #expect(day.status == 0 && day.stdout.contains("2026-11-24 15:00") && day.stdout.contains("scheduled"))
            #expect(
                day.stdout.contains(String(session.prefix(8))) && !day.stdout.contains(String(individual.prefix(8)))
            )
            #expect(try ok(["session", "complete", String(session.prefix(8))]).hasSuffix("is completed."))
            #expect(try ok(["session", "no-show", individual]).hasSuffix("is no show."))
            let coupleSessions = try #require(try json(["session", "list", "--couple", couple]) as? [[String: Any]])
            #expect(coupleSessions.map { $0["status"] as? String } == ["completed"])
            #expect(coupleSessions.first?["chartKind"] as? String == "couple")
            #expect(coupleSessions.first?["chartId"] as? String == couple)
            let clientSessions = try #require(try json(["session", "list", "--client", a]) as? [[String: Any]])
            #expect(clientSessions.map { $0["status"] as? String } == ["no_show"])
            #expect(try run(["session", "list", "--couple", couple, "--day", "2026-11-25"]).stdout == "No sessions.\n")

            // A failed write through the API keeps the text.
            let refused = try run(
                [
                    "note", "write", "--session", individual, "--stage", "1", "--step", "1", "--risk", "none", "--file",
                    "-",
                ],
                stdin: "Fictional text the counselor must not lose."
            )
            #expect(refused.status == 1 && refused.stderr.contains("kept in") && refused.stderr.contains("/unsaved/"))
            // The refusal names the flag and the next command, with the session's id.
            #expect(refused.stderr.contains("--session: notes are written on completed sessions; this one is no show"))
            #expect(refused.stderr.contains("haven session correct-status \(individual.prefix(8)) --to completed"))

            // Notes: write, edit under a version check, sign, addend, show, list.
            let written = try ok(
                [
                    "note", "write", "--session", session, "--stage", "1", "--step", "2", "--interventions",
                    "tracking_the_cycle", "--risk", "none", "--file", "-",
                ],
                stdin: "Fictional: mapped the cycle."
            )
            #expect(written.hasSuffix("(draft, version 1)"))
            let note = String(written.prefix(36))
            #expect(
                try ok(["note", "edit", note, "--risk", "low", "--file", "-"], stdin: "Fictional: revised.")
                    == "\(note) (draft, version 2)"
            )
            let badTag = try run(["note", "edit", note, "--keep-text", "--interventions", "hugging"])
            #expect(badTag.status == 1 && badTag.stderr.contains("intervention"), "\(badTag)")
            // A mistyped flag is refused before the text is read: no kept copy of a note given in a file.
            let noteFile = f.directory + "/note.txt"
            try "Fictional: text in a file.".write(toFile: noteFile, atomically: true, encoding: .utf8)
            func kept() -> [String] {
                (try? FileManager.default.contentsOfDirectory(atPath: f.configDirectory + "/unsaved")) ?? []
            }
            let keptBefore = kept()
            let badWrite = try run(
                [
                    "note", "write", "--session", session, "--stage", "1", "--step", "2", "--tango", "waltz", "--file",
                    noteFile, "--risk", "none",
                ]
            )
            #expect(badWrite.status == 1 && badWrite.stderr.contains("tango") && !badWrite.stderr.contains("kept in"))
            #expect(kept() == keptBefore, "\(badWrite)")
            let stale = try run(["note", "sign", note, "--version", "1"])
            #expect(stale.status == 1 && stale.stderr.contains("the note changed (now version 2)"), "\(stale)")
            let signed = try ok(["note", "sign", String(note.prefix(8))])
            #expect(
                signed.hasPrefix("Signed \(note); content hash ")
                    && signed.count == "Signed \(note); content hash ".count + 64
            )
            let signedEdit = try run(["note", "edit", note], stdin: "changed")
            #expect(signedEdit.status == 1 && signedEdit.stderr.contains("haven note addend \(note.prefix(8))"))
            let reasonFile = f.directory + "/reason.txt"
            try "Late entry\n".write(toFile: reasonFile, atomically: true, encoding: .utf8)
            try ok(["note", "addend", note, "--reason-file", reasonFile], stdin: "Fictional: partner B joined late.")
            let shown = try #require(try json(["note", "show", note]) as? [String: Any])
            #expect(shown["sessionId"] as? String == session && shown["sessionID"] == nil)
            #expect(shown["state"] as? String == "signed" && shown["riskLevel"] as? String == "low")
            #expect((shown["contentHash"] as? String)?.count == 64)
            let addenda = try #require(shown["addenda"] as? [[String: Any]])
            #expect(addenda.map { $0["reason"] as? String } == ["Late entry"])
            let human = try run(["note", "show", note])
            #expect(human.stdout.hasPrefix("note \(note) — signed, version 2\n"))
            #expect(human.stdout.contains("addendum ") && human.stdout.contains("Fictional: partner B joined late."))
            let list = try run(["note", "list", "--couple", couple])
            #expect(list.status == 0 && list.stdout.contains("signed") && list.stdout.contains("CO-SIGNED"))

            // A supervisor co-signs through the server too.
            let sam = try f.ok(
                [
                    "staff", "add", "--email", "sam@harbor.example", "--name", "Sam Rivera", "--role", "supervisor",
                    "--password-stdin",
                ],
                stdin: StaffFixture.password
            )
            try f.ok(["staff", "supervise", "--supervisor", sam, "--supervisee", f.fixture.counselorID.uuidString])
            let ownCosign = try run(["note", "cosign", note])
            #expect(ownCosign.status == 1 && ownCosign.stderr.contains("only a supervisor"), "\(ownCosign)")
            let login = try run(
                ["login", "--email", "sam@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(login.status == 0, "\(login)")
            #expect(try ok(["note", "cosign", String(note.prefix(8))]) == "Co-signed \(note).")
            let notes = try #require(try json(["note", "list", "--couple", couple]) as? [[String: Any]])
            #expect(notes.map { $0["cosigned"] as? Bool } == [true] && notes.first?["addenda"] as? Int == 1)
        }
    }

    @Test(arguments: ["http://haven.example.org", "http://10.1.2.3:8080", "ftp://127.0.0.1", "not a url"])
    func plainHTTPToAnotherHostIsRefusedBeforeAnythingIsSent(server: String) async throws {
        try await CLIFixture.with { f in
            let result = try f.run(
                ["login", "--server", server, "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(result.status == 1 && result.stderr.contains("--server"), "\(result)")
            #expect(!result.stderr.contains(StaffFixture.password))
            #expect(!FileManager.default.fileExists(atPath: f.configDirectory + "/session.json"))
        }
    }

    @Test func noServerOrAnUnreachableOneSaysWhatToDo() async throws {
        try await CLIFixture.with { f in
            let none = try f.run(
                ["login", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password,
                extraEnvironment: ["HAVEN_URL": ""]
            )
            #expect(none.status == 1 && none.stderr.contains("HAVEN_URL"), "\(none)")
            // Port 9 on loopback: nothing listens there.
            let down = try f.run(
                ["login", "--server", "http://127.0.0.1:9", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(down.status == 2 && down.stderr.contains("cannot reach Haven at http://127.0.0.1:9"), "\(down)")
        }
    }

    @Test func wrongPasswordsArePausedLikeTheAPIs() async throws {
        try await CLIFixture.with { f in
            for _ in 0..<5 {
                let wrong = try f.run(
                    ["login", "--email", "dana@harbor.example", "--password-stdin"],
                    stdin: "not the password at all"
                )
                #expect(wrong.status == 1 && wrong.stderr.contains("wrong email or password"), "\(wrong)")
            }
            // Even the right password now waits: the pause is the server's, for every client.
            let paused = try f.run(
                ["login", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(paused.status == 1 && paused.stderr.contains("too many failed attempts"), "\(paused)")
            #expect(paused.stderr.contains("retry in"))
        }
    }
}
