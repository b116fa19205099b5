import Logging
import Synchronization

/// A bounded pool of `PostgresConnection`s.
///
/// At most `maxConnections` are open at once; a checkout beyond that waits, up to `checkoutTimeout`,
/// for one to come back. A connection is reset before it is reused (an open transaction rolled back,
/// session state discarded), and a broken one is closed and replaced.
public final class ConnectionPool: Sendable {
    /// Limits of a pool.
    public struct Limits: Sendable {
        /// The most connections open at once.
        public var maxConnections: Int
        /// How long a checkout waits for a free connection before failing with `poolTimeout`.
        public var checkoutTimeout: Duration

        /// Creates limits; the defaults suit a CLI or a small server.
        public init(maxConnections: Int = 8, checkoutTimeout: Duration = .seconds(10)) {
            precondition(maxConnections > 0, "a pool needs at least one connection")
            self.maxConnections = maxConnections
            self.checkoutTimeout = checkoutTimeout
        }
    }

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<PostgresConnection, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var nextConnectionID = 0
        var closed = false
        /// The connections a task under `withAffinity` runs beside (one task each).
        var homes: Set<ObjectIdentifier> = []

        /// The idle connection `home` when there is one; else the most recently parked one that no
        /// task under `withAffinity` runs beside (its thread is least likely to be busy with such a
        /// task's own code); else the most recently parked.
        mutating func takeIdle(preferring home: ObjectIdentifier?) -> PostgresConnection? {
            if let home, let index = idle.lastIndex(where: { ObjectIdentifier($0) == home }) {
                return idle.remove(at: index)
            }
            if !homes.isEmpty, let index = idle.lastIndex(where: { !homes.contains(ObjectIdentifier($0)) }) {
                return idle.remove(at: index)
            }
            return idle.popLast()
        }
    }

    private enum Checkout {
        case use(PostgresConnection)
        case create(id: Int)
        case wait
    }

    private enum Checkin {
        case parked
        case handOver(Waiter)
        case discard
        case discardAndReplace(Waiter, id: Int)
    }

    /// Where the connections go.
    public let configuration: PostgresConfiguration
    /// The pool's limits.
    public let limits: Limits
    private let logger: Logger
    private let state = Mutex(State())

    /// Creates a pool; connections open lazily, on first use.
    public init(configuration: PostgresConfiguration, limits: Limits = Limits(), logger: Logger) {
        self.configuration = configuration
        self.limits = limits
        self.logger = logger
    }

    /// The number of connections currently open (idle or in use).
    public var openConnections: Int { state.withLock { $0.open } }

    /// Runs `body` with a connection of its own, then returns the connection to the pool.
    ///
    /// The body and the checkin run on the connection's own thread (its task executor): its
    /// statements, and the nonisolated code between them, need no thread hand-off each; the task
    /// crosses threads once on the way in and once on the way out (not at all when it runs beside
    /// this connection: `withAffinity`). Swift's cooperative pool still never blocks: libpq blocks
    /// the connection's thread. Child tasks the body starts share that thread; unstructured tasks do
    /// not.
    @discardableResult
    public func withConnection<Value: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let decision = try decideCheckout()
        if case .use(let connection) = decision { return try await run(body, on: connection) }
        guard Self.affinity != nil else { return try await run(body, on: try await complete(decision)) }
        // A task beside a connection resumes on that connection's thread, which another task's
        // statement may occupy for a while; a connection opened or handed over to it would sit
        // unused until then (and a task waiting for that one would wait too). It waits off the thread.
        return try await withTaskExecutorPreference(globalConcurrentExecutor) {
            try await run(body, on: try await complete(decision))
        }
    }

    /// Runs `body` on `connection`'s thread, then checks the connection in.
    private func run<Value: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Value,
        on connection: PostgresConnection
    ) async throws -> Value {
        try await withTaskExecutorPreference(connection.taskExecutor) {
            do {
                let value = try await body(connection)
                await checkin(connection)
                return value
            } catch {
                await checkin(connection)
                throw error
            }
        }
    }

    /// Runs `body` in a transaction on a pooled connection; see `PostgresConnection.transaction`.
    @discardableResult
    public func transaction<Value: Sendable>(
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        maxAttempts: Int = 3,
        _ body: @Sendable @escaping (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await withConnection { connection in
            try await connection.transaction(isolation: isolation, readOnly: readOnly, maxAttempts: maxAttempts, body)
        }
    }

    /// Runs `body` beside one of the pool's idle connections: on that connection's thread, with
    /// the body's checkouts taking that connection first.
    ///
    /// A checkout crosses from the caller's thread to the connection's and back; a task that already
    /// runs on the connection's thread, with that connection idle, checks it out and in with no
    /// hand-off at all (the pair of context switches that dominates a short statement's cost). Use it
    /// around a unit of work that checks out one connection at a time.
    ///
    /// One task at a time (with the child tasks it starts, which share its place) runs beside a
    /// connection, and other checkouts take a connection nobody runs beside while there is one.
    /// Nothing is reserved: when another task holds the body's connection, a checkout takes another
    /// as usual (waiting, if it must, off the connection's thread), and the body's own code between
    /// checkouts waits its turn on a thread the other task's statements may occupy. With no idle
    /// connection free of such a task, the body runs as it would without this call. Swift's
    /// cooperative pool still never blocks; blocking work other than libpq's (such as hashing) must
    /// run elsewhere, as it must anyway.
    ///
    /// Measured (docs/benchmarks.md): a worker issuing statements one after another comes close to
    /// pgbench's pace; around each of `haven serve`'s requests it bought nothing at 16 and 64
    /// connections, so the server does not use it.
    public func withAffinity<Value>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Value
    ) async rethrows -> Value {
        let home = state.withLock { state -> PostgresConnection? in
            guard let home = state.idle.last(where: { !state.homes.contains(ObjectIdentifier($0)) }) else { return nil }
            state.homes.insert(ObjectIdentifier(home))
            return home
        }
        guard let home else { return try await body() }
        let key = ObjectIdentifier(home)
        defer {
            state.withLock { state in
                _ = state.homes.remove(key)
            }
            // `home` keeps the connection, and so its thread, alive while the body may run there,
            // even if the pool discards the connection meanwhile.
            withExtendedLifetime(home) {}
        }
        return try await Self.$affinity.withValue(key) {
            try await withTaskExecutorPreference(home.taskExecutor) { try await body() }
        }
    }

    /// The connection beside which a task under `withAffinity` runs.
    @TaskLocal private static var affinity: ObjectIdentifier?

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { try await $0.query(query) }
    }

    /// Closes idle connections, fails waiting checkouts, and closes connections in use when they
    /// come back. Later checkouts fail with `poolClosed`.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            state.open -= state.idle.count
            defer {
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed))
        }
        for connection in idle { await connection.close() }
    }

    // MARK: - Checkout and checkin

    /// An idle connection, or what to do for one: open a new one or wait.
    private func decideCheckout() throws -> Checkout {
        try state.withLock { state throws(PostgresError) -> Checkout in
            if state.closed { throw PostgresError(.poolClosed) }
            if let connection = state.takeIdle(preferring: Self.affinity) { return .use(connection) }
            if state.open < limits.maxConnections {
                state.open += 1
                state.nextConnectionID += 1
                return .create(id: state.nextConnectionID)
            }
            return .wait
        }
    }

    /// The connection `decision` leads to.
    private func complete(_ decision: Checkout) async throws -> PostgresConnection {
        switch decision {
        case .use(let connection):
            return connection
        case .create(let id):
            return try await openConnection(id: id)
        case .wait:
            return try await waitForConnection()
        }
    }

    private func openConnection(id: Int) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration, id: id, logger: logger)
        } catch {
            state.withLock { $0.open -= 1 }
            throw error
        }
    }

    private func waitForConnection() async throws -> PostgresConnection {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: PostgresConnection? = state.withLock { state in
                    if let connection = state.takeIdle(preferring: Self.affinity) { return connection }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                    return
                }
                let timeout = limits.checkoutTimeout
                Task {
                    try? await Task.sleep(for: timeout)
                    self.failWaiter(
                        id,
                        with: PostgresError(.poolTimeout, message: "no connection free after \(timeout)")
                    )
                }
            }
        } onCancel: {
            failWaiter(id, with: CancellationError())
        }
    }

    private func failWaiter(_ id: Int, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    private func checkin(_ connection: PostgresConnection) async {
        let reusable = connection.isCleanForReuse ? true : await connection.prepareForReuse()
        let action = state.withLock { state -> Checkin in
            if state.closed || !reusable {
                state.open -= 1
                if !state.closed, !state.waiters.isEmpty, state.open < limits.maxConnections {
                    state.open += 1
                    state.nextConnectionID += 1
                    return .discardAndReplace(state.waiters.removeFirst(), id: state.nextConnectionID)
                }
                return .discard
            }
            if !state.waiters.isEmpty { return .handOver(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .parked
        }
        switch action {
        case .parked:
            break
        case .handOver(let waiter):
            waiter.continuation.resume(returning: connection)
        case .discard:
            logger.debug("closing a broken or surplus connection", metadata: ["db.connection": "\(connection.id)"])
            await connection.close()
        case .discardAndReplace(let waiter, let id):
            logger.debug("replacing a broken connection", metadata: ["db.connection": "\(connection.id)"])
            await connection.close()
            do {
                waiter.continuation.resume(returning: try await openConnection(id: id))
            } catch {
                waiter.continuation.resume(throwing: error)
            }
        }
    }
}
