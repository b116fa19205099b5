import ArgumentParser
import Foundation
import HavenService

/// `haven practice`: practices (operators, owner database URL).
struct PracticeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "practice",
        abstract: "Create and list practices (operators).",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a practice.",
            discussion: "Example:\n  haven practice create --name \"Harbor Counseling\" --time-zone America/Chicago"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @Option(help: "The practice's name.") var name: String
        @Option(help: "IANA time zone dates are shown in.") var timeZone = "UTC"

        func run() async throws {
            guard TimeZone(identifier: timeZone) != nil else {
                throw UserError(message: "--time-zone: '\(timeZone)' is not an IANA time zone (e.g. America/Chicago)")
            }
            try await Operator.with(database) { op in
                print(full(try await StaffService(pool: op.pool).createPractice(name: name, timeZone: timeZone)))
            }
        }
    }

    struct Line: Encodable {
        var id: String
        var name: String
        var timeZone: String
        var staff: Int
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List practices.",
            discussion: "Example:\n  haven practice list --json"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Operator.with(database) { op in
                let practices = try await StaffService(pool: op.pool).practices()
                try output.emit(
                    practices.map { Line(id: full($0.id), name: $0.name, timeZone: $0.timeZone, staff: $0.staff) }
                ) {
                    TextTable(
                        header: ["ID", "NAME", "TIME ZONE", "STAFF"],
                        rows: practices.map { [short($0.id), $0.name, $0.timeZone, "\($0.staff)"] }
                    ).render()
                }
            }
        }
    }
}
