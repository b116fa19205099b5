import ArgumentParser
import Foundation
import HavenStore

extension DatabaseCommand {
    /// `haven db status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show each migration and whether it is applied, pending or changed.",
            discussion: """
                Exits with status 1 when a migration is pending, changed, or unknown to this build.

                Example:
                  haven db status --json
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            let logger = CommandLogging.logger()
            let migrator = try Migrator(logger: logger)
            let connection = try await database.connect(logger: logger)
            let statuses = try await migrator.status(on: connection)
            await connection.close()
            if json {
                print(try Self.json(statuses))
            } else {
                print(Self.table(statuses))
            }
            if statuses.contains(where: { $0.state != .applied }) {
                throw ExitCode(1)
            }
        }

        static func table(_ statuses: [MigrationStatus]) -> String {
            let formatter = ISO8601DateFormatter()
            let rows = statuses.map { status in
                [
                    String(format: "%04d", status.version), status.name, status.state.rawValue,
                    status.appliedAt.map { formatter.string(from: $0) } ?? "-",
                ]
            }
            return TextTable(header: ["VERSION", "NAME", "STATE", "APPLIED AT"], rows: rows).render()
        }

        static func json(_ statuses: [MigrationStatus]) throws -> String {
            struct Entry: Encodable {
                var version: Int
                var name: String
                var state: String
                var appliedAt: Date?
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let entries = statuses.map {
                Entry(version: $0.version, name: $0.name, state: $0.state.rawValue, appliedAt: $0.appliedAt)
            }
            return String(decoding: try encoder.encode(entries), as: UTF8.self)
        }
    }
}
