import ArgumentParser
import Foundation
import HavenCore
import HavenService
import Postgres

/// `haven client`: individual client charts.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Open, list and show client charts.",
        subcommands: [Add.self, List.self, Show.self]
    )

    /// A client as `--json` prints it.
    struct View: Encodable {
        var id: String
        var legalName: String
        var preferredName: String?
        var pronouns: String?
        var dateOfBirth: String?
        var intakeDate: String
        var status: String
        var attachmentStyle: String?
        var primaryCounselorID: String

        init(_ client: ChartService.Client) {
            id = full(client.id)
            legalName = client.legalName
            preferredName = client.preferredName
            pronouns = client.pronouns
            dateOfBirth = client.dateOfBirth?.description
            intakeDate = client.intakeDate.description
            status = client.status
            attachmentStyle = client.attachmentStyle
            primaryCounselorID = full(client.primaryCounselorID)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
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
            try await Clinic.with(options) { clinic in
                let style = DateStyle(timeZoneName: try await clinic.practice().timeZone)
                let id = try await ChartService(pool: clinic.pool, keys: clinic.keys).createClient(
                    .init(
                        legalName: name,
                        preferredName: preferred,
                        pronouns: pronouns,
                        dateOfBirth: try birth.map { try parseDate($0, option: "--birth") },
                        intakeDate: try intake.map { try parseDate($0, option: "--intake") } ?? style.today(),
                        attachmentStyle: try attachment.map(AttachmentStyle.parse),
                        primaryCounselorID: try await counselor.asyncMap { try await clinic.resolve($0, as: .staff) }
                    ),
                    actor: clinic.actor
                )
                print(full(id))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the clients in your reach.",
            discussion: "Example:\n  haven client list --json"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let clients = try await ChartService(pool: clinic.pool, keys: clinic.keys)
                    .listClients(actor: clinic.actor)
                try output.emit(clients.map(View.init)) {
                    guard !clients.isEmpty else { return "No clients in your caseload yet ('haven client add')." }
                    return TextTable(
                        header: ["ID", "NAME", "PREFERRED", "INTAKE", "STATUS"],
                        rows: clients.map {
                            [short($0.id), $0.legalName, $0.preferredName ?? "", $0.intakeDate.description, $0.status]
                        }
                    ).render()
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a client chart.",
            discussion: "Example:\n  haven client show 3f2a91c0"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Client id or prefix (8+ hex digits).") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let client = try await ChartService(pool: clinic.pool, keys: clinic.keys)
                    .client(try await clinic.resolve(id, as: .client), actor: clinic.actor)
                let view = View(client)
                try output.emit(view) {
                    """
                    \(client.legalName)\(client.preferredName.map { " (\($0))" } ?? "")  \(view.id)
                    pronouns: \(client.pronouns ?? "-")   born: \(view.dateOfBirth ?? "-")   intake: \(view.intakeDate)
                    status: \(client.status)   attachment style: \(client.attachmentStyle ?? "-")
                    """
                }
            }
        }
    }
}
