import ArgumentParser

/// `haven db`: schema migrations and status (operators).
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Apply and inspect database migrations (operators).",
        subcommands: [Migrate.self, Status.self]
    )
}
