import ArgumentParser
import Foundation
import HavenService

extension KeysCommand {
    /// `haven keys status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show master key versions and every data key with the values it protects.",
            discussion: """
                Ends with what a data-key rotation has left: subjects whose retired keys still protect \
                values, or whose rotation was interrupted or failed (pending).

                Example:
                  haven keys status --json
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var keys: MasterKeyOptions

        @Flag(help: "Print JSON instead of tables.")
        var json = false

        func run() async throws {
            let context = try await KeyContext.open(database: database, keys: keys)
            let status = try await context.manager.status(pool: context.pool)
            await context.pool.close()
            let formatter = ISO8601DateFormatter()
            if json {
                struct Output: Encodable {
                    struct Version: Encodable {
                        var version: Int
                        var state: String
                        var loaded: Bool
                    }
                    struct Key: Encodable {
                        var id: String
                        var subject: String
                        var state: String
                        var masterKeyVersion: Int?
                        var values: Int
                        var createdAt: String
                        var rotationPending: Bool
                    }
                    struct Unfinished: Encodable {
                        var subject: String
                        var values: Int
                        var pending: Bool
                    }
                    var masterKeyVersions: [Version]
                    var minimumMasterKeyVersion: Int
                    var minimumFormatVersion: Int
                    var dataKeys: [Key]
                    var unfinishedRotations: [Unfinished]
                }
                let output = Output(
                    masterKeyVersions: status.masterKeyVersions.map {
                        .init(version: $0.version, state: $0.state, loaded: $0.loaded)
                    },
                    minimumMasterKeyVersion: status.minimumMasterKeyVersion,
                    minimumFormatVersion: status.minimumFormatVersion,
                    dataKeys: status.dataKeys.map {
                        .init(
                            id: $0.id.uuidString.lowercased(),
                            subject: $0.subject,
                            state: $0.state,
                            masterKeyVersion: $0.masterKeyVersion,
                            values: $0.values,
                            createdAt: formatter.string(from: $0.createdAt),
                            rotationPending: $0.rotationPending
                        )
                    },
                    unfinishedRotations: status.unfinishedRotations.map {
                        .init(subject: $0.subject, values: $0.values, pending: $0.pending)
                    }
                )
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
                return
            }
            print("Master keys (minimum version \(status.minimumMasterKeyVersion)):")
            print(
                TextTable(
                    header: ["VERSION", "STATE", "LOADED"],
                    rows: status.masterKeyVersions.map { [String($0.version), $0.state, $0.loaded ? "yes" : "no"] }
                ).render()
            )
            print("\nData keys:")
            if status.dataKeys.isEmpty {
                print("(none yet: a subject gets its key when its first value is sealed)")
            } else {
                print(
                    TextTable(
                        header: ["KEY", "SUBJECT", "STATE", "MASTER", "VALUES", "CREATED"],
                        rows: status.dataKeys.map {
                            [
                                String($0.id.uuidString.lowercased().prefix(8)), $0.subject,
                                $0.state + ($0.rotationPending ? " (rotation pending)" : ""),
                                $0.masterKeyVersion.map(String.init) ?? "-", String($0.values),
                                formatter.string(from: $0.createdAt),
                            ]
                        }
                    ).render()
                )
            }
            let unfinished = status.unfinishedRotations
            if !unfinished.isEmpty {
                print("\nLeft to rotate (run 'haven keys rotate-data' again):")
                print(
                    TextTable(
                        header: ["SUBJECT", "VALUES UNDER RETIRED KEYS", "ROTATION"],
                        rows: unfinished.map { [$0.subject, String($0.values), $0.pending ? "pending" : "left over"] }
                    ).render()
                )
            }
        }
    }
}
