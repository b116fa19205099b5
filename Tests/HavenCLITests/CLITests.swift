import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("The haven binary end to end: a counselor's day and an operator's checks", .needsTestDatabase, .needsHavenBinary)
struct CLITests {
    struct Identity: Decodable {
        var staffID: String
        var roles: [String]
        var practice: String
    }

    struct NoteView: Decodable {
        var id: String
        var state: String
        var stage: Int
        var step: Int
        var body: String
        var interventions: [String]
        var addenda: [Addendum]
        struct Addendum: Decodable {
            var reason: String
            var text: String
        }
    }

    struct Line: Decodable {
        var id: String
        var state: String?
        var stage: Int?
        var step: Int?
        var status: String?
        var joint: Bool?
    }

    struct Trend: Decodable {
        struct Point: Decodable {
            var date: String
            var total: Double
        }
        var points: [Point]
        var cutoff: Double?
    }

    struct AuditLine: Decodable {
        var seq: Int
        var action: String
        var outcome: String
        var clientIds: [String]
    }

    @Test func aCounselorsDayFromLoginToExport() async throws {
        try await CLIFixture.with { f in
            try f.login()
            #expect(
                try FileManager.default.posixPermissions(ofItemAtPath: f.configDirectory + "/session.json") == 0o600
            )
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: f.configDirectory) == 0o700)
            let me = try f.json(["whoami"], as: Identity.self)
            #expect(me.roles == ["counselor"] && me.practice == "Harbor Counseling")

            let a = try f.ok([
                "client", "add", "--name", "Alex Morgan", "--preferred", "Alex", "--intake", "2026-09-01",
            ])
            let b = try f.ok(["client", "add", "--name", "Jordan Lee", "--intake", "2026-09-01"])
            #expect(try f.json(["client", "list"], as: [Line].self).count == 2)
            let couple = try f.ok(
                [
                    "couple", "add", "--partner-a", String(a.prefix(8)), "--partner-b", String(b.prefix(8)),
                    "--start", "2026-09-01", "--concerns-file", "-",
                ],
                stdin: "Fictional: they argue about weekends."
            )
            let session = try f.ok(
                [
                    "session", "schedule", "--couple", String(couple.prefix(8)), "--at", "2026-11-20T15:00", "--format",
                    "video",
                ]
            )
            // A note on a session not yet completed is refused, and the text is kept.
            let refused = try f.run(
                ["note", "write", "--session", session, "--stage", "1", "--step", "2", "--risk", "none"],
                stdin: "Fictional text the counselor must not lose."
            )
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("completed sessions") && refused.stderr.contains("kept in"))
            let keptPath = try #require(
                refused.stderr.split(separator: " ").first { $0.contains("/unsaved/") }.map(String.init)
            )
            #expect(
                try String(contentsOfFile: keptPath, encoding: .utf8) == "Fictional text the counselor must not lose."
            )
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: keptPath) == 0o600)

            try f.ok(["session", "complete", String(session.prefix(8))])
            // $EDITOR writes the note, as in `git commit`. The script is read by sh, not executed: a file
            // just written can be "busy" for exec while another test's fork still holds its descriptor.
            let editor = f.directory + "/editor.sh"
            try "#!/bin/sh\nprintf 'Fictional: mapped the pursue-withdraw cycle.\\n' > \"$1\"\n"
                .write(toFile: editor, atomically: true, encoding: .utf8)
            chmod(editor, 0o755)
            let written = try f.ok(
                [
                    "note", "write", "--session", String(session.prefix(8)), "--stage", "1", "--step", "2",
                    "--interventions", "tracking_the_cycle,reflecting_emotion", "--risk", "low", "--edit",
                ],
                environment: ["EDITOR": "/bin/sh " + editor]
            )
            let note = String(written.prefix(36))
            let shown = try f.json(["note", "show", String(note.prefix(8))], as: NoteView.self)
            #expect(shown.body == "Fictional: mapped the pursue-withdraw cycle." && shown.state == "draft")
            #expect(
                shown.stage == 1 && shown.step == 2
                    && shown.interventions == ["tracking_the_cycle", "reflecting_emotion"]
            )
            try f.ok(["note", "edit", note, "--risk", "low", "--keep-text"])
            #expect(try f.ok(["note", "sign", note]).contains("content hash"))
            let signedEdit = try f.run(["note", "edit", note], stdin: "changed")
            #expect(signedEdit.status == 1 && signedEdit.stderr.contains("haven note addend \(note.prefix(8))"))
            let reasonFile = f.directory + "/reason.txt"
            try "Late entry\n".write(toFile: reasonFile, atomically: true, encoding: .utf8)
            try f.ok(["note", "addend", note, "--reason-file", reasonFile], stdin: "Fictional: partner B joined late.")
            let after = try f.json(["note", "show", note], as: NoteView.self)
            #expect(after.state == "signed" && after.addenda.map(\.reason) == ["Late entry"])
            #expect(try f.json(["note", "list", "--couple", couple], as: [Line].self).map(\.state) == ["signed"])
            let caseload = try f.json(["couple", "list"], as: [Line].self)
            #expect(caseload.count == 1 && caseload[0].stage == 1 && caseload[0].step == 2)
            #expect(
                try f.json(["session", "list", "--couple", couple], as: [Line].self).map(\.status) == ["completed"]
            )

            let library = try f.json(["homework", "library"], as: [Line].self)
            #expect(library.count >= 16)
            let prompt = try #require(library.first { $0.joint == false }).id
            let assignment = try f.ok(
                [
                    "homework", "assign", "--prompt", String(prompt.prefix(8)), "--couple", couple, "--session",
                    session,
                    "--due", "2099-01-01",
                ]
            )
            try f.ok(["homework", "respond", assignment, "--partner", a, "--file", "-"], stdin: "Fictional response.")
            try f.ok(["homework", "skip", assignment, "--partner", b])
            #expect(try f.json(["homework", "open"], as: [Line].self).isEmpty)
            try f.ok([
                "measure", "record", "--measure", "CSI-4", "--client", a, "--items", "3,3,3,3", "--date", "2026-09-01",
            ])
            let early = try f.run([
                "measure", "record", "--measure", "CSI-4", "--client", a, "--items", "3,3,3,3", "--date", "2026-08-01",
            ])
            #expect(
                early.status == 1 && early.stderr.contains("--date: is before the client's intake date"),
                "\(early)"
            )
            let trend = try f.json(["measure", "trend", "--measure", "CSI-4", "--client", a], as: Trend.self)
            #expect(trend.points.map(\.total) == [12] && trend.cutoff != nil)
            try f.ok(["injury", "record", "--couple", couple, "--injured", a], stdin: "Fictional injury.")
            #expect(
                try f.json(["injury", "list", "--couple", couple], as: [Line].self).map(\.status) == ["identified"]
            )
            let goal = try f.ok(["goal", "add", "--couple", couple], stdin: "Fictional goal.")
            try f.ok(["goal", "set-status", goal, "in_progress"])
            #expect(try f.json(["goal", "list", "--couple", couple], as: [Line].self).map(\.status) == ["in_progress"])

            // Reports: Markdown to the terminal, HTML by extension (mode 0600), JSON parsed back.
            let markdown = try f.run(["report", "couple", couple])
            #expect(markdown.status == 0 && markdown.stdout.hasPrefix("# Progress report: Alex & Jordan Lee"))
            try f.ok(
                [
                    "report", "summary", "set", "--couple", couple, "--from", "2026-09-01", "--to", "2026-11-30",
                    "--next-review", "2027-01-15",
                ],
                stdin: "Fictional summary: steady engagement."
            )
            let htmlPath = f.directory + "/report.html"
            try f.ok(["report", "couple", couple, "--out", htmlPath, "--to", "2026-11-30"])
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: htmlPath) == 0o600)
            let html = try String(contentsOfFile: htmlPath, encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("Fictional summary: steady engagement."))
            struct ReportJSON: Decodable {
                var audience: String
                var summary: Summary
                struct Summary: Decodable { var omitted: String? }
            }
            let clientReport = try f.run(["report", "couple", couple, "--audience", "client", "--format", "json"])
            #expect(clientReport.status == 0)
            let parsed = try JSONDecoder().decode(ReportJSON.self, from: Data(clientReport.stdout.utf8))
            #expect(parsed.audience == "client" && parsed.summary.omitted != nil)
            #expect(
                !clientReport.stdout.contains("Fictional summary")
                    && !clientReport.stdout.contains("Fictional: they argue")
            )
            let badAudience = try f.run(["report", "couple", couple, "--audience", "partner"])
            #expect(badAudience.status == 1 && badAudience.stderr.contains("clinical, client"))
            // A file name that does not fit the format is refused, naming both options; nothing is written.
            for (arguments, expected) in [
                (["--out", f.directory + "/report.docx"], "not a report format"),
                (["--out", f.directory + "/report.pdf", "--format", "md"], "a pdf file, but --format is md"),
                (["--out", f.directory + "/report.html", "--format", "json"], "--format is json"),
                (["--format", "pdf"], "a PDF goes to a file; add --out"),
            ] {
                let refused = try f.run(["report", "couple", couple] + arguments)
                #expect(refused.status == 1 && refused.stderr.contains("--out") && refused.stderr.contains("--format"))
                #expect(refused.stderr.contains(expected), "\(refused.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: f.directory + "/report.pdf"))
            #expect(!FileManager.default.fileExists(atPath: f.directory + "/report.docx"))
            // A PDF, printed by the server's Chromium, written 0600.
            let pdfPath = f.directory + "/report.pdf"
            try f.ok(["report", "couple", couple, "--audience", "client", "--out", pdfPath])
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: pdfPath) == 0o600)
            #expect(try Data(contentsOf: URL(fileURLWithPath: pdfPath)).starts(with: Array("%PDF-".utf8)))
            let markdownPath = f.directory + "/report.MD"
            try f.ok(["report", "couple", couple, "--out", markdownPath, "--format", "md"])
            #expect(try String(contentsOfFile: markdownPath, encoding: .utf8).hasPrefix("# Progress report"))

            let exportPath = f.directory + "/export.json"
            try f.ok(["export", "client", a, "--out", exportPath])
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: exportPath) == 0o600)
            let export = try ClientExport.decoder.decode(
                ClientExport.self,
                from: Data(contentsOf: URL(fileURLWithPath: exportPath))
            )
            #expect(export.progressNotes.map(\.body) == ["Fictional: mapped the pursue-withdraw cycle."])

            let audit = try f.json(["audit", "list", "--client", a], as: [AuditLine].self)
            #expect(audit.contains { $0.action == "client.export" })
            #expect(try f.ok(["audit", "verify"]).hasPrefix("Intact:"))
            struct Head: Decodable {
                var seq: Int
                var hash: String
            }
            let head = try f.json(["audit", "head"], as: Head.self)
            #expect(head.seq > 20 && head.hash.count == 64)

            try f.ok(["logout"])
            let signedOut = try f.run(["couple", "list"])
            #expect(signedOut.status == 1 && signedOut.stderr.contains("haven login"))
        }
    }

    @Test func badInputGetsOneClearLineAndTheRightExitStatus() async throws {
        try await CLIFixture.with { f in
            let notSignedIn = try f.run(["couple", "list"])
            #expect(notSignedIn.status == 1 && notSignedIn.stderr == "haven: not signed in; run 'haven login' first\n")
            let wrongPassword = try f.run(
                ["login", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: "not the password"
            )
            #expect(wrongPassword.status == 1 && wrongPassword.stderr.contains("wrong email or password"))
            try f.login()
            // Clinical commands need only the server: database settings in the shell change nothing.
            let ignored = try f.run(
                ["client", "list"],
                extraEnvironment: [
                    "HAVEN_DATABASE_URL": "postgresql://haven_app:x@127.0.0.1:1/haven",
                    "HAVEN_MASTER_KEY_FILE": "/nonexistent",
                ]
            )
            #expect(ignored.status == 0 && ignored.stdout.contains("No clients"), "\(ignored)")
            // A server that is down is the system's problem (exit 2) and says where it looked; a stored
            // server reached over plain http to another host is refused before anything is sent.
            let sessionPath = f.configDirectory + "/session.json"
            let stored = try Data(contentsOf: URL(fileURLWithPath: sessionPath))
            for (server, status, message) in [
                ("http://127.0.0.1:9", Int32(2), "cannot reach Haven at http://127.0.0.1:9"),
                ("http://haven.example.org", Int32(1), "refusing plain http to haven.example.org"),
            ] {
                var session = try #require(try JSONSerialization.jsonObject(with: stored) as? [String: Any])
                session["server"] = server
                try JSONSerialization.data(withJSONObject: session).write(to: URL(fileURLWithPath: sessionPath))
                let result = try f.run(["session", "list"])
                #expect(result.status == status && result.stderr.contains(message), "\(result)")
            }
            try stored.write(to: URL(fileURLWithPath: sessionPath))

            let malformed = try f.run(["client", "show", "xyz"])
            #expect(
                malformed.status == 1 && malformed.stderr.contains("not a UUID or a prefix of at least 8 hex digits")
            )
            for suffix in ["1", "2"] {
                try await f.fixture.owner.query(
                    """
                    INSERT INTO clients (id, practice_id, legal_name, intake_date, primary_counselor_id)
                    VALUES (\(UUID(uuidString: "aaaaaaaa-0000-4000-8000-\(suffix)00000000000")!), \(f.fixture.practiceID),
                            'Fictional \(suffix)', '2026-09-01', \(f.fixture.counselorID))
                    """
                )
            }
            let ambiguous = try f.run(["client", "show", "aaaaaaaa"])
            #expect(ambiguous.status == 1)
            #expect(
                ambiguous.stderr.contains("aaaaaaaa-0000-4000-8000-100000000000, aaaaaaaa-0000-4000-8000-200000000000")
            )
            #expect(try f.ok(["client", "show", "aaaaaaaa-0000-4000-8000-1", "--json"]).hasPrefix("{"))
            let badDate = try f.run(
                ["session", "schedule", "--client", "aaaaaaaa-0000-4000-8000-100000000000", "--at", "tomorrow"]
            )
            #expect(badDate.status == 1 && badDate.stderr.contains("ISO 8601, e.g. 2026-11-24T15:00"))
            let badEnum = try f.run(
                [
                    "session", "schedule", "--client", "aaaaaaaa-0000-4000-8000-100000000000", "--at",
                    "2026-12-01T10:00",
                    "--format", "zoom",
                ]
            )
            #expect(badEnum.status == 1 && badEnum.stderr.contains("in_person, video, phone"))
            let typo = try f.run(["coupel", "list"])
            #expect(typo.status == 1 && typo.stderr.contains("did you mean 'couple'"))
            // Asking for help on a command that does not exist is the same error, not the top help.
            for arguments in [["fooo", "--help"], ["note", "fooo", "--help"]] {
                let help = try f.run(arguments)
                #expect(help.status == 1 && help.stderr.contains("unknown command 'fooo'") && help.stdout.isEmpty)
            }
            let option = try f.run(["couple", "list", "--jsn"])
            #expect(
                option.status == 1 && option.stderr.contains("haven: unknown option '--jsn' (did you mean --json?)")
            )
            let outside = try f.run(["note", "show", UUID().uuidString])
            #expect(outside.status == 1 && outside.stderr.contains("no note"))
            #expect(!outside.stderr.contains("SQL") && !outside.stderr.contains("Fatal"))

            // A disabled account's session stops at once.
            try f.ok(["staff", "disable", String(f.fixture.counselorID.uuidString.prefix(8))])
            let disabled = try f.run(["couple", "list"])
            #expect(disabled.status == 1 && disabled.stderr.contains("sign in again with 'haven login'"))
        }
    }
}
