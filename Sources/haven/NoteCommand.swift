import ArgumentParser
import Foundation
import HavenCore
import HavenService
import Postgres
import Sealing

/// `haven note`: EFT progress notes, from draft to signed, with addenda and co-signatures.
struct NoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Write, edit, sign, addend, co-sign, show and list progress notes.",
        discussion: """
            Note text comes from --file, from stdin, or from $EDITOR (like 'git commit'). If a write fails, \
            the text is kept in a private file and the error says where.
            """,
        subcommands: [Write.self, Edit.self, Sign.self, Addend.self, Cosign.self, Show.self, List.self]
    )

    /// The structured part of a note.
    struct FieldOptions: ParsableArguments {
        @Option(help: "EFT stage, 1-3.") var stage: Int?
        @Option(help: "EFT step, 1-9 (must belong to the stage).") var step: Int?
        @Option(help: "For steps 5-7: the partner the work was with (client id or prefix).") var partner: String?
        @Option(help: "Interventions, comma-separated (e.g. reflecting_emotion,heightening).") var interventions:
            String?
        @Option(help: "Tango moves, comma-separated.") var tango: String?
        @Option(help: "Change events, comma-separated (e.g. cycle_deescalated).") var events: String?
        @Option(help: "Risk level: none, low, moderate or high.") var risk: String?
        @Option(
            help: ArgumentHelp("Read the risk detail (sealed) from a file ('-' for stdin).", valueName: "path")
        )
        var riskDetailFile: String?
        @Option(name: .customLong("risk-detail"), help: .private) var riskDetailInline: String?

        /// Refuses `--risk-detail TEXT`, and a risk detail from stdin when the note's text comes from
        /// stdin too; call before reading anything.
        func checkTextSources(bodyReadsStandardInput: Bool) throws {
            try TextInputOptions.refuseOnCommandLine(
                riskDetailInline,
                flag: "--risk-detail",
                instead: "--risk-detail-file PATH ('-' for stdin)"
            )
            if riskDetailFile == "-" && bodyReadsStandardInput {
                throw UserError(
                    message:
                        "--risk-detail-file: the note's text already comes from stdin; give the risk detail in a file (or the text with --file PATH)"
                )
            }
        }

        /// `base` with the options given applied.
        func apply(to base: NoteService.Draft, clinic: LegacyClinic) async throws -> NoteService.Draft {
            var draft = base
            if let stage { draft.stage = stage }
            if let step { draft.step = step }
            if let partner { draft.stepPartnerID = try await clinic.resolve(partner, as: .client) }
            if let interventions { draft.interventions = try list(interventions).map(Intervention.parse) }
            if let tango { draft.tangoMoves = try list(tango).map(TangoMove.parse) }
            if let events { draft.changeEvents = try list(events).map(ChangeEvent.parse) }
            if let risk { draft.riskLevel = try RiskLevel.parse(risk) }
            if let riskDetailFile {
                draft.riskDetail = try TextInputOptions.read(file: riskDetailFile, template: "", what: "risk detail")
            }
            return draft
        }

        private func list(_ text: String) -> [String] {
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    static let template = """


        # Write the note above. Lines starting with '#' are ignored; an empty note writes nothing.
        """

    struct Write: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a draft note on a completed session.",
            discussion: """
                Example:
                  haven note write --session 5d0e33aa --stage 1 --step 2 --interventions tracking_the_cycle --file note.txt
                  haven note write --session 5d0e33aa --stage 1 --step 2      # opens $EDITOR
                """
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Option(help: "The completed session (id or prefix).") var session: String
        @OptionGroup var fields: FieldOptions
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            guard fields.stage != nil, fields.step != nil else {
                throw UserError(message: "--stage and --step are required for a new note")
            }
            try fields.checkTextSources(bodyReadsStandardInput: input.readsStandardInput)
            let body = try input.read(template: NoteCommand.template, what: "note")
            try await KeptText.guarding(body, kind: "note") {
                try await LegacyClinic.with(options) { clinic in
                    let draft = try await fields.apply(to: .init(stage: 1, step: 1, body: body), clinic: clinic)
                    let (id, version) = try await NoteService(pool: clinic.pool, keys: clinic.keys)
                        .writeDraft(
                            draft,
                            session: try await clinic.resolve(session, as: .session),
                            actor: clinic.actor
                        )
                    print("\(full(id)) (draft, version \(version))")
                }
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit a draft note: change fields, and the text from --file, stdin or $EDITOR.",
            discussion: """
                Without --file and at a terminal, $EDITOR opens with the current text. The edit applies only \
                if nobody changed the note since you opened it; otherwise your text is kept.

                Example:
                  haven note edit 9c41e2b7
                  haven note edit 9c41e2b7 --risk moderate --file revised.txt
                """
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Argument(help: "Note id or prefix.") var id: String
        @OptionGroup var fields: FieldOptions
        @OptionGroup var input: TextInputOptions
        @Flag(help: "Keep the text as it is; change only the fields given.") var keepText = false

        func run() async throws {
            try fields.checkTextSources(bodyReadsStandardInput: !keepText && input.readsStandardInput)
            try await LegacyClinic.with(options) { clinic in
                let notes = NoteService(pool: clinic.pool, keys: clinic.keys)
                let noteID = try await clinic.resolve(id, as: .note)
                let current = try await notes.note(noteID, actor: clinic.actor)
                if current.signed { throw NoteCommand.signed(noteID) }
                var draft = try await fields.apply(to: current.draft, clinic: clinic)
                if !keepText {
                    draft.body = try input.read(template: current.draft.body + NoteCommand.template, what: "note")
                }
                let body = draft.body
                try await KeptText.guarding(body, kind: "note") {
                    let version = try await notes.editDraft(
                        noteID,
                        expectedVersion: current.version,
                        draft: draft,
                        actor: clinic.actor
                    )
                    print("\(full(noteID)) (draft, version \(version))")
                }
            }
        }
    }

    static func signed(_ id: UUID) -> UserError {
        UserError(message: "note \(short(id)) is signed; add an addendum with 'haven note addend \(short(id))'")
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a draft: it becomes final, with a SHA-256 content hash.",
            discussion: "Example:\n  haven note sign 9c41e2b7"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Argument(help: "Note id or prefix.") var id: String
        @Option(help: "The version you reviewed (default: the current one).") var version: Int?

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let notes = NoteService(pool: clinic.pool, keys: clinic.keys)
                let noteID = try await clinic.resolve(id, as: .note)
                let expected: Int
                if let version {
                    expected = version
                } else {
                    expected = try await notes.note(noteID, actor: clinic.actor).version
                }
                let hash = try await notes.sign(noteID, expectedVersion: expected, actor: clinic.actor)
                print("Signed \(full(noteID)); content hash \(Hex.encode(hash))")
            }
        }
    }

    struct Addend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an addendum to a signed note (a correction or late entry).",
            discussion: """
                The reason comes from --reason-file (a file, or '-' for stdin), else from stdin, or from \
                $EDITOR at a terminal; the text from --file, stdin or $EDITOR. Only one of them can be stdin.

                Example:
                  haven note addend 9c41e2b7 --reason-file reason.txt --file addendum.txt
                  echo "Late entry" | haven note addend 9c41e2b7 --file addendum.txt
                """
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Argument(help: "Note id or prefix.") var id: String
        @OptionGroup var reason: ReasonOptions
        @OptionGroup var input: TextInputOptions

        static let reasonTemplate = """


            # Why is this addendum made (e.g. late entry, correction)? Lines starting with '#' are ignored.
            """

        func run() async throws {
            try reason.refuseOnCommandLine()
            let reason = try reason.read(template: Self.reasonTemplate, besides: input)
            let text = try input.read(template: NoteCommand.template, what: "addendum")
            try await KeptText.guarding(text, kind: "addendum") {
                try await LegacyClinic.with(options) { clinic in
                    let addendum = try await NoteService(pool: clinic.pool, keys: clinic.keys).addAddendum(
                        to: try await clinic.resolve(id, as: .note),
                        reason: reason,
                        text: text,
                        actor: clinic.actor
                    )
                    print(full(addendum))
                }
            }
        }
    }

    struct Cosign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Co-sign a supervisee's signed note (supervisors).",
            discussion: "Example:\n  haven note cosign 9c41e2b7"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Argument(help: "Note id or prefix.") var id: String

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let noteID = try await clinic.resolve(id, as: .note)
                try await NoteService(pool: clinic.pool, keys: clinic.keys).cosign(noteID, actor: clinic.actor)
                print("Co-signed \(full(noteID)).")
            }
        }
    }

    /// A note as `--json` prints it.
    struct View: Encodable {
        var id: String
        var sessionID: String
        var authorID: String
        var state: String
        var version: Int
        var stage: Int
        var step: Int
        var stepPartnerID: String?
        var interventions: [String]
        var tangoMoves: [String]
        var changeEvents: [String]
        var riskLevel: String
        var riskDetail: String?
        var body: String
        var contentHash: String?
        var addenda: [NoteService.Addendum]
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a note with its addenda.",
            discussion: "Example:\n  haven note show 9c41e2b7 --json"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Note id or prefix.") var id: String

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let style = DateStyle(timeZoneName: try await clinic.practice().timeZone)
                let notes = NoteService(pool: clinic.pool, keys: clinic.keys)
                let noteID = try await clinic.resolve(id, as: .note)
                let note = try await notes.note(noteID, actor: clinic.actor)
                let addenda = note.signed ? try await notes.addenda(of: noteID, actor: clinic.actor) : []
                let view = View(
                    id: full(note.id),
                    sessionID: full(note.sessionID),
                    authorID: full(note.authorID),
                    state: note.signed ? "signed" : "draft",
                    version: note.version,
                    stage: note.draft.stage,
                    step: note.draft.step,
                    stepPartnerID: note.draft.stepPartnerID.map(full),
                    interventions: note.draft.interventions.map(\.rawValue),
                    tangoMoves: note.draft.tangoMoves.map(\.rawValue),
                    changeEvents: note.draft.changeEvents.map(\.rawValue),
                    riskLevel: note.draft.riskLevel.rawValue,
                    riskDetail: note.draft.riskDetail,
                    body: note.draft.body,
                    contentHash: note.contentHash.map(Hex.encode),
                    addenda: addenda
                )
                try output.emit(view) {
                    var lines = [
                        "note \(view.id) — \(view.state), version \(view.version)",
                        "session \(short(note.sessionID)); stage \(view.stage) (\(stageName(view.stage))), step \(view.step)",
                        "interventions: \(view.interventions.joined(separator: ", ").nonEmpty ?? "-")",
                        "tango moves: \(view.tangoMoves.joined(separator: ", ").nonEmpty ?? "-")",
                        "change events: \(view.changeEvents.joined(separator: ", ").nonEmpty ?? "-")",
                        "risk: \(view.riskLevel)\(view.riskDetail.map { " — \($0)" } ?? "")",
                        "",
                        view.body,
                    ]
                    for addendum in addenda {
                        lines += [
                            "",
                            "addendum \(short(addendum.id)), \(style.dateTime(addendum.createdAt)): \(addendum.reason)",
                            addendum.text,
                        ]
                    }
                    return lines.joined(separator: "\n")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a couple's or a client's notes.",
            discussion: "Example:\n  haven note list --couple 3f2a91c0"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var chart: SessionCommand.ChartOptions

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let style = DateStyle(timeZoneName: try await clinic.practice().timeZone)
                let notes = try await NoteService(pool: clinic.pool, keys: clinic.keys)
                    .list(chart: try await chart.resolve(clinic)!, actor: clinic.actor)
                try output.emit(notes) {
                    guard !notes.isEmpty else { return "No notes on this chart." }
                    return TextTable(
                        header: ["ID", "SESSION", "STAGE", "STEP", "RISK", "STATE", "ADDENDA", "CO-SIGNED"],
                        rows: notes.map {
                            [
                                short($0.id), style.dateTime($0.sessionStart), "\($0.stage)", "\($0.step)",
                                $0.riskLevel,
                                $0.signed ? "signed" : "draft v\($0.version)", $0.addenda == 0 ? "" : "\($0.addenda)",
                                $0.cosigned ? "yes" : "",
                            ]
                        }
                    ).render()
                }
            }
        }
    }
}

extension String {
    /// nil when empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}
