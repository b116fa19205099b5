import ArgumentParser
import Foundation
import Postgres

/// How `haven serve` (and the demo seeder) reach the database as the application role: the
/// haven_app URL and the master key. Only the server host holds these; counselors' commands reach
/// Haven through `haven serve` instead (`Clinic`).
struct AppDatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp("libpq URL of the haven_app role (default: $HAVEN_DATABASE_URL).", valueName: "url")
    )
    var databaseURL: String?

    @Option(
        name: .customLong("database-pooler"),
        help: ArgumentHelp(
            "'transaction' behind PgBouncer in transaction mode, else 'none' (default: $HAVEN_DATABASE_POOLER).",
            valueName: "mode"
        )
    )
    var databasePooler: String?

    @OptionGroup var keys: MasterKeyOptions

    func configuration() throws -> PostgresConfiguration {
        try Self.configuration(url: databaseURL, pooler: databasePooler)
    }

    /// The haven_app connection settings: `url`, else `$HAVEN_DATABASE_URL`; `pooler`, else
    /// `$HAVEN_DATABASE_POOLER` (`DatabasePooler`).
    static func configuration(url: String?, pooler: String? = nil) throws -> PostgresConfiguration {
        let mode = try DatabasePooler.mode(flag: pooler)
        guard let url = url ?? ProcessInfo.processInfo.environment["HAVEN_DATABASE_URL"], !url.isEmpty else {
            throw UserError(
                message: "no database configured; set HAVEN_DATABASE_URL to the haven_app URL `scripts/start` prints"
            )
        }
        do {
            var configuration = try PostgresConfiguration(url)
            configuration.pooler = mode
            return configuration
        } catch let error as PostgresError where error.code == .invalidConfiguration {
            throw UserError(message: "HAVEN_DATABASE_URL is not valid: \(error.message ?? "unparseable")")
        }
    }
}
