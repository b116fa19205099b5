import ArgumentParser
import Foundation
import Postgres

/// The reminder sender inside `haven serve` (docs/operations.md "Mail"): it runs when mail is configured
/// and the `haven_notify` role's URL is given, in rounds of at most `--notify-batch` messages every
/// `--notify-interval` seconds.
struct ReminderSenderOptions: ParsableArguments {
    @Option(
        name: .customLong("notify-database-url"),
        help: ArgumentHelp(
            "libpq URL of the haven_notify role, for sending reminders (default: $HAVEN_NOTIFY_DATABASE_URL; unset: serve sends none).",
            valueName: "url"
        )
    )
    var databaseURL: String?

    @OptionGroup var portal: PortalLinkOption

    @Option(name: .customLong("notify-interval"), help: "Seconds between the sender's rounds (1-3600).")
    var interval = 60

    @Option(name: .customLong("notify-batch"), help: "Messages a round handles at most (1-10000).")
    var batch = 100

    /// The sender's connection settings and link, or nil when no haven_notify URL is set.
    ///
    /// - Throws: `UserError` for an interval or batch out of range, a bad URL or a missing portal URL.
    func resolve(pooler: PoolerMode) throws -> (configuration: PostgresConfiguration, link: URL)? {
        guard (1...3600).contains(interval), (1...10_000).contains(batch) else {
            throw UserError(message: "--notify-interval must be 1 to 3600 seconds and --notify-batch 1 to 10000")
        }
        let environment = ProcessInfo.processInfo.environment
        guard let url = databaseURL ?? environment["HAVEN_NOTIFY_DATABASE_URL"], !url.isEmpty else { return nil }
        var configuration: PostgresConfiguration
        do {
            configuration = try PostgresConfiguration(url)
        } catch {
            throw UserError(message: "HAVEN_NOTIFY_DATABASE_URL (--notify-database-url) is not a libpq URL")
        }
        configuration.pooler = pooler
        return (configuration, try portal.link())
    }
}
