import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP
import HavenService

/// `haven homework`: the prompt library, assignments and each partner's responses.
struct HomeworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "homework",
        abstract:
            "Browse the library, add prompts, assign homework, record responses, read them back, list what is open.",
        subcommands: [
            Library.self, AddPrompt.self, Assign.self, AssignSeries.self, Respond.self, Skip.self, Open.self, Show.self,
            List.self,
        ]
    )

    struct Library: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "library",
            abstract: "List homework prompts: built-in and your practice's.",
            discussion: "Example:\n  haven homework library --stage 1\n  haven homework library --json"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only prompts suited to this EFT stage (1-3).") var stage: Int?
        @Option(help: "Only this category: \(allowedValues(HomeworkCategory.self)).") var category: String?

        func run() async throws {
            let category: HomeworkCategory? = try self.category.map {
                try parseValue($0, option: "--category", kind: "a homework category")
            }
            try await Clinic.with(options) { clinic in
                let lines = try await clinic.api.pages("/v1/homework/prompts", as: HavenAPI.PromptLine.self)
                    .filter { prompt in
                        (stage.map { prompt.stages.contains($0) } ?? true)
                            && (category.map { $0.rawValue == prompt.category } ?? true)
                    }
                try output.emit(lines) {
                    TextTable(
                        header: ["ID", "TITLE", "CATEGORY", "STAGES", "FREQUENCY", "WHO", "SOURCE"],
                        rows: lines.map {
                            [
                                short($0.id), $0.title, $0.category,
                                $0.stages.map(String.init).joined(separator: ","), $0.frequency,
                                $0.joint ? "together" : "each alone", $0.builtIn ? "built-in" : "practice",
                            ]
                        }
                    ).render()
                }
            }
        }
    }

    struct AddPrompt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-prompt",
            abstract: "Add a prompt of your practice's own to the library.",
            discussion: """
                Instructions come from --file, stdin or $EDITOR.

                Example:
                  haven homework add-prompt --title "Evening check-in" --category emotional_check_in \\
                      --frequency daily --stages 1,2 --joint --file prompt.txt
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Title (1-120 characters).") var title: String
        @Option(help: "Category: \(allowedValues(HomeworkCategory.self)).") var category: String
        @Option(help: "once, daily or weekly.") var frequency = "once"
        @Option(help: "EFT stages it suits, comma-separated (1,2,3).") var stages: String
        @Flag(help: "The partners do it together (enactment-style).") var joint = false
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            var stageSet: Set<EFTStage> = []
            for part in stages.split(separator: ",") {
                guard let number = Int(part.trimmingCharacters(in: .whitespaces)),
                    let stage = EFTStage(rawValue: number)
                else { throw UserError(message: "--stages: '\(part)' is not a stage; use 1, 2 or 3") }
                stageSet.insert(stage)
            }
            let category: HomeworkCategory = try parseValue(category, option: "--category", kind: "a homework category")
            let frequency: HomeworkFrequency = try parseValue(frequency, option: "--frequency", kind: "a frequency")
            let instructions = try input.read(template: NoteCommand.template, what: "instructions")
            let body = HavenAPI.NewPromptBody(
                title: title,
                category: category.rawValue,
                instructions: instructions,
                frequency: frequency.rawValue,
                stages: stageSet.map(\.rawValue).sorted(),
                joint: joint
            )
            try await Clinic.with(options) { clinic in
                print(
                    try await clinic.api.send("POST", "/v1/homework/prompts", body: body, as: HavenAPI.Created.self).id
                )
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "assign",
            abstract: "Assign a prompt to a couple (or one partner) from a session.",
            discussion: """
                Joint homework for a couple with an open high-risk flag needs --risk-override-reason-file \
                (a file, or '-' for stdin).

                Example:
                  haven homework assign --prompt 0f1e2d3c --couple 3f2a91c0 --session 5d0e33aa --due 2026-12-01 --recurrence weekly
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Prompt id or prefix (see 'haven homework library').") var prompt: String
        @Option(help: "Couple id or prefix.") var couple: String
        @Option(help: "Only this partner (client id or prefix); default both.") var partner: String?
        @Option(help: "The session it was assigned in (id or prefix).") var session: String
        @Option(help: "Due date (YYYY-MM-DD).") var due: String
        @Option(help: "none, daily or weekly.") var recurrence = "none"
        @OptionGroup var riskOverride: RiskOverrideOptions

        func run() async throws {
            guard let recurrence = HomeworkService.Recurrence(rawValue: recurrence) else {
                throw UserError(message: "--recurrence: '\(self.recurrence)' is not one of: none, daily, weekly")
            }
            let dueOn = try parseDate(due, option: "--due")
            let riskOverrideReason = try riskOverride.read()
            try await Clinic.with(options) { clinic in
                let body = HavenAPI.AssignBody(
                    promptId: try await clinic.resolve(prompt, as: .prompt),
                    coupleId: try await clinic.resolve(couple, as: .couple),
                    partnerId: try await clinic.resolveIfGiven(partner, as: .client),
                    sessionId: try await clinic.resolve(session, as: .session),
                    dueOn: dueOn.description,
                    recurrence: recurrence.rawValue,
                    riskOverrideReason: riskOverrideReason
                )
                try await riskOverride.namingTheFlag {
                    let assigned = try await Clinic.naming([
                        "dueOn": "--due", "partnerID": "--partner", "partnerId": "--partner",
                        "session": "--session", "sessionId": "--session", "promptId": "--prompt",
                        "recurrence": "--recurrence",
                    ]) {
                        try await clinic.api.send(
                            "POST",
                            "/v1/homework/assignments",
                            body: body,
                            as: HavenAPI.Assigned.self
                        )
                    }
                    print(assigned.id)
                    // Warnings go to stderr: stdout stays the id alone, for scripts.
                    for warning in assigned.warnings {
                        FileHandle.standardError.write(Data("haven: warning: \(warning)\n".utf8))
                    }
                }
            }
        }
    }

    struct Respond: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "respond",
            abstract: "Record a partner's response to an assignment.",
            discussion: """
                The response text (optional, sealed) comes from --file or stdin. It stays private to the \
                counselor unless --shared (the partner chose to share it with the other partner).

                Example:
                  haven homework respond 7a8b9c0d --partner 3f2a91c0 --completion completed --file reply.txt --shared
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Assignment id or prefix.") var assignment: String
        @Option(help: "The responding partner (client id or prefix).") var partner: String
        @Option(help: "completed or partly_completed.") var completion = "completed"
        @Option(name: .customLong("file"), help: "Response text file ('-' for stdin).") var file: String?
        @Flag(help: "The partner shares this response with the other partner.") var shared = false

        func run() async throws {
            guard let completion = HomeworkService.Completion(rawValue: completion) else {
                throw UserError(
                    message: "--completion: '\(self.completion)' is not one of: completed, partly_completed"
                )
            }
            var text: String?
            if let file {
                text = try TextInputOptions.read(file: file, template: "", what: "response")
            }
            try await record(completion: completion, text: text)
        }

        func record(completion: HomeworkService.Completion, text: String?) async throws {
            let write = {
                try await Clinic.with(options) { clinic in
                    try await HomeworkCommand.respond(
                        clinic,
                        assignment: assignment,
                        partner: partner,
                        completion: completion,
                        text: text,
                        shared: shared
                    )
                    print("Recorded.")
                }
            }
            if let text { try await KeptText.guarding(text, kind: "response", write) } else { try await write() }
        }
    }

    struct Skip: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "skip",
            abstract: "Record that a partner skipped an assignment.",
            discussion: "Example:\n  haven homework skip 7a8b9c0d --partner 3f2a91c0"
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Assignment id or prefix.") var assignment: String
        @Option(help: "The partner (client id or prefix).") var partner: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                try await HomeworkCommand.respond(
                    clinic,
                    assignment: assignment,
                    partner: partner,
                    completion: .skipped
                )
                print("Recorded as skipped.")
            }
        }
    }

    /// Records a partner's response (or skip): `POST /v1/homework/assignments/{id}/responses`.
    ///
    /// - Parameters:
    ///   - assignment: the assignment's id or prefix, as typed.
    ///   - partner: the responding partner's client id or prefix, as typed.
    ///   - text: the response (sealed by the server), if any.
    ///   - shared: whether the partner shares it with the other partner.
    static func respond(
        _ clinic: Clinic,
        assignment: String,
        partner: String,
        completion: HomeworkService.Completion,
        text: String? = nil,
        shared: Bool = false
    ) async throws {
        let assignmentID = try await clinic.resolve(assignment, as: .assignment)
        let body = HavenAPI.ResponseBody(
            partnerId: try await clinic.resolve(partner, as: .client),
            completion: completion.rawValue,
            text: text,
            shared: shared
        )
        try await clinic.api.send("POST", "/v1/homework/assignments/\(full(assignmentID))/responses", body: body)
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "open",
            abstract: "List open assignments (not yet answered by everyone they were given to).",
            discussion: "Example:\n  haven homework open --overdue"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Only those past their due date.") var overdue = false

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let open = try await clinic.api.pages(
                    "/v1/homework/open",
                    query: overdue ? [URLQueryItem(name: "overdue", value: "true")] : [],
                    as: HavenAPI.OpenLine.self
                )
                try output.emit(open) {
                    guard !open.isEmpty else { return overdue ? "Nothing overdue." : "No open homework." }
                    return TextTable(
                        header: ["ID", "PROMPT", "COUPLE", "FOR", "DUE", "STATUS"],
                        rows: open.map {
                            [
                                short($0.id), $0.promptTitle, $0.coupleName?.nonEmpty ?? short($0.coupleId),
                                $0.partnerName ?? $0.partnerId.map(short) ?? "both",
                                $0.dueOn, $0.status,
                            ]
                        }
                    ).render()
                }
            }
        }
    }
}
