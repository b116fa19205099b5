import ArgumentParser
import Foundation
import HavenMail
import HavenService

/// `haven notify`: the notification outbox, for an operator (owner role) or cron.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Send the outbox's due messages, or report on it (docs/operations.md \"Mail\").",
        subcommands: [Run.self, Status.self]
    )
}

extension NotifyCommand {
    /// `haven notify run`: sends what is due once, then exits (for cron).
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Send the due messages (at most once each), then exit.",
            discussion: """
                Uses the owner database and the mail settings (HAVEN_MAIL, HAVEN_MAIL_FROM, ...). A message \
                whose sender stopped after claiming it is reported as uncertain, never sent again.

                Example:
                  haven notify run --portal-url https://haven.example.org/portal
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup(title: "Mail") var mailOptions: MailOptions
        @OptionGroup var portal: PortalLinkOption
        @Option(help: "Messages to handle at most in this run (1-100000).") var limit = 1_000

        func run() async throws {
            guard (1...100_000).contains(limit) else { throw UserError(message: "--limit must be 1 to 100000") }
            guard let mail = try mailOptions.configuration() else {
                throw UserError(
                    message: "no mail is configured: set HAVEN_MAIL and HAVEN_MAIL_FROM (docs/operations.md \"Mail\")"
                )
            }
            let link = try portal.link()
            let summary = try await Operator.with(database) { op in
                try await NotificationSender(
                    pool: op.pool,
                    mail: mail,
                    portalLink: link,
                    logger: CommandLogging.logger()
                ).run(limit: limit)
            }
            print(
                "sent \(summary.sent), retrying later \(summary.retrying), failed \(summary.failed), uncertain \(summary.uncertain), skipped \(summary.skipped)"
            )
        }
    }

    /// `haven notify status`: rows per state and the uncertain messages.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the outbox's rows per state and the uncertain ones."
        )

        @OptionGroup var database: OwnerDatabaseOptions

        func run() async throws {
            let status = try await Operator.with(database) { op in try await NotificationSender.status(pool: op.pool) }
            for state in ["pending", "sending", "sent", "failed", "uncertain", "skipped"] {
                print("\(state): \(status.counts[state] ?? 0)")
            }
            for row in status.uncertain {
                print("uncertain \(row.id) \(row.kind) account \(row.account) at \(row.markedAt.ISO8601Format())")
            }
        }
    }
}
