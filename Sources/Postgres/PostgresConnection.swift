import CLibPQ
import Foundation
import Logging
import Synchronization

/// One connection to PostgreSQL, running on a thread of its own.
///
/// The actor's executor is a dedicated thread, so libpq's blocking calls never occupy Swift's
/// cooperative pool; the actor's isolation guarantees the `PGconn` is only touched there. Use it
/// through a `ConnectionPool`, or alone for tools (migrations, benchmarks).
public actor PostgresConnection {
    private let thread: ConnectionThread
    private var handle: ConnectionHandle?
    private var statements: StatementCache
    private var sessionMayBeDirty = false
    private var broken = false
    /// Whether a transaction block was open after the last statement that reached the server. Once a
    /// connection is lost libpq reports the status as unknown, so this is what tells a lost idle
    /// connection (safe to replace) from a lost transaction (its work is gone; the caller must know).
    private var transactionWasOpen = false
    /// Round trips so far (statements and pipelines sent), for the statement log.
    private var roundTrips = 0
    /// Statements queued by `sendWithCommit` for the open transaction's COMMIT round trip.
    var statementsBeforeCommit: [PostgresQuery] = []
    private let logger: Logger
    /// Published after every call: whether `prepareForReuse` has work to do. Lets the pool skip a hop
    /// to this connection's thread when the connection is already clean (the usual case).
    private nonisolated let needsReset = Atomic<Bool>(false)

    /// How this connection reaches the server.
    public nonisolated let configuration: PostgresConfiguration
    /// A number that identifies this connection in logs.
    public nonisolated let id: Int

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        thread.asUnownedSerialExecutor()
    }

    /// This connection's thread as a task executor: code run with it as the task's preference
    /// (`withTaskExecutorPreference`) runs on the connection's thread, and its statements need no hop.
    nonisolated var taskExecutor: any TaskExecutor { thread }

    private init(configuration: PostgresConfiguration, id: Int, logger: Logger) {
        self.configuration = configuration
        self.id = id
        self.thread = ConnectionThread(name: "postgres-\(id)")
        self.statements = StatementCache(capacity: configuration.preparedStatementCapacity)
        var logger = logger
        logger[metadataKey: "db.connection"] = "\(id)"
        self.logger = logger
    }

    deinit {
        thread.stop()
    }

    /// Opens a connection.
    ///
    /// - Throws: `PostgresError.connectionFailed` naming host, port, database and libpq's reason
    ///   (never the password).
    public static func connect(
        _ configuration: PostgresConfiguration,
        id: Int = 0,
        logger: Logger
    ) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, id: id, logger: logger)
        try await connection.open()
        return connection
    }

    /// Forgets a transaction lost with the connection, once the caller has been told (the
    /// `transaction` wrapper calls this as it rethrows), so the next call may reconnect.
    func forgetLostTransaction() {
        if isBroken { transactionWasOpen = false }
    }

    /// Rolls back an open transaction with no cancellation check (cleanup must run even in a
    /// cancelled task). Errors are ignored: a broken connection is discarded by its owner anyway.
    func rollbackQuietly() {
        guard let handle, PQstatus(handle.pointer) == CONNECTION_OK else { return }
        let status = PQtransactionStatus(handle.pointer)
        if status == PQTRANS_INTRANS || status == PQTRANS_INERROR { try? runSimple("ROLLBACK") }
        publishReuseState()
    }

    private func open() throws {
        handle = try Self.establish(configuration, logger: logger)
        transactionWasOpen = false
        statements.removeAll()
        sessionMayBeDirty = false
        broken = false
    }

    /// Connects with `PQconnectStartParams`/`PQconnectPoll`, so the notice receiver is in place
    /// before the server can say anything, and the timeout is ours.
    private static func establish(_ configuration: PostgresConfiguration, logger: Logger) throws -> ConnectionHandle {
        let (keywords, values) = configuration.keywordArrays()
        let pointer = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectStartParams(keywordPointers, valuePointers, 0)
            }
        }
        guard let pointer else {
            throw PostgresError(.connectionFailed, message: "out of memory", target: configuration.target)
        }
        let handle = ConnectionHandle(pointer: pointer, logger: logger)
        // At most a year (Int(_) of a larger product would trap); 0 or less, or NaN: no deadline.
        let timeout = min(configuration.connectTimeout, PostgresConfiguration.longestConnectTimeout)
        let deadline = timeout > 0 ? ContinuousClock.now + .milliseconds(Int(timeout * 1_000)) : nil
        var state = PGRES_POLLING_WRITING
        while true {
            if PQstatus(pointer) == CONNECTION_BAD { state = PGRES_POLLING_FAILED }
            switch state {
            case PGRES_POLLING_OK:
                handle.refreshCancelObject()
                return handle
            case PGRES_POLLING_FAILED:
                throw connectFailure(pointer, configuration)
            default:
                do {
                    _ = try waitForSocket(
                        PQsocket(pointer),
                        read: state == PGRES_POLLING_READING,
                        write: state == PGRES_POLLING_WRITING,
                        deadline: deadline,
                        timeoutCode: .connectionFailed
                    )
                } catch var error as PostgresError {
                    error.target = configuration.target
                    if let deadline, ContinuousClock.now >= deadline {
                        error.message = "timeout expired after \(Int(timeout)) s: \(stage(of: PQstatus(pointer)))"
                    }
                    throw error
                }
            }
            state = PQconnectPoll(pointer)
        }
    }

    /// Where a connection attempt stood when its time ran out, in an operator's words: whether the
    /// server took the connection, answered at all, authenticated, or was still starting the session.
    private static func stage(of status: ConnStatusType) -> String {
        switch status {
        case CONNECTION_STARTED, CONNECTION_NEEDED:
            "the server did not take the connection"
        case CONNECTION_MADE:
            "connected; the startup message was not sent"
        case CONNECTION_SSL_STARTUP, CONNECTION_GSS_STARTUP:
            "connected; the server did not finish negotiating encryption"
        case CONNECTION_AWAITING_RESPONSE:
            "connected; the server did not answer the startup message or finish authenticating"
        case CONNECTION_AUTH_OK:
            "authenticated; the server did not finish starting the session"
        default:
            "authenticated; the server did not answer the session checks"
        }
    }

    private static func connectFailure(
        _ pointer: OpaquePointer,
        _ configuration: PostgresConfiguration
    ) -> PostgresError {
        let message = String(cString: PQerrorMessage(pointer)).trimmingWhitespace()
        let host = PQhost(pointer).map { String(cString: $0) } ?? "?"
        let port = PQport(pointer).map { String(cString: $0) } ?? "?"
        let database = PQdb(pointer).map { String(cString: $0) } ?? "?"
        let target = host.isEmpty ? configuration.target : "\(host):\(port)/\(database)"
        return PostgresError(.connectionFailed, message: message, target: target)
    }

    /// Closes the connection. Later calls fail with `connectionClosed`.
    public func close() {
        handle = nil
        needsReset.store(true, ordering: .releasing)
        // The thread stays until `deinit`, so later calls run and fail with `connectionClosed`.
    }

    // MARK: - State

    /// Whether the connection is known to be unusable (lost, or closed).
    public var isBroken: Bool {
        broken || handle == nil || PQstatus(handle!.pointer) != CONNECTION_OK
    }

    /// The server's transaction state as libpq last saw it.
    var transactionStatus: PGTransactionStatusType {
        handle.map { PQtransactionStatus($0.pointer) } ?? PQTRANS_UNKNOWN
    }

    /// Whether a transaction block is open (possibly failed).
    public var isInTransaction: Bool {
        let status = transactionStatus
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// The server's major version times 10000 plus minor (e.g. 150018).
    public var serverVersion: Int {
        handle.map { Int(PQserverVersion($0.pointer)) } ?? 0
    }

    /// Whether the connection is idle, unbroken and free of session state, as of its last call. Safe to
    /// read from any thread; exact once no call is running.
    public nonisolated var isCleanForReuse: Bool {
        !needsReset.load(ordering: .acquiring)
    }

    /// Recomputes `isCleanForReuse` after a call.
    func publishReuseState() {
        if let handle, PQstatus(handle.pointer) == CONNECTION_OK {
            let status = PQtransactionStatus(handle.pointer)
            transactionWasOpen = status == PQTRANS_INTRANS || status == PQTRANS_INERROR
        }
        let clean = !sessionMayBeDirty && !isBroken && transactionStatus == PQTRANS_IDLE
        needsReset.store(!clean, ordering: .releasing)
    }

    /// Returns the connection to a clean state for its next user: an open transaction is rolled back
    /// and, if any statement may have changed session state, the session is discarded.
    ///
    /// - Returns: `false` when the connection is broken and must be replaced.
    public func prepareForReuse() -> Bool {
        defer { publishReuseState() }
        guard !isBroken else { return false }
        do {
            switch transactionStatus {
            case PQTRANS_IDLE:
                break
            case PQTRANS_INTRANS, PQTRANS_INERROR:
                try runSimple("ROLLBACK")
            default:
                return false
            }
            if sessionMayBeDirty {
                try runSimple("DISCARD ALL")
                statements.removeAll()
                sessionMayBeDirty = false
            }
            return !isBroken
        } catch {
            logger.debug("connection reset failed", metadata: ["db.error": "\(error)"])
            return false
        }
    }

    // MARK: - Statements

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try Task.checkCancellation()
        defer { publishReuseState() }
        let handle = try liveHandle()
        countRoundTrip()
        logStatement(query)
        return try await withTaskCancellationHandler {
            PostgresRows(result: try run(query, on: handle))
        } onCancel: {
            handle.cancel()
        }
    }

    /// Logs a statement at trace level: its SQL text (values are never in it: they are bound), how
    /// many values it binds, and the connection's round trip it travels in (`countRoundTrip`), so a log
    /// shows which statements went together.
    func logStatement(_ query: PostgresQuery) {
        logger.trace(
            "statement",
            metadata: [
                "db.statement": "\(query.sql)", "db.parameters": "\(query.bindings.count)", "db.connection": "\(id)",
                "db.round_trip": "\(roundTrips)",
            ]
        )
    }

    /// Counts one more round trip to the server (a statement, or a pipeline of them).
    func countRoundTrip() {
        roundTrips &+= 1
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs SQL text that takes no parameters and may hold several statements, with the simple query
    /// protocol. Only for SQL shipped with the program (migrations); never for text with values in it.
    public func executeScript(_ sql: String) throws {
        defer { publishReuseState() }
        _ = try liveHandle()
        try runSimple(sql)
    }

    /// The live handle; reconnects first when the server closed an idle connection.
    func liveHandle() throws -> ConnectionHandle {
        guard let handle else { throw PostgresError(.connectionClosed, message: "the connection was closed") }
        let status = PQtransactionStatus(handle.pointer)
        // Between statements the server only speaks up to say goodbye (or to notify). Read what it sent,
        // up to the end of the stream; if the connection is gone, nothing has been sent yet, so a new one
        // can safely take its place.
        var reads = 0
        while status == PQTRANS_IDLE, reads < 4, PQstatus(handle.pointer) == CONNECTION_OK,
            socketHasInput(PQsocket(handle.pointer))
        {
            reads += 1
            if PQconsumeInput(handle.pointer) == 0 { break }
        }
        if PQstatus(handle.pointer) != CONNECTION_OK || broken {
            guard !transactionWasOpen, status == PQTRANS_IDLE || status == PQTRANS_UNKNOWN else {
                throw lostError(handle, query: nil)
            }
            logger.debug("reconnecting a connection the server closed")
            self.handle = nil
            try open()
            return self.handle!
        }
        return handle
    }

    /// Runs one parameterized statement through the prepared-statement cache.
    private func run(_ query: PostgresQuery, on handle: ConnectionHandle) throws -> ResultHandle {
        guard statements.isEnabled else {
            try noteSessionEffects(of: query.sql)
            return try runUnnamed(query, on: handle)
        }
        let key = StatementCache.key(sql: query.sql, types: query.bindings.types)
        var retried = false
        while true {
            let statement = try prepared(query, key: key, on: handle)
            if statement.changesSession { sessionMayBeDirty = true }
            let name = statement.name
            handle.setStatementRunning(true)
            let raw = query.bindings.withCArrays { count, _, values, lengths, formats in
                PQexecPrepared(handle.pointer, name, count, values, lengths, formats, 1)
            }
            handle.setStatementRunning(false)
            do {
                return try check(raw, on: handle, query: query.sql)
            } catch let error as PostgresError where error.sqlState == "0A000" && !retried {
                // "cached plan must not change result type": the schema changed under the statement.
                statements.remove(key)
                retried = true
            }
        }
    }

    private func runUnnamed(_ query: PostgresQuery, on handle: ConnectionHandle) throws -> ResultHandle {
        handle.setStatementRunning(true)
        defer { handle.setStatementRunning(false) }
        let raw = query.bindings.withCArrays { count, types, values, lengths, formats in
            PQexecParams(handle.pointer, query.sql, count, types, values, lengths, formats, 1)
        }
        return try check(raw, on: handle, query: query.sql)
    }

    /// The prepared statement for a query, preparing it on the server first if needed.
    private func prepared(
        _ query: PostgresQuery,
        key: String,
        on handle: ConnectionHandle
    ) throws -> StatementCache.Statement {
        if let statement = statements.lookup(key) { return statement }
        let statement = StatementCache.Statement(
            name: statements.makeName(),
            changesSession: statementMayChangeSession(query.sql)
        )
        let types = query.bindings.types
        let raw = types.withUnsafeBufferPointer { typePointer in
            PQprepare(handle.pointer, statement.name, query.sql, Int32(types.count), typePointer.baseAddress)
        }
        _ = try check(raw, on: handle, query: query.sql)
        if let evicted = statements.insert(key, statement) {
            try runSimple("DEALLOCATE \(quoteIdentifier(evicted))")
        }
        return statement
    }

    /// Runs SQL with the simple query protocol and checks every result.
    private func runSimple(_ sql: String) throws {
        guard let handle else { throw PostgresError(.connectionClosed, message: "the connection was closed") }
        try noteSessionEffects(of: sql)
        handle.setStatementRunning(true)
        defer { handle.setStatementRunning(false) }
        guard PQsendQuery(handle.pointer, sql) == 1 else { throw lostError(handle, query: sql) }
        var firstError: PostgresError?
        while let raw = PQgetResult(handle.pointer) {
            do {
                _ = try check(raw, on: handle, query: sql)
            } catch let error as PostgresError {
                firstError = firstError ?? error
            }
        }
        if PQstatus(handle.pointer) != CONNECTION_OK { throw lostError(handle, query: sql) }
        if let firstError { throw firstError }
    }

    /// Wraps a result and turns an error status into a `PostgresError`.
    func check(_ raw: OpaquePointer?, on handle: ConnectionHandle, query: String?) throws -> ResultHandle {
        guard let raw else { throw lostError(handle, query: query) }
        return try check(ResultHandle(raw), on: handle, query: query)
    }

    /// Turns an error status into a `PostgresError`; a broken connection becomes `connectionLost`.
    func check(_ result: ResultHandle, on handle: ConnectionHandle, query: String?) throws -> ResultHandle {
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_PIPELINE_SYNC:
            return result
        default:
            var error = result.error(query: query)
            if PQstatus(handle.pointer) != CONNECTION_OK {
                broken = true
                error.code = .connectionLost
                error.target = configuration.target
            }
            if error.code == .connectionLost { broken = true }
            throw error
        }
    }

    /// The error for a call that failed without a result; marks the connection broken if it is.
    func lostError(_ handle: ConnectionHandle, query: String?) -> PostgresError {
        let message = String(cString: PQerrorMessage(handle.pointer)).trimmingWhitespace()
        if PQstatus(handle.pointer) != CONNECTION_OK {
            broken = true
            return PostgresError(.connectionLost, message: message, query: query, target: configuration.target)
        }
        return PostgresError(.protocolViolation, message: message, query: query)
    }

    /// Records that a statement may leave session state behind, so the pool resets the connection
    /// before its next user. Behind a transaction-mode pooler that state would stay on whichever
    /// server session ran the statement, for another client to inherit, and be missing from the next
    /// transaction: the statement is refused before it is sent.
    ///
    /// - Throws: `PostgresError.misuse` behind a transaction-mode pooler.
    func noteSessionEffects(of sql: String) throws {
        guard statementMayChangeSession(sql) else { return }
        if configuration.pooler == .transaction {
            throw PostgresError(
                .misuse,
                message: """
                    this statement may leave session state behind (a session-level SET, set_config(..., false), \
                    an advisory lock outside a transaction, LISTEN, PREPARE, a temporary table, a cursor), which a \
                    transaction-mode pooler would hand to another client; use its transaction-scoped form \
                    (SET LOCAL, set_config(..., true), pg_advisory_xact_lock) or a direct connection
                    """,
                query: sql
            )
        }
        sessionMayBeDirty = true
    }

    /// Prepared-statement bookkeeping for pipelines.
    func cachedStatement(_ key: String) -> StatementCache.Statement? {
        statements.isEnabled ? statements.lookup(key) : nil
    }

    /// Whether statements are prepared under a name (false without a cache, or behind a pooler).
    var preparesStatements: Bool { statements.isEnabled }

    func newStatementName() -> String? {
        statements.isEnabled ? statements.makeName() : nil
    }

    func recordPrepared(_ key: String, _ statement: StatementCache.Statement) -> String? {
        statements.insert(key, statement)
    }

    func markBroken() {
        broken = true
    }

    func markSessionDirty() {
        sessionMayBeDirty = true
    }

    func deallocate(_ name: String) throws {
        try runSimple("DEALLOCATE \(quoteIdentifier(name))")
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let storage = strings.map { strdup($0) }
    defer { storage.forEach { free($0) } }
    var pointers = storage.map { UnsafePointer($0) }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
