import HavenStore
import Logging
import Postgres

/// `haven serve`'s chaining pass: every `interval`, chains the audit entries written pending because
/// their practice's chain lock was busy (`AuditStore.chainPending`). With it running, a committed entry
/// waits at most about one interval for its place in the chain (docs/security.md, "Chaining in commit
/// order"); without it, until the practice's next append that finds the lock free or the next
/// `haven audit verify`.
public final class AuditChainPass: Sendable {
    private let task: Task<Void, Never>
    private let pool: ConnectionPool
    private let logger: Logger

    /// Starts the pass on `pool` (the application role's).
    public init(pool: ConnectionPool, interval: Duration = .seconds(1), logger: Logger) {
        self.pool = pool
        self.logger = logger
        task = Task {
            while !Task.isCancelled {
                await Self.round(pool: pool, logger: logger)
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Stops the pass and runs one last round, so a clean shutdown leaves nothing pending that it could
    /// chain.
    public func stop() async {
        task.cancel()
        await task.value
        await Self.round(pool: pool, logger: logger)
    }

    private static func round(pool: ConnectionPool, logger: Logger) async {
        do {
            try await pool.withConnection { try await AuditStore.chainPending(on: $0) }
        } catch is CancellationError {
        } catch {
            // The entries stay pending, durable; the next round or append chains them.
            logger.warning("the audit chaining pass failed; it tries again", metadata: ["error": "\(error)"])
        }
    }
}
