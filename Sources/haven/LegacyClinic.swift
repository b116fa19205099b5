// TEMPORARY (issue #12, item 1): the direct-to-database clinic of the commands not yet moved to
// the API. Deleted when the last one moves.
import ArgumentParser
import Foundation
import HavenService
import Logging
import Postgres
import Sealing

/// How clinical commands reach Haven: the application-role database URL, the master key, and the
/// session `haven login` stored.
struct LegacyClinicalOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp("libpq URL of the haven_app role (default: $HAVEN_DATABASE_URL).", valueName: "url")
    )
    var databaseURL: String?

    @OptionGroup var keys: MasterKeyOptions

    @Flag(
        name: .customLong("break-glass"),
        help: "Act under your break-glass grants (read-only; every audit entry is flagged). See 'haven break-glass'."
    )
    var breakGlass = false

    func configuration() throws -> PostgresConfiguration {
        try Self.configuration(url: databaseURL)
    }

    /// The haven_app connection settings: `url`, else `$HAVEN_DATABASE_URL`.
    static func configuration(url: String?) throws -> PostgresConfiguration {
        guard let url = url ?? ProcessInfo.processInfo.environment["HAVEN_DATABASE_URL"], !url.isEmpty else {
            throw UserError(
                message: "no database configured; set HAVEN_DATABASE_URL to the haven_app URL `scripts/start` prints"
            )
        }
        do {
            return try PostgresConfiguration(url)
        } catch let error as PostgresError where error.code == .invalidConfiguration {
            throw UserError(message: "HAVEN_DATABASE_URL is not valid: \(error.message ?? "unparseable")")
        }
    }
}

/// A clinical command's connection to Haven, acting as the signed-in staff member.
struct LegacyClinic {
    let pool: ConnectionPool
    let actor: StaffActor
    let options: LegacyClinicalOptions
    private let keyManager: KeyManager?

    /// Connects and authenticates the stored session.
    ///
    /// - Parameter needsKeys: whether the command seals or opens clinical text (loads the master key).
    static func open(_ options: LegacyClinicalOptions, needsKeys: Bool = true) async throws -> LegacyClinic {
        let logger = CommandLogging.logger()
        guard let session = try SessionFile.load() else {
            throw UserError(message: "not signed in; run 'haven login' first")
        }
        let ring = needsKeys ? try options.keys.load() : nil
        let pool = ConnectionPool(
            configuration: try options.configuration(),
            limits: .init(maxConnections: 2),
            logger: logger
        )
        do {
            var actor = try await AuthService(pool: pool, logger: logger).authenticate(
                session.sessionToken,
                source: KeyContext.source
            )
            actor.breakGlass = options.breakGlass
            var manager: KeyManager?
            if let ring {
                let keys = KeyManager(ring: ring, logger: logger)
                try await pool.withConnection { try await keys.checkMasterKeys(on: $0) }
                manager = keys
            }
            return LegacyClinic(pool: pool, actor: actor, options: options, keyManager: manager)
        } catch {
            await pool.close()
            if let error = error as? SealingError, error.kind == .masterKey {
                throw UserError(message: error.detail ?? error.description)
            }
            throw error
        }
    }

    /// The key manager (opened only when the command asked for keys).
    var keys: KeyManager {
        guard let keyManager else { preconditionFailure("this command was opened without keys") }
        return keyManager
    }

    /// Resolves a typed id or prefix.
    func resolve(_ text: String, as kind: ReferenceResolver.Kind) async throws -> UUID {
        try await ReferenceResolver(pool: pool).resolve(text, as: kind, actor: actor)
    }

    /// The practice's settings (time zone for display).
    func practice() async throws -> PracticeService.Practice {
        try await PracticeService(pool: pool).practice(actor: actor)
    }

    func close() async { await pool.close() }

    /// Runs `body` with a clinic, closing it afterwards whatever happens.
    static func with<Value>(
        _ options: LegacyClinicalOptions,
        needsKeys: Bool = true,
        _ body: (LegacyClinic) async throws -> Value
    ) async throws -> Value {
        let clinic = try await open(options, needsKeys: needsKeys)
        do {
            let value = try await body(clinic)
            await clinic.close()
            return value
        } catch {
            await clinic.close()
            throw error
        }
    }
}
