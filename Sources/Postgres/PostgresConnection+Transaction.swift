import CLibPQ

extension PostgresConnection {
    /// Queues statements to run at the end of the open transaction, in COMMIT's round trip: for work
    /// that must commit with the transaction but is best done last, such as an audit append whose
    /// lock should be held only for the commit itself. A failure rolls the whole transaction back.
    /// Only inside `transaction`; a body that ends the transaction itself with a pipeline ending in
    /// COMMIT carries them in that pipeline.
    ///
    /// - Throws: `PostgresError` (misuse) outside a transaction, where nothing would ever send them.
    public func sendWithCommit(_ queries: [PostgresQuery]) throws {
        guard transactionStatus == PQTRANS_INTRANS || transactionStatus == PQTRANS_ACTIVE else {
            throw PostgresError(.misuse, message: "sendWithCommit outside a transaction")
        }
        statementsBeforeCommit += queries
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// A serialization failure (40001) or deadlock (40P01), whether from the body or from COMMIT, rolls
    /// back and runs the body again, up to `maxAttempts` times in all, with a short randomized pause.
    /// The body must therefore be safe to repeat: it should only touch the database through the
    /// connection it is given.
    ///
    /// - Parameters:
    ///   - isolation: the isolation level (default READ COMMITTED).
    ///   - readOnly: start a READ ONLY transaction.
    ///   - maxAttempts: how many times to run the body at most.
    ///   - body: the work; it runs isolated to this connection, so its statements need no hop.
    @discardableResult
    public func transaction<Value: Sendable>(
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        maxAttempts: Int = 3,
        _ body: @Sendable (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await transaction(isolation: isolation, readOnly: readOnly, maxAttempts: maxAttempts, prologue: []) {
            connection,
            _ in try await body(connection)
        }
    }

    /// Runs `body` in a transaction whose first statements (`prologue`) are sent together with
    /// BEGIN in one round trip; the body receives their rows.
    ///
    /// The body may also end the transaction itself by sending COMMIT as the last statement of its
    /// own pipeline (one round trip for the write and the commit); the transaction then counts as
    /// committed. Everything else is as in `transaction(isolation:readOnly:maxAttempts:_:)`.
    @discardableResult
    public func transaction<Value: Sendable>(
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        maxAttempts: Int = 3,
        prologue: [PostgresQuery],
        _ body: @Sendable (isolated PostgresConnection, _ prologueRows: [PostgresRows]) async throws -> Value
    ) async throws -> Value {
        let begin = PostgresQuery(sql: "BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")")
        var attempt = 1
        while true {
            statementsBeforeCommit = []
            do {
                var prologueRows: [PostgresRows] = []
                if prologue.isEmpty {
                    try await execute(begin)
                } else {
                    prologueRows = Array(try await pipeline([begin] + prologue).dropFirst())
                }
                let value = try await body(self, prologueRows)
                let queued = statementsBeforeCommit
                statementsBeforeCommit = []
                if transactionStatus == PQTRANS_IDLE {
                    // The body committed in its own pipeline.
                    precondition(queued.isEmpty, "statements queued with sendWithCommit, but the body committed itself")
                    return value
                }
                guard transactionStatus != PQTRANS_INERROR else {
                    // The body swallowed a statement error: COMMIT would silently roll back.
                    throw PostgresError(
                        .transactionAborted,
                        message: "a statement in the transaction failed; nothing was committed"
                    )
                }
                if queued.isEmpty {
                    try await execute("COMMIT")
                } else {
                    _ = try await pipeline(queued + ["COMMIT"])
                }
                return value
            } catch {
                rollbackQuietly()
                forgetLostTransaction()
                guard let failure = error as? PostgresError, failure.isRetryableTransactionFailure,
                    attempt < maxAttempts
                else { throw error }
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...5) * attempt))
            }
        }
    }
}
