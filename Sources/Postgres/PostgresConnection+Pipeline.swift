import CLibPQ

extension PostgresConnection {
    /// Sends several statements in one round trip (libpq pipeline mode) and returns each one's rows.
    ///
    /// Outside a transaction block the statements run as one implicit transaction: if one fails, none
    /// of them takes effect, and the first error is thrown. Inside a `transaction` they join it.
    public func pipeline(_ queries: [PostgresQuery]) async throws -> [PostgresRows] {
        // A pipeline ending in COMMIT also carries what `sendWithCommit` queued, just before it; the
        // caller gets one result per query it passed.
        if queries.last?.sql == "COMMIT", !statementsBeforeCommit.isEmpty {
            let queued = statementsBeforeCommit
            statementsBeforeCommit = []
            var rows = try await pipeline(Array(queries.dropLast()) + queued + [queries[queries.count - 1]])
            rows.removeSubrange((queries.count - 1)..<(queries.count - 1 + queued.count))
            return rows
        }
        try Task.checkCancellation()
        if queries.isEmpty { return [] }
        defer { publishReuseState() }
        let handle = try liveHandle()
        countRoundTrip()
        for query in queries { logStatement(query) }
        return try await withTaskCancellationHandler {
            handle.setStatementRunning(true)
            defer { handle.setStatementRunning(false) }
            let (rows, evicted): ([PostgresRows], [String])
            do {
                (rows, evicted) = try runPipeline(queries, on: handle)
            } catch let error as PostgresError where error.code == .protocolViolation || error.code == .connectionLost {
                // The pipeline may be half-sent or half-read: this connection cannot be trusted again.
                markBroken()
                throw error
            }
            for name in evicted { try deallocate(name) }
            return rows
        } onCancel: {
            handle.cancel()
        }
    }

    private struct Step {
        var query: PostgresQuery
        var cacheKey: String
        /// Set when this step also prepares its statement.
        var preparing: StatementCache.Statement?
    }

    /// Runs the pipeline; returns the rows and the prepared statements evicted from the cache, which
    /// can only be deallocated once pipeline mode is over.
    private func runPipeline(
        _ queries: [PostgresQuery],
        on handle: ConnectionHandle
    ) throws -> (rows: [PostgresRows], evicted: [String]) {
        let pointer = handle.pointer
        // Without a statement cache every statement goes unnamed: check them all before sending any.
        if !preparesStatements {
            for query in queries { try noteSessionEffects(of: query.sql) }
        }
        guard PQenterPipelineMode(pointer) == 1 else { throw lostError(handle, query: nil) }
        defer { _ = PQexitPipelineMode(pointer) }
        guard PQsetnonblocking(pointer, 1) == 0 else { throw lostError(handle, query: nil) }

        var steps: [Step] = []
        steps.reserveCapacity(queries.count)
        var preparedInThisPipeline: [String: StatementCache.Statement] = [:]
        for query in queries {
            let key = StatementCache.key(sql: query.sql, types: query.bindings.types)
            var step = Step(query: query, cacheKey: key)
            let sent: Int32
            if let statement = cachedStatement(key) ?? preparedInThisPipeline[key] {
                if statement.changesSession { markSessionDirty() }
                sent = sendPrepared(query, name: statement.name, on: pointer)
            } else if let name = newStatementName() {
                let statement = StatementCache.Statement(
                    name: name,
                    changesSession: statementMayChangeSession(query.sql)
                )
                if statement.changesSession { markSessionDirty() }
                let types = query.bindings.types
                let prepared = types.withUnsafeBufferPointer {
                    PQsendPrepare(pointer, name, query.sql, Int32(types.count), $0.baseAddress)
                }
                guard prepared == 1 else { throw lostError(handle, query: query.sql) }
                step.preparing = statement
                preparedInThisPipeline[key] = statement
                sent = sendPrepared(query, name: name, on: pointer)
            } else {
                sent = query.bindings.withCArrays { count, types, values, lengths, formats in
                    PQsendQueryParams(pointer, query.sql, count, types, values, lengths, formats, 1)
                }
            }
            guard sent == 1 else { throw lostError(handle, query: query.sql) }
            steps.append(step)
        }
        guard PQpipelineSync(pointer) == 1 else { throw lostError(handle, query: nil) }
        try flushAll(handle)
        guard PQsetnonblocking(pointer, 0) == 0 else { throw lostError(handle, query: nil) }

        var results: [PostgresRows] = []
        results.reserveCapacity(steps.count)
        var firstError: PostgresError?
        var evictedNames: [String] = []
        for step in steps {
            if let statement = step.preparing {
                if try readOne(handle, query: step.query.sql, firstError: &firstError) != nil {
                    if let evicted = recordPrepared(step.cacheKey, statement) { evictedNames.append(evicted) }
                }
            }
            if let result = try readOne(handle, query: step.query.sql, firstError: &firstError) {
                results.append(PostgresRows(result: result))
            }
        }
        guard let sync = PQgetResult(pointer) else { throw lostError(handle, query: nil) }
        let syncResult = ResultHandle(sync)
        guard syncResult.status == PGRES_PIPELINE_SYNC else {
            throw PostgresError(.protocolViolation, message: "pipeline did not end with a sync")
        }
        if let firstError { throw firstError }
        return (results, evictedNames)
    }

    /// Reads one statement's result and the NULL that ends it. Returns `nil` if the statement failed
    /// or was skipped because an earlier one failed.
    private func readOne(
        _ handle: ConnectionHandle,
        query: String,
        firstError: inout PostgresError?
    ) throws -> ResultHandle? {
        guard let raw = PQgetResult(handle.pointer) else { throw lostError(handle, query: query) }
        let result = ResultHandle(raw)
        var value: ResultHandle?
        if result.status == PGRES_PIPELINE_ABORTED {
            value = nil
        } else {
            do {
                value = try check(result, on: handle, query: query)
            } catch let error as PostgresError {
                if error.code == .connectionLost { throw error }
                firstError = firstError ?? error
            }
        }
        if let extra = PQgetResult(handle.pointer) {
            PQclear(extra)
            throw PostgresError(.protocolViolation, message: "more than one result for a pipelined statement")
        }
        return value
    }

    private func sendPrepared(_ query: PostgresQuery, name: String, on pointer: OpaquePointer) -> Int32 {
        query.bindings.withCArrays { count, _, values, lengths, formats in
            PQsendQueryPrepared(pointer, name, count, values, lengths, formats, 1)
        }
    }

    /// Flushes libpq's output buffer without deadlocking: while the server's results pile up, read
    /// them into libpq's input buffer.
    private func flushAll(_ handle: ConnectionHandle) throws {
        while true {
            let status = PQflush(handle.pointer)
            if status == 0 { return }
            if status < 0 { throw lostError(handle, query: nil) }
            let ready = try waitForSocket(
                PQsocket(handle.pointer),
                read: true,
                write: true,
                deadline: nil,
                timeoutCode: .connectionLost
            )
            if ready.readable, PQconsumeInput(handle.pointer) == 0 { throw lostError(handle, query: nil) }
        }
    }
}
