import ArgumentParser
import Foundation
import Logging
import Postgres

/// How operator commands find the database: `--database-url`, else `HAVEN_OWNER_DATABASE_URL`, else
/// `HAVEN_DATABASE_URL`, unless `HAVEN_DATABASE_POOLER` says that one goes through a transaction-mode
/// pooler: operators connect directly.
struct OwnerDatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "libpq URI or conninfo of the owner role (default: $HAVEN_OWNER_DATABASE_URL, then $HAVEN_DATABASE_URL).",
            valueName: "url"
        )
    )
    var databaseURL: String?

    /// The connection string to use.
    func connectionString() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let url = databaseURL ?? environment["HAVEN_OWNER_DATABASE_URL"] ?? environment["HAVEN_DATABASE_URL"],
            !url.isEmpty
        {
            return url
        }
        throw UserError(
            message:
                "no database configured; set HAVEN_OWNER_DATABASE_URL (or HAVEN_DATABASE_URL), e.g. the URL `scripts/start` prints"
        )
    }

    /// The parsed connection settings.
    func configuration() throws -> PostgresConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let fellBack = databaseURL == nil && environment["HAVEN_OWNER_DATABASE_URL"] == nil
        if fellBack, try DatabasePooler.mode(flag: nil) == .transaction {
            // `haven db migrate` holds a session-level advisory lock, which no transaction-mode pooler keeps.
            throw UserError(
                message:
                    "operator commands connect to PostgreSQL directly, and HAVEN_DATABASE_POOLER=transaction says HAVEN_DATABASE_URL goes through a pooler; set HAVEN_OWNER_DATABASE_URL (or --database-url) to the server's own address"
            )
        }
        do {
            return try PostgresConfiguration(try connectionString())
        } catch let error as PostgresError where error.code == .invalidConfiguration {
            throw UserError(message: "the database URL is not valid: \(error.message ?? "unparseable")")
        }
    }

    /// Opens one connection as the owner role.
    func connect(logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(try configuration(), logger: logger)
    }
}
