import CLibPQ

extension PostgresConnection {
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
        let begin = PostgresQuery(sql: "BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")")
        var attempt = 1
        while true {
            try await execute(begin)
            do {
                let value = try await body(self)
                guard transactionStatus != PQTRANS_INERROR else {
                    // The body swallowed a statement error: COMMIT would silently roll back.
                    throw PostgresError(
                        .transactionAborted,
                        message: "a statement in the transaction failed; nothing was committed"
                    )
                }
                try await execute("COMMIT")
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
