import Foundation
import HavenServiceFixtures
import HavenTestSupport
import Testing

/// Read-back: what was recorded can be read back in the CLI, with names rather than ids in human tables.
@Suite("The CLI reads back what was recorded", .needsTestDatabase, .needsHavenBinary)
struct CLIReadBackTests {
    /// `note show` names the author, the signature (time, content hash), the co-signature and each addendum's author.
    @Test func noteShowNamesTheSignatureCosignatureAndAddenda() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional Alex", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional Sam", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-24T15:00"])
            try f.ok(["session", "complete", session])
            let note = String(
                try f.ok(
                    [
                        "note", "write", "--session", session, "--stage", "1", "--step", "2", "--risk", "low", "--file",
                        "-",
                    ],
                    stdin: "Fictional: mapped the cycle."
                ).prefix(36)
            )
            let draft = try f.run(["note", "show", note])
            #expect(draft.stdout.contains("author: Dana Reyes") && !draft.stdout.contains("signed:"), "\(draft)")
            let hash = String(try f.ok(["note", "sign", note]).suffix(64))
            let reasonFile = f.directory + "/reason.txt"
            try "Late entry\n".write(toFile: reasonFile, atomically: true, encoding: .utf8)
            try f.ok(["note", "addend", note, "--reason-file", reasonFile], stdin: "Fictional: partner B joined late.")
            let sam = try f.ok(
                [
                    "staff", "add", "--email", "sam@harbor.example", "--name", "Sam Rivera", "--role", "supervisor",
                    "--password-stdin",
                ],
                stdin: StaffFixture.password
            )
            try f.ok(["staff", "supervise", "--supervisor", sam, "--supervisee", f.fixture.counselorID.uuidString])
            let unsigned = try f.run(["note", "show", note])
            #expect(unsigned.stdout.contains("co-signed: no"), "\(unsigned)")
            try f.ok(["login", "--email", "sam@harbor.example", "--password-stdin"], stdin: StaffFixture.password)
            try f.ok(["note", "cosign", note])
            let shown = try f.run(["note", "show", note])
            #expect(shown.status == 0, "\(shown)")
            for line in [
                "author: Dana Reyes", "content hash: \(hash)", "co-signed: Sam Rivera, 20",
                "signed: 20", "by Dana Reyes", "Late entry", "Fictional: partner B joined late.",
            ] {
                #expect(shown.stdout.contains(line), "\(line): \(shown)")
            }
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(try f.run(["note", "show", note, "--json"]).stdout.utf8))
                    as? [String: Any]
            )
            #expect(json["authorName"] as? String == "Dana Reyes" && json["signedAt"] is String)
            let cosignature = try #require(json["cosignature"] as? [String: Any])
            #expect(
                cosignature["supervisorName"] as? String == "Sam Rivera"
                    && cosignature["supervisorId"] as? String == sam
            )
            let addenda = try #require(json["addenda"] as? [[String: Any]])
            #expect(addenda.map { $0["authorName"] as? String } == ["Dana Reyes"])
        }
    }

    /// Sessions, open homework, injuries and the audit list name people; ids stay in `--json`.
    @Test func tablesNamePeopleAndJSONKeepsIds() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional Alex", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional Sam", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-24T15:00"])
            try f.ok(["session", "schedule", "--client", a, "--at", "2026-11-24T17:00"])
            let day = try f.run(["session", "list", "--day", "2026-11-24"])
            #expect(day.stdout.contains("Fictional Alex & Fictional Sam"), "\(day)")
            #expect(day.stdout.contains("Fictional Alex ") && !day.stdout.contains("couple \(couple.prefix(8))"))
            let sessions = try f.json(["session", "list", "--couple", couple], as: [[String: AnyCodableValue]].self)
            #expect(
                sessions.first?["chartId"] == .text(couple)
                    && sessions.first?["chartName"] == .text("Fictional Alex & Fictional Sam")
            )

            let prompt = try #require(
                try f.json(["homework", "library"], as: [Prompt].self).first { !$0.joint }
            ).id
            try f.ok([
                "homework", "assign", "--prompt", prompt, "--couple", couple, "--partner", a, "--session", session,
                "--due", "2099-01-01",
            ])
            let open = try f.run(["homework", "open"])
            #expect(open.stdout.contains("Fictional Alex & Fictional Sam") && open.stdout.contains("Fictional Alex  "))
            #expect(!open.stdout.contains(String(a.prefix(8))), "\(open)")
            let openJSON = try f.json(["homework", "open"], as: [[String: AnyCodableValue]].self)
            #expect(
                openJSON.first?["partnerId"] == .text(a) && openJSON.first?["partnerName"] == .text("Fictional Alex")
            )

            try f.ok(["injury", "record", "--couple", couple, "--injured", b], stdin: "Fictional injury.")
            let injuries = try f.run(["injury", "list", "--couple", couple])
            #expect(injuries.stdout.contains("Fictional Sam") && !injuries.stdout.contains(String(b.prefix(8))))
            let injuryJSON = try f.json(["injury", "list", "--couple", couple], as: [[String: AnyCodableValue]].self)
            #expect(injuryJSON.first?["injuredPartnerId"] == .text(b))

            let audit = try f.run(["audit", "list", "--tail", "3"])
            #expect(audit.stdout.contains("Dana Reyes"), "\(audit)")
            let auditJSON = try f.run(["audit", "list", "--tail", "3", "--json"])
            #expect(auditJSON.stdout.contains(f.fixture.counselorID.uuidString.lowercased()))
            #expect(!auditJSON.stdout.contains("Dana Reyes"))
        }
    }

    /// `homework show` and `homework list --couple` read each partner's response back, shared or private.
    @Test func homeworkShowAndListReadResponsesBack() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional Alex", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional Sam", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-24T15:00"])
            let prompt = try #require(
                try f.json(["homework", "library"], as: [Prompt].self).first { !$0.joint }
            ).id
            let assignment = try f.ok([
                "homework", "assign", "--prompt", prompt, "--couple", couple, "--session", session, "--due",
                "2099-01-01",
            ])
            let none = try f.run(["homework", "show", assignment])
            #expect(none.stdout.contains("no responses yet") && none.stdout.contains("status assigned"), "\(none)")
            try f.ok(
                ["homework", "respond", assignment, "--partner", a, "--file", "-", "--shared"],
                stdin: "Fictional shared answer."
            )
            try f.ok(
                ["homework", "respond", assignment, "--partner", b, "--completion", "partly_completed", "--file", "-"],
                stdin: "Fictional private answer."
            )
            let shown = try f.run(["homework", "show", String(assignment.prefix(8))])
            #expect(shown.status == 0, "\(shown)")
            for text in [
                "for both partners of Fictional Alex & Fictional Sam", "status partly_completed",
                "Fictional Alex: completed", "shared with the other partner", "Fictional shared answer.",
                "Fictional Sam: partly_completed", "private to the counselor", "Fictional private answer.",
            ] {
                #expect(shown.stdout.contains(text), "\(text): \(shown)")
            }
            let listed = try f.run(["homework", "list", "--couple", couple])
            #expect(listed.stdout.contains("Fictional private answer."), "\(listed)")
            let json = try f.json(["homework", "list", "--couple", couple], as: [Assignment].self)
            #expect(json.map(\.id) == [assignment] && json.first?.coupleId == couple)
            #expect(json.first?.responses.map(\.partnerId) == [a, b])
            #expect(json.first?.responses.map(\.sharedWithPartner) == [true, false])
            let unknown = try f.run(["homework", "show", "00000000-0000-4000-8000-000000000000"])
            #expect(unknown.status == 1, "\(unknown)")
            let denied = try f.run(["audit", "list", "--action", "homework.read", "--outcome", "denied", "--json"])
            #expect(denied.stdout.contains("00000000-0000-4000-8000-000000000000"), "\(denied)")
            let lists = try f.run(["audit", "list", "--action", "homework.list", "--client", b, "--json"])
            #expect(lists.stdout.contains(couple), "\(lists)")
        }
    }

    /// `cycle set` saves any subset of a partner's map, each save a version; `show` names what is still empty.
    @Test func cycleMapsAreFilledInOverSeveralSaves() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional Alex", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional Sam", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let target = ["--couple", couple, "--partner", a]
            #expect(try f.run(["cycle", "show"] + target).stdout.contains("No cycle map yet"))
            let badPosition = try f.run(["cycle", "set"] + target + ["--position", "persuer"])
            #expect(badPosition.status == 1 && badPosition.stderr.contains("did you mean 'pursuer'"), "\(badPosition)")
            #expect(try f.ok(["cycle", "set"] + target + ["--position", "pursuer"]) == "Saved version 1.")
            let first = try f.run(["cycle", "show"] + target)
            #expect(first.stdout.contains("position: pursuer") && first.stdout.contains("trigger: (empty)"))
            #expect(first.stdout.contains("still empty: trigger, action tendency"), "\(first)")
            #expect(
                try f.ok(
                    ["cycle", "set"] + target + ["--file", "-"],
                    stdin: "trigger: Fictional partner turns away\nunmet need: Fictional to matter\n"
                ) == "Saved version 2."
            )
            let badField = try f.run(["cycle", "set"] + target + ["--file", "-"], stdin: "triger: x\n")
            #expect(badField.status == 1 && badField.stderr.contains("did you mean 'trigger'"), "\(badField)")
            let second = try f.run(["cycle", "show"] + target)
            for text in [
                "version 2", "position: pursuer", "trigger: Fictional partner turns away",
                "unmet need: Fictional to matter",
                "still empty: action tendency, perception of partner, reactive emotion, primary emotion",
            ] {
                #expect(second.stdout.contains(text), "\(text): \(second)")
            }
            let history = try f.run(["cycle", "history"] + target)
            #expect(history.stdout.contains("1/7") && history.stdout.contains("3/7"), "\(history)")
            let json = try f.run(["cycle", "history"] + target + ["--json"])
            #expect(json.stdout.contains("\"emptyFields\"") && json.stdout.contains("\"version\" : 2"), "\(json)")
        }
    }

    /// `haven values` lists the allowed values; flags' help lists them; a bad value gets "did you mean".
    @Test func allowedValuesAreListedInHelpAndOnError() async throws {
        try await CLIFixture.with { f in
            let all = try f.run(["values"])
            #expect(all.status == 0 && all.stdout.contains("tango-moves: ") && all.stdout.contains("change-events: "))
            let interventions = try f.run(["values", "interventions"])
            #expect(interventions.stdout.split(separator: "\n").contains("reflecting_emotion"), "\(interventions)")
            let typo = try f.run(["values", "intervention"])
            #expect(typo.status == 1 && typo.stderr.contains("did you mean 'interventions'"), "\(typo)")
            let help = try f.run(["note", "write", "--help"])
            #expect(help.stdout.contains("tracking_the_cycle") && help.stdout.contains("blamer_softening"), "\(help)")
            try f.login()
            let bad = try f.run([
                "note", "write", "--session", "00000000-0000-4000-8000-000000000000", "--stage", "1", "--step", "1",
                "--interventions", "reflecting_emotion,heightenning", "--file", "-",
            ])
            #expect(
                bad.status == 1 && bad.stderr.contains("--interventions: 'heightenning'")
                    && bad.stderr.contains("did you mean 'heightening'"),
                "\(bad)"
            )
            let status = try f.run(["injury", "update", "00000000", "--step", "2", "--status", "in-repair"])
            #expect(status.status == 1 && status.stderr.contains("did you mean 'in_repair'"), "\(status)")
        }
    }

    struct Assignment: Decodable {
        var id: String
        var coupleId: String
        var responses: [Response]
        struct Response: Decodable {
            var partnerId: String
            var sharedWithPartner: Bool
        }
    }

    struct Prompt: Decodable {
        var id: String
        var joint: Bool
    }

    /// A JSON value that is text, or something else this test does not look at.
    enum AnyCodableValue: Decodable, Equatable {
        case text(String)
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            self = (try? container.decode(String.self)).map(Self.text) ?? .other
        }
    }
}
