import ArgumentParser
import Foundation
import HavenCore
import HavenService

/// `haven injury`: attachment injuries and their resolution.
struct InjuryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "injury",
        abstract: "Record attachment injuries, move them through the resolution model, list them.",
        subcommands: [Record.self, Update.self, List.self]
    )

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an attachment injury (description sealed; from --file, stdin or $EDITOR).",
            discussion: "Example:\n  haven injury record --couple 3f2a91c0 --injured 7b1c22d4 --file injury.txt"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Option(help: "Couple id or prefix.") var couple: String
        @Option(help: "The injured partner (client id or prefix).") var injured: String
        @Option(help: "When it was identified (YYYY-MM-DD; default today).") var date: String?
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            let text = try input.read(template: NoteCommand.template, what: "description")
            try await KeptText.guarding(text, kind: "injury") {
                try await LegacyClinic.with(options) { clinic in
                    let style = DateStyle(timeZoneName: try await clinic.practice().timeZone)
                    let id = try await CoupleRecordService(pool: clinic.pool, keys: clinic.keys).recordInjury(
                        couple: try await clinic.resolve(couple, as: .couple),
                        injuredPartner: try await clinic.resolve(injured, as: .client),
                        description: text,
                        identifiedOn: try date.map { try parseDate($0, option: "--date") } ?? style.today(),
                        actor: clinic.actor
                    )
                    print(full(id))
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move an injury to a resolution-model step (1-8) and status.",
            discussion: "Example:\n  haven injury update 1c2d3e4f --step 8 --status resolved --resolved-on 2026-11-20"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Argument(help: "Injury id or prefix.") var id: String
        @Option(help: "Resolution-model step, 1-8.") var step: Int
        @Option(help: "identified, in_repair or resolved.") var status: String
        @Option(help: "Date resolved (YYYY-MM-DD), exactly when resolved.") var resolvedOn: String?

        func run() async throws {
            let status = try InjuryStatus.parse(status)
            try await LegacyClinic.with(options) { clinic in
                try await CoupleRecordService(pool: clinic.pool, keys: clinic.keys).updateInjury(
                    try await clinic.resolve(id, as: .injury),
                    step: step,
                    status: status,
                    resolvedOn: try resolvedOn.map { try parseDate($0, option: "--resolved-on") },
                    actor: clinic.actor
                )
                print("Updated.")
            }
        }
    }

    struct Line: Encodable {
        var id: String
        var injuredPartnerID: String
        var description: String
        var identifiedOn: String
        var status: String
        var resolutionStep: Int
        var resolvedOn: String?
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a couple's attachment injuries.",
            discussion: "Example:\n  haven injury list --couple 3f2a91c0"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Couple id or prefix.") var couple: String

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let injuries = try await CoupleRecordService(pool: clinic.pool, keys: clinic.keys)
                    .injuries(couple: try await clinic.resolve(couple, as: .couple), actor: clinic.actor)
                let lines = injuries.map {
                    Line(
                        id: full($0.id),
                        injuredPartnerID: full($0.injuredPartnerID),
                        description: $0.description,
                        identifiedOn: $0.identifiedOn.description,
                        status: $0.status.rawValue,
                        resolutionStep: $0.resolutionStep,
                        resolvedOn: $0.resolvedOn?.description
                    )
                }
                try output.emit(lines) {
                    guard !lines.isEmpty else { return "No attachment injuries recorded." }
                    return TextTable(
                        header: ["ID", "INJURED", "IDENTIFIED", "STEP", "STATUS", "DESCRIPTION"],
                        rows: injuries.map {
                            [
                                short($0.id), short($0.injuredPartnerID), $0.identifiedOn.description,
                                "\($0.resolutionStep)", $0.status.rawValue, String($0.description.prefix(60)),
                            ]
                        }
                    ).render()
                }
            }
        }
    }
}

/// `haven goal`: treatment goals.
struct GoalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "goal",
        abstract: "Add treatment goals, change their status, list them.",
        subcommands: [Add.self, SetStatus.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a treatment goal (sealed; from --file, stdin or $EDITOR).",
            discussion: "Example:\n  echo 'Reach for each other when stressed' | haven goal add --couple 3f2a91c0"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Option(help: "Couple id or prefix.") var couple: String
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            let text = try input.read(template: NoteCommand.template, what: "goal")
            try await KeptText.guarding(text, kind: "goal") {
                try await LegacyClinic.with(options) { clinic in
                    let id = try await CoupleRecordService(pool: clinic.pool, keys: clinic.keys)
                        .addGoal(
                            couple: try await clinic.resolve(couple, as: .couple),
                            description: text,
                            actor: clinic.actor
                        )
                    print(full(id))
                }
            }
        }
    }

    struct SetStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-status",
            abstract: "Change a goal's status: open, in_progress, met or discontinued.",
            discussion: "Example:\n  haven goal set-status 2b3c4d5e met"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @Argument(help: "Goal id or prefix.") var id: String
        @Argument(help: "open, in_progress, met or discontinued.") var status: String

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                try await CoupleRecordService(pool: clinic.pool, keys: clinic.keys)
                    .setGoalStatus(try await clinic.resolve(id, as: .goal), status: status, actor: clinic.actor)
                print("Updated.")
            }
        }
    }

    struct Line: Encodable {
        var id: String
        var description: String
        var status: String
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a couple's treatment goals.",
            discussion: "Example:\n  haven goal list --couple 3f2a91c0 --json"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Couple id or prefix.") var couple: String

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let goals = try await CoupleRecordService(pool: clinic.pool, keys: clinic.keys)
                    .goals(couple: try await clinic.resolve(couple, as: .couple), actor: clinic.actor)
                try output.emit(goals.map { Line(id: full($0.id), description: $0.description, status: $0.status) }) {
                    guard !goals.isEmpty else { return "No treatment goals recorded." }
                    return TextTable(
                        header: ["ID", "STATUS", "GOAL"],
                        rows: goals.map { [short($0.id), $0.status, $0.description] }
                    ).render()
                }
            }
        }
    }
}
