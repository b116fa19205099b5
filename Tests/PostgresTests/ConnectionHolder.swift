import Postgres

/// Another task holding one of a pool's connections until released: a pool made busy on purpose,
/// signalled rather than timed.
struct ConnectionHolder {
    private let task: Task<Void, any Error>
    private let releasing: AsyncStream<Void>.Continuation

    /// Returns once the holder has checked out a connection of `pool`.
    static func hold(_ pool: ConnectionPool) async -> ConnectionHolder {
        let (held, holding) = AsyncStream.makeStream(of: Void.self)
        let (release, releasing) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            // A holder that fails before it holds anything ends the wait below; `finished` says why.
            defer { holding.finish() }
            try await pool.withConnection { connection in
                holding.yield()
                for await _ in release { break }
                try await connection.execute("SELECT 1")
            }
        }
        for await _ in held { break }
        return ConnectionHolder(task: task, releasing: releasing)
    }

    /// Lets the holder use its connection once more and check it in.
    func release() { releasing.yield() }

    /// Waits for the holder to finish; rethrows what it met.
    func finished() async throws { try await task.value }
}
