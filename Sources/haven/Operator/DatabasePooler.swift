import Foundation
import Postgres

/// What stands between `HAVEN_DATABASE_URL` and PostgreSQL: `--database-pooler`, else
/// `HAVEN_DATABASE_POOLER`, else none. `transaction` (PgBouncer with `pool_mode = transaction`) makes
/// the connections send every statement unnamed and refuse statements that leave session state behind
/// (`PoolerMode`). Operator commands connect directly (`haven db migrate` holds a session-level advisory
/// lock): they refuse to fall back to a `HAVEN_DATABASE_URL` that this setting says is pooled.
enum DatabasePooler {
    /// The environment variable that holds the setting.
    static let environmentKey = "HAVEN_DATABASE_POOLER"

    /// The mode named by `flag`, else by the environment, else `.none`.
    ///
    /// - Throws: `UserError` naming the flag or variable and the value when it is neither `none` nor
    ///   `transaction`.
    static func mode(flag: String?) throws -> PoolerMode {
        let (value, source) =
            flag.map { ($0, "--database-pooler") }
            ?? (ProcessInfo.processInfo.environment[environmentKey] ?? "", environmentKey)
        if value.isEmpty { return .none }
        guard let mode = PoolerMode(rawValue: value.lowercased()) else {
            throw UserError(
                message:
                    "\(source) must be 'none' or 'transaction' (PgBouncer with pool_mode = transaction), not '\(value)'"
            )
        }
        return mode
    }
}
