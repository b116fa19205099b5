import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP
import HavenService

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
        @Option(help: "Interventions, comma-separated: \(allowedValues(Intervention.self)).") var interventions: String?
        @Option(help: "Tango moves, comma-separated: \(allowedValues(TangoMove.self)).") var tango: String?
        @Option(help: "Change events, comma-separated: \(allowedValues(ChangeEvent.self)).") var events: String?
        @Option(help: "Risk level: \(allowedValues(RiskLevel.self)) (required to write a note; asked at a terminal).")
        var risk: String?
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

        /// The tags and risk level given, checked (errors name the flag). Call before any text is read,
        /// so a mistyped flag costs nothing: no editor session, no kept copy.
        func checked() throws -> Checked {
            Checked(
                interventions: try interventions.map {
                    try list($0).map {
                        (try parseValue($0, option: "--interventions", kind: "an intervention") as Intervention)
                            .rawValue
                    }
                },
                tangoMoves: try tango.map {
                    try list($0).map {
                        (try parseValue($0, option: "--tango", kind: "a Tango move") as TangoMove).rawValue
                    }
                },
                changeEvents: try events.map {
                    try list($0).map {
                        (try parseValue($0, option: "--events", kind: "a change event") as ChangeEvent).rawValue
                    }
                },
                riskLevel: try risk.map {
                    (try parseValue($0, option: "--risk", kind: "a risk level") as RiskLevel).rawValue
                }
            )
        }

        /// What `checked()` found valid.
        struct Checked {
            var interventions: [String]?
            var tangoMoves: [String]?
            var changeEvents: [String]?
            var riskLevel: String?
        }

        /// `base` with the options given applied: the checked tags, the partner resolved, the risk detail read.
        func apply(
            _ checked: Checked,
            to base: HavenAPI.DraftBody,
            clinic: Clinic
        ) async throws -> HavenAPI.DraftBody {
            var draft = base
            if let stage { draft.stage = stage }
            if let step { draft.step = step }
            if let partner { draft.stepPartnerId = try await clinic.resolve(partner, as: .client) }
            if let interventions = checked.interventions { draft.interventions = interventions }
            if let tangoMoves = checked.tangoMoves { draft.tangoMoves = tangoMoves }
            if let changeEvents = checked.changeEvents { draft.changeEvents = changeEvents }
            if let riskLevel = checked.riskLevel { draft.riskLevel = riskLevel }
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
            commandName: "write",
            abstract: "Write a draft note on a completed session.",
            discussion: """
                Example:
                  haven note write --session 5d0e33aa --stage 1 --step 2 --risk none --interventions tracking_the_cycle --file note.txt
                  haven note write --session 5d0e33aa --stage 1 --step 2 --risk low   # opens $EDITOR

                A note records its risk level explicitly: give --risk, or answer the question at a terminal.
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "The completed session (id or prefix).") var session: String
        @OptionGroup var fields: FieldOptions
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            guard fields.stage != nil, fields.step != nil else {
                throw UserError(message: "--stage and --step are required for a new note")
            }
            try fields.checkTextSources(bodyReadsStandardInput: input.readsStandardInput)
            var checked = try fields.checked()
            if checked.riskLevel == nil {
                checked.riskLevel = try NoteCommand.askRiskLevel(bodyReadsStandardInput: input.readsStandardInput)
            }
            let body = try input.read(template: NoteCommand.template, what: "note")
            try await KeptText.guarding(body, kind: "note") {
                try await Clinic.with(options) { clinic in
                    let sessionID = try await clinic.resolve(session, as: .session)
                    let draft = try await fields.apply(
                        checked,
                        to: HavenAPI.DraftBody(sessionId: sessionID, body: body),
                        clinic: clinic
                    )
                    let written: HavenAPI.Written
                    do {
                        written = try await clinic.api.send("POST", "/v1/notes", body: draft, as: HavenAPI.Written.self)
                    } catch let failure as APIFailure where failure.kind == "session-not-completed" {
                        // The next command, with the session the user named.
                        let next =
                            failure.detail.hasSuffix("scheduled")
                            ? "complete the session first: haven session complete \(short(sessionID))"
                            : "if the status is wrong, correct it: haven session correct-status \(short(sessionID)) "
                                + "--to completed --reason-file FILE"
                        throw UserError(message: "--session: \(failure.detail) (\(next))")
                    }
                    print("\(written.id) (draft, version \(written.version))")
                }
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "edit",
            abstract: "Edit a draft note: change fields, and the text from --file, stdin or $EDITOR.",
            discussion: """
                Without --file and at a terminal, $EDITOR opens with the current text. The edit applies only \
                if nobody changed the note since you opened it; otherwise your text is kept.

                Example:
                  haven note edit 9c41e2b7
                  haven note edit 9c41e2b7 --risk moderate --file revised.txt
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Note id or prefix.") var id: String
        @OptionGroup var fields: FieldOptions
        @OptionGroup var input: TextInputOptions
        @Flag(help: "Keep the text as it is; change only the fields given.") var keepText = false

        func run() async throws {
            try fields.checkTextSources(bodyReadsStandardInput: !keepText && input.readsStandardInput)
            let checked = try fields.checked()
            try await Clinic.with(options) { clinic in
                let noteID = try await clinic.resolve(id, as: .note)
                let current = try await clinic.api.send(
                    "GET",
                    "/v1/notes/\(full(noteID))",
                    as: HavenAPI.NoteView.self
                )
                if current.state == "signed" { throw NoteCommand.signed(noteID) }
                var draft = try await fields.apply(checked, to: HavenAPI.DraftBody(current), clinic: clinic)
                if !keepText {
                    draft.body = try input.read(template: current.body + NoteCommand.template, what: "note")
                }
                try await KeptText.guarding(draft.body, kind: "note") {
                    // Applies only if the note is still at the version read above (409 otherwise).
                    let written = try await clinic.api.expecting(version: current.version).send(
                        "PUT",
                        "/v1/notes/\(full(noteID))",
                        body: draft,
                        as: HavenAPI.Written.self
                    )
                    print("\(full(noteID)) (draft, version \(written.version))")
                }
            }
        }
    }

    /// The risk level typed at a terminal when `--risk` is not given (before any text is read, so a
    /// refusal costs nothing); without a terminal, or with the note's text on stdin, `--risk` is required.
    static func askRiskLevel(bodyReadsStandardInput: Bool) throws -> String {
        let allowed = RiskLevel.allCases.map(\.rawValue).joined(separator: ", ")
        guard !bodyReadsStandardInput, isatty(STDIN_FILENO) != 0 else {
            throw UserError(message: "--risk is required: a note records its risk level (\(allowed))")
        }
        FileHandle.standardError.write(Data("Risk level (\(allowed)): ".utf8))
        let typed = (readLine() ?? "").trimmingCharacters(in: .whitespaces)
        do {
            return try RiskLevel.parse(typed).rawValue
        } catch {
            throw UserError(message: "--risk: is not one of: \(allowed)")
        }
    }

    static func signed(_ id: UUID) -> UserError {
        UserError(message: "note \(short(id)) is signed; add an addendum with 'haven note addend \(short(id))'")
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Sign a draft: it becomes final, with a SHA-256 content hash.",
            discussion: "Example:\n  haven note sign 9c41e2b7"
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Note id or prefix.") var id: String
        @Option(help: "The version you reviewed (default: the current one).") var version: Int?

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let noteID = try await clinic.resolve(id, as: .note)
                let path = "/v1/notes/\(full(noteID))"
                let expected: Int
                if let version {
                    expected = version
                } else {
                    expected = try await clinic.api.send("GET", path, as: HavenAPI.NoteView.self).version
                }
                // A draft without a risk level is refused by the API naming riskLevel: name the flag that sets it.
                let signed = try await Clinic.naming([
                    "riskLevel": "--risk (haven note edit \(short(noteID)) --risk LEVEL)"
                ]) {
                    try await clinic.api.expecting(version: expected)
                        .send("POST", path + "/sign", as: HavenAPI.Signed.self)
                }
                print("Signed \(full(noteID)); content hash \(signed.contentHash)")
                if signed.cosignaturePending {
                    print("Awaiting your supervisor's co-signature (you are pre-licensed): see their `haven today`.")
                }
            }
        }
    }

    struct Addend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "addend",
            abstract: "Add an addendum to a signed note (a correction or late entry).",
            discussion: """
                The reason comes from --reason-file (a file, or '-' for stdin), else from stdin, or from \
                $EDITOR at a terminal; the text from --file, stdin or $EDITOR. Only one of them can be stdin.

                Example:
                  haven note addend 9c41e2b7 --reason-file reason.txt --file addendum.txt
                  echo "Late entry" | haven note addend 9c41e2b7 --file addendum.txt
                """
        )

        @OptionGroup var options: ClinicalOptions
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
                try await Clinic.with(options) { clinic in
                    let noteID = try await clinic.resolve(id, as: .note)
                    let created = try await clinic.api.send(
                        "POST",
                        "/v1/notes/\(full(noteID))/addenda",
                        body: HavenAPI.AddendumBody(reason: reason, text: text),
                        as: HavenAPI.Created.self
                    )
                    print(created.id)
                }
            }
        }
    }

    struct Cosign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cosign",
            abstract: "Co-sign a supervisee's signed note (supervisors).",
            discussion: "Example:\n  haven note cosign 9c41e2b7"
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Note id or prefix.") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let noteID = try await clinic.resolve(id, as: .note)
                try await clinic.api.send("POST", "/v1/notes/\(full(noteID))/cosign")
                print("Co-signed \(full(noteID)).")
            }
        }
    }

    /// A note as `note show --json` prints it: the API's `NoteView`, with its addenda beside.
    struct Shown: Encodable {
        var note: HavenAPI.NoteView
        var addenda: [NoteService.Addendum]

        enum CodingKeys: String, CodingKey { case addenda }

        func encode(to encoder: any Encoder) throws {
            try note.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(addenda, forKey: .addenda)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a note: its text, author, signature (time, content hash), co-signature and addenda.",
            discussion: "Example:\n  haven note show 9c41e2b7 --json"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Note id or prefix.") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let noteID = try await clinic.resolve(id, as: .note)
                let path = "/v1/notes/\(full(noteID))"
                let note = try await clinic.api.send("GET", path, as: HavenAPI.NoteView.self)
                // Only a signed note has addenda (a draft is edited instead).
                let addenda =
                    note.state == "signed"
                    ? try await clinic.api.pages(path + "/addenda", as: NoteService.Addendum.self) : []
                try output.emit(Shown(note: note, addenda: addenda)) {
                    let author = note.authorName ?? short(note.authorId)
                    var lines = [
                        "note \(note.id) — \(note.state), version \(note.version)",
                        "author: \(author)",
                    ]
                    if let signedAt = note.signedAt, let hash = note.contentHash {
                        lines += [
                            "signed: \(style.dateTime(signedAt)) by \(author)",
                            "content hash: \(hash)",
                            note.cosignature.map {
                                "co-signed: \($0.supervisorName), \(style.dateTime($0.cosignedAt))"
                            } ?? "co-signed: no",
                        ]
                    }
                    lines += [
                        "session \(short(note.sessionId)); stage \(note.stage) (\(stageName(note.stage))), step \(note.step)",
                        "interventions: \(note.interventions.joined(separator: ", ").nonEmpty ?? "-")",
                        "tango moves: \(note.tangoMoves.joined(separator: ", ").nonEmpty ?? "-")",
                        "change events: \(note.changeEvents.joined(separator: ", ").nonEmpty ?? "-")",
                        "risk: \(note.riskLevel ?? "not recorded")\(note.riskDetail.map { " — \($0)" } ?? "")",
                        "",
                        note.body,
                    ]
                    for addendum in addenda {
                        lines += [
                            "",
                            "addendum \(short(addendum.id)) by \(addendum.authorName.nonEmpty ?? short(addendum.authorID)), "
                                + "\(style.dateTime(addendum.createdAt)): \(addendum.reason)",
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
            commandName: "list",
            abstract: "List a couple's or a client's notes.",
            discussion: "Example:\n  haven note list --couple 3f2a91c0"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var chart: SessionCommand.ChartOptions

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let notes = try await clinic.api.pages(
                    Clinic.path(of: try await chart.resolve(clinic)!) + "/notes",
                    as: NoteService.Listing.self
                )
                try output.emit(notes) {
                    guard !notes.isEmpty else { return "No notes on this chart." }
                    return TextTable(
                        header: ["ID", "SESSION", "STAGE", "STEP", "RISK", "STATE", "ADDENDA", "CO-SIGNED"],
                        rows: notes.map {
                            [
                                short($0.id), style.dateTime($0.sessionStart), "\($0.stage)", "\($0.step)",
                                $0.riskLevel ?? "-",
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

extension APIClient {
    /// This client sending `If-Match: "<version>"`: a note edit or signature applies only while the
    /// note is still at `version`, else the server answers 409 and changes nothing.
    fileprivate func expecting(version: Int) -> APIClient {
        var client = self
        client.headers["If-Match"] = "\"\(version)\""
        return client
    }
}

extension HavenAPI.DraftBody {
    /// A new note's draft on `sessionId`: stage 1, step 1, until the options say otherwise (`--risk`
    /// is required or asked for before this).
    init(sessionId: UUID, body: String) {
        self.init(sessionId: sessionId, stage: 1, step: 1, body: body)
    }

    /// The draft `note` holds now, to edit.
    init(_ note: HavenAPI.NoteView) {
        self.init(
            stage: note.stage,
            step: note.step,
            stepPartnerId: note.stepPartnerId.flatMap { UUID(uuidString: $0) },
            interventions: note.interventions,
            tangoMoves: note.tangoMoves,
            changeEvents: note.changeEvents,
            riskLevel: note.riskLevel,
            riskDetail: note.riskDetail,
            body: note.body
        )
    }
}
