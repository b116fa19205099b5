import ArgumentParser
import Foundation

/// The `haven` command: the operator and counselor interface to Haven.
@main
struct Haven: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "haven",
        abstract: "Practice management for Emotionally Focused Couples Therapy.",
        discussion: """
            Commands are `haven <noun> <verb>`. Operator commands (db, keys) use the owner database URL from \
            HAVEN_OWNER_DATABASE_URL, or HAVEN_DATABASE_URL when that is unset. Run `scripts/start` for \
            a private database with everything set.

            Exit status: 0 success, 1 a problem with the input, 2 a problem with the system.

            Documentation: docs/ (architecture, CLI reference, encryption, security, operations).
            """,
        version: version,
        subcommands: [DatabaseCommand.self, KeysCommand.self]
    )

    /// Parses the command line, runs the command, and maps failures to one line on stderr and an exit
    /// status: 0 success, 1 user error, 2 system error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Foundation.exit(ErrorReport(error).emit())
        }
    }
}
