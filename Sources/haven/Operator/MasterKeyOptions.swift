import ArgumentParser
import Foundation
import HavenService
import Logging
import Postgres
import Sealing

/// Where the master key comes from: `--key-file`, else `HAVEN_MASTER_KEY_FILE`, else `HAVEN_MASTER_KEY`.
struct MasterKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp("Master key file (default: $HAVEN_MASTER_KEY_FILE).", valueName: "path")
    )
    var keyFile: String?

    /// The key file path, if one is configured.
    var path: String? {
        keyFile ?? ProcessInfo.processInfo.environment["HAVEN_MASTER_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Loads the keyring.
    func load() throws -> MasterKeyring {
        do {
            if let path { return try MasterKeyring.load(file: path) }
            return try MasterKeyring.load()
        } catch let error as SealingError where error.kind == .masterKey {
            throw UserError(message: error.detail ?? error.description)
        }
    }
}

/// What a key command needs: the owner database and the master keys, checked against each other.
struct KeyContext {
    let pool: ConnectionPool
    let manager: KeyManager

    static func open(
        database: OwnerDatabaseOptions,
        keys: MasterKeyOptions,
        ring: MasterKeyring? = nil
    ) async throws
        -> KeyContext
    {
        let logger = CommandLogging.logger()
        let ring = try ring ?? keys.load()
        let pool = ConnectionPool(
            configuration: try database.configuration(),
            limits: .init(maxConnections: 2),
            logger: logger
        )
        let manager = KeyManager(ring: ring, logger: logger)
        do {
            try await pool.withConnection { try await manager.checkMasterKeys(on: $0) }
        } catch let error as SealingError where error.kind == .masterKey {
            await pool.close()
            throw UserError(message: error.detail ?? error.description)
        }
        return KeyContext(pool: pool, manager: manager)
    }

    /// Opens a context, runs `body` with it and closes its pool, whether or not `body` throws.
    static func with<Value>(
        database: OwnerDatabaseOptions,
        keys: MasterKeyOptions,
        _ body: (KeyContext) async throws -> Value
    ) async throws -> Value {
        let context = try await open(database: database, keys: keys)
        do {
            let value = try await body(context)
            await context.pool.close()
            return value
        } catch {
            await context.pool.close()
            throw error
        }
    }

    /// Who ran the command, for the key event log: `cli:user@host`.
    static var source: String {
        let user =
            ProcessInfo.processInfo.environment["USER"] ?? getpwuid(geteuid()).map {
                String(cString: $0.pointee.pw_name)
            }
            ?? "unknown"
        return "cli:\(user)@\(ProcessInfo.processInfo.hostName)".prefix(200).description
    }
}
