import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP

/// `haven injury`: attachment injuries and their resolution.
struct InjuryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "injury",
        abstract: "Record attachment injuries, move them through the resolution model, list them.",
        subcommands: [Record.self, Update.self, List.self]
    )

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "record",
            abstract: "Record an attachment injury (description sealed; from --file, stdin or $EDITOR).",
            discussion: "Example:\n  haven injury record --couple 3f2a91c0 --injured 7b1c22d4 --file injury.txt"
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Couple id or prefix.") var couple: String
        @Option(help: "The injured partner (client id or prefix).") var injured: String
        @Option(help: "When it was identified (YYYY-MM-DD; default today).") var date: String?
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            let identifiedOn = try date.map { try parseDate($0, option: "--date") }
            let text = try input.read(template: NoteCommand.template, what: "description")
            try await KeptText.guarding(text, kind: "injury") {
                try await Clinic.with(options) { clinic in
                    let coupleID = try await clinic.resolve(couple, as: .couple)
                    let body = HavenAPI.TextBody(
                        description: text,
                        injuredPartnerId: try await clinic.resolve(injured, as: .client),
                        identifiedOn: identifiedOn?.description
                    )
                    let created = try await Clinic.naming([
                        "injuredPartnerID": "--injured", "injuredPartnerId": "--injured", "identifiedOn": "--date",
                    ]) {
                        try await clinic.api.send(
                            "POST",
                            "/v1/couples/\(full(coupleID))/injuries",
                            body: body,
                            as: HavenAPI.Created.self
                        )
                    }
                    print(created.id)
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Move an injury to a resolution-model step (1-8) and status.",
            discussion: "Example:\n  haven injury update 1c2d3e4f --step 8 --status resolved --resolved-on 2026-11-20"
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Injury id or prefix.") var id: String
        @Option(help: "Resolution-model step, 1-8.") var step: Int
        @Option(help: "Status: \(allowedValues(InjuryStatus.self)).") var status: String
        @Option(help: "Date resolved (YYYY-MM-DD), exactly when resolved.") var resolvedOn: String?

        func run() async throws {
            let body = HavenAPI.InjuryUpdateBody(
                resolutionStep: step,
                status: (try parseValue(status, option: "--status", kind: "an injury status") as InjuryStatus).rawValue,
                resolvedOn: try resolvedOn.map { try parseDate($0, option: "--resolved-on") }?.description
            )
            try await Clinic.with(options) { clinic in
                let injuryID = try await clinic.resolve(id, as: .injury)
                try await Clinic.naming([
                    "resolutionStep": "--step", "resolvedOn": "--resolved-on", "status": "--status",
                ]) {
                    try await clinic.api.send("PUT", "/v1/injuries/\(full(injuryID))", body: body)
                }
                print("Updated.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List a couple's attachment injuries.",
            discussion: "Example:\n  haven injury list --couple 3f2a91c0"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Couple id or prefix.") var couple: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let coupleID = try await clinic.resolve(couple, as: .couple)
                let injuries = try await clinic.api.pages(
                    "/v1/couples/\(full(coupleID))/injuries",
                    as: HavenAPI.InjuryLine.self
                )
                try output.emit(injuries) {
                    guard !injuries.isEmpty else { return "No attachment injuries recorded." }
                    return TextTable(
                        header: ["ID", "INJURED", "IDENTIFIED", "STEP", "STATUS", "DESCRIPTION"],
                        rows: injuries.map {
                            [
                                short($0.id), $0.injuredPartnerName?.nonEmpty ?? short($0.injuredPartnerId),
                                $0.identifiedOn,
                                "\($0.resolutionStep)", $0.status, String($0.description.prefix(60)),
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
            commandName: "add",
            abstract: "Add a treatment goal (sealed; from --file, stdin or $EDITOR).",
            discussion: "Example:\n  echo 'Reach for each other when stressed' | haven goal add --couple 3f2a91c0"
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Couple id or prefix.") var couple: String
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            let text = try input.read(template: NoteCommand.template, what: "goal")
            try await KeptText.guarding(text, kind: "goal") {
                try await Clinic.with(options) { clinic in
                    let coupleID = try await clinic.resolve(couple, as: .couple)
                    let created = try await clinic.api.send(
                        "POST",
                        "/v1/couples/\(full(coupleID))/goals",
                        body: HavenAPI.TextBody(description: text),
                        as: HavenAPI.Created.self
                    )
                    print(created.id)
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

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Goal id or prefix.") var id: String
        @Argument(help: "open, in_progress, met or discontinued.") var status: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let goalID = try await clinic.resolve(id, as: .goal)
                try await clinic.api.send(
                    "PUT",
                    "/v1/goals/\(full(goalID))/status",
                    body: HavenAPI.GoalStatusBody(status: status)
                )
                print("Updated.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List a couple's treatment goals.",
            discussion: "Example:\n  haven goal list --couple 3f2a91c0 --json"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Couple id or prefix.") var couple: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let coupleID = try await clinic.resolve(couple, as: .couple)
                let goals = try await clinic.api.pages(
                    "/v1/couples/\(full(coupleID))/goals",
                    as: HavenAPI.GoalLine.self
                )
                try output.emit(goals) {
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
