import ArgumentParser
import Foundation
import HavenHTTP
import HavenMail
import HavenReports
import HavenService
import HavenStore
import Hummingbird
import Logging
import Postgres
import Sealing

/// `haven serve`: the HTTP JSON API for counselors' front ends.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP JSON API (docs/openapi.yaml) until SIGTERM or SIGINT.",
        discussion: """
            Uses HAVEN_DATABASE_URL (haven_app) and the master key. TLS is a reverse proxy's job (see \
            docs/operations.md): on an address other than loopback it refuses to start without \
            --allow-plain-http. On SIGTERM in-flight requests finish, then the pool closes.

            Example:
              haven serve --port 8080
              curl -s http://127.0.0.1:8080/ready
            """
    )

    @OptionGroup var options: AppDatabaseOptions
    @OptionGroup(title: "Mail") var mailOptions: MailOptions
    @OptionGroup(title: "Reminders") var reminders: ReminderSenderOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (1-65535).") var port = 8080
    @Flag(help: "Allow a non-loopback address without TLS in front (not for production).") var allowPlainHttp = false
    @Option(help: "Minutes of inactivity after which a token stops working.") var idleMinutes = 15
    @Option(help: "Hours after which a token stops working regardless.") var lifetimeHours = 12
    @Option(help: "Connections to the database (1-500).") var connections = 8

    func run() async throws {
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
        guard loopback || allowPlainHttp else {
            throw UserError(
                message:
                    "refusing to serve plain HTTP on \(host); put TLS in front (docs/operations.md) and pass --allow-plain-http"
            )
        }
        try Self.validate(port: port, connections: connections)
        guard (1...1440).contains(idleMinutes), (1...168).contains(lifetimeHours) else {
            throw UserError(message: "--idle-minutes must be 1 to 1440 and --lifetime-hours 1 to 168")
        }
        let mail = try mailOptions.configuration()
        let logger = CommandLogging.logger(minimum: .info)
        if let mail {
            logger.info("mail goes through the \(mail.transport.summary)", metadata: ["mail.from": "\(mail.from)"])
        } else {
            logger.notice(
                "no mail is configured (HAVEN_MAIL): invitations are shown to pass on, and reminders are not emailed"
            )
        }
        let configuration = try options.configuration()
        let reminderSettings = try reminders.resolve(pooler: configuration.pooler)
        let ring = try options.keys.load()
        if configuration.pooler == .transaction {
            logger.info("behind a transaction-mode pooler: statements are sent unnamed, session state is refused")
        }
        let pool = ConnectionPool(
            configuration: configuration,
            limits: .init(maxConnections: connections),
            logger: logger
        )
        let keys = KeyManager(ring: ring, logger: logger)
        do {
            try await pool.withConnection { try await keys.checkMasterKeys(on: $0) }
            if try await !pool.withConnection({ try await keys.attestationRecorded(on: $0) }) {
                // Staff with a one-time-code app cannot sign in until it is: say so where operators look.
                logger.warning(
                    "the master key's second-factor attestation key is not recorded; staff with a one-time-code app cannot sign in until an operator runs 'haven keys status'"
                )
            }
        } catch let error as SealingError where error.kind == .masterKey {
            await pool.close()
            throw UserError(message: error.detail ?? error.description)
        }
        let auth = AuthService(
            pool: pool,
            keys: keys,
            policy: .init(idleTimeout: .seconds(idleMinutes * 60), absoluteLifetime: .seconds(lifetimeHours * 3600)),
            logger: logger
        )
        let printer = PDFPrinter()
        if let printer {
            logger.info("reports print to PDF", metadata: ["chromium": "\(printer.executable)"])
        } else {
            logger.notice("reports cannot print to PDF: no Chromium on PATH and no HAVEN_CHROMIUM")
        }
        let api = HavenAPI(pool: pool, keys: keys, auth: auth, logger: logger, pdfPrinter: printer, mail: mail) {
            await Self.readiness(pool: pool, keys: keys)
        }
        let app = Application(
            router: api.router(),
            server: HavenAPI.server(),
            configuration: .init(address: .hostname(host, port: port), serverName: "haven"),
            onServerRunning: { _ in logger.info("serving", metadata: ["address": "\(host):\(port)"]) },
            logger: logger
        )
        let sender = Self.startReminderSender(
            mail: mail,
            settings: reminderSettings,
            interval: reminders.interval,
            batch: reminders.batch,
            logger: logger
        )
        let chaining = AuditChainPass(pool: pool, logger: logger)
        do {
            try await app.runService()
        } catch {
            await sender?.stop()
            await chaining.stop()
            await pool.close()
            throw error
        }
        // The server has drained its requests: the sender finishes the message in hand, then stops; the
        // chaining pass chains what is still pending, then stops.
        await sender?.stop()
        await chaining.stop()
        await pool.close()
    }

    /// The reminder sender's task (`NotificationSender.runRounds` as `haven_notify`), when mail and the
    /// role's URL are both configured; otherwise says where reminders go instead.
    static func startReminderSender(
        mail: MailConfiguration?,
        settings: (configuration: PostgresConfiguration, link: URL)?,
        interval: Int = 60,
        batch: Int = 100,
        logger: Logger
    ) -> ReminderSenderTask? {
        guard let mail else { return nil }
        guard let settings else {
            logger.notice(
                "reminders are not sent by this server (no HAVEN_NOTIFY_DATABASE_URL): run 'haven notify run' from cron"
            )
            return nil
        }
        return ReminderSenderTask(
            sender: NotificationSender(
                pool: ConnectionPool(
                    configuration: settings.configuration,
                    limits: .init(maxConnections: 2),
                    logger: logger
                ),
                mail: mail,
                portalLink: settings.link,
                logger: logger
            ),
            interval: .seconds(interval),
            batch: batch,
            logger: logger
        )
    }

    /// Refuses a port outside TCP's range (the kernel would take it modulo 65536) and a pool that
    /// could never hand out a connection.
    static func validate(port: Int, connections: Int) throws {
        guard (1...65535).contains(port) else {
            throw UserError(message: "--port must be 1 to 65535 (e.g. --port 8080)")
        }
        guard (1...maximumConnections).contains(connections) else {
            throw UserError(
                message:
                    "--connections must be 1 to \(maximumConnections) (database connections; the server's max_connections bounds it)"
            )
        }
    }

    /// The largest database pool `--connections` asks for.
    static let maximumConnections = 500

    /// What keeps the service from being ready: the database, pending migrations, the master key.
    static func readiness(pool: ConnectionPool, keys: KeyManager) async -> [String] {
        do {
            let pending = try await pool.withConnection { connection in
                try await Migrator(logger: Logger(label: "haven.ready")).status(on: connection)
                    .filter { $0.state != .applied }.count
            }
            var problems: [String] = []
            if pending > 0 { problems.append("\(pending) migrations are not applied (haven db migrate)") }
            do {
                try await pool.withConnection { try await keys.checkMasterKeys(on: $0) }
            } catch {
                problems.append("the master key does not match the database")
            }
            return problems
        } catch {
            return ["the database does not answer"]
        }
    }
}
