import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP

/// `haven client`: individual client charts.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Open, list and show client charts; pause, discharge or reactivate them.",
        subcommands: [Add.self, List.self, Show.self, Status.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Open a client chart in your caseload.",
            discussion: """
                Example:
                  haven client add --name "Alex Morgan" --preferred Alex --intake 2026-09-01
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Legal name.") var name: String
        @Option(help: "Preferred name.") var preferred: String?
        @Option(help: "Pronouns.") var pronouns: String?
        @Option(help: "Date of birth (YYYY-MM-DD).") var birth: String?
        @Option(help: "Intake date (YYYY-MM-DD; default today).") var intake: String?
        @Option(help: "Attachment style: secure, anxious, avoidant or disorganized.") var attachment: String?
        @Option(help: "Primary counselor (default you; a supervisee's id or prefix).") var counselor: String?

        func run() async throws {
            let birth = try self.birth.map { try parseDate($0, option: "--birth") }
            let intake = try self.intake.map { try parseDate($0, option: "--intake") }
            let attachment = try self.attachment.map(AttachmentStyle.parse)
            try await Clinic.with(options) { clinic in
                var intakeDate = intake
                if intakeDate == nil { intakeDate = try await clinic.dateStyle().today() }
                let body = HavenAPI.NewClientBody(
                    legalName: name,
                    preferredName: preferred,
                    pronouns: pronouns,
                    dateOfBirth: birth?.description,
                    intakeDate: intakeDate!.description,
                    attachmentStyle: attachment?.rawValue,
                    primaryCounselorId: try await clinic.resolveIfGiven(counselor, as: .staff)
                )
                let created = try await Clinic.naming([
                    "legalName": "--name", "preferredName": "--preferred", "pronouns": "--pronouns",
                    "dateOfBirth": "--birth", "intakeDate": "--intake", "attachmentStyle": "--attachment",
                    "primaryCounselorID": "--counselor", "primaryCounselorId": "--counselor",
                ]) {
                    try await clinic.api.send("POST", "/v1/clients", body: body, as: HavenAPI.Created.self)
                }
                print(created.id)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the clients in your reach.",
            discussion: "Example:\n  haven client list --json"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let clients = try await clinic.api.pages("/v1/clients", as: HavenAPI.ClientView.self)
                try output.emit(clients) {
                    guard !clients.isEmpty else { return "No clients in your caseload yet ('haven client add')." }
                    return TextTable(
                        header: ["ID", "NAME", "PREFERRED", "INTAKE", "STATUS"],
                        rows: clients.map {
                            [short($0.id), $0.legalName, $0.preferredName ?? "", $0.intakeDate, $0.status]
                        }
                    ).render()
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a client chart.",
            discussion: "Example:\n  haven client show 3f2a91c0"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Client id or prefix (8+ hex digits).") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let clientID = try await clinic.resolve(id, as: .client)
                let client = try await clinic.api.send(
                    "GET",
                    "/v1/clients/\(full(clientID))",
                    as: HavenAPI.ClientView.self
                )
                try output.emit(client) {
                    """
                    \(client.legalName)\(client.preferredName.map { " (\($0))" } ?? "")  \(client.id)
                    pronouns: \(client.pronouns ?? "-")   born: \(client.dateOfBirth ?? "-")   intake: \(client.intakeDate)
                    status: \(client.status)   attachment style: \(client.attachmentStyle ?? "-")
                    """
                }
            }
        }
    }
}
