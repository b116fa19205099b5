import Foundation
import HavenTestSupport
import Postgres
import Synchronization
import Testing

@Suite("Connection pool: a task beside its connection (withAffinity)", .needsTestDatabase)
struct PoolAffinityTests {
    @Test func aTaskBesideItsConnectionRunsOnItsThreadAndChecksItOutEveryTime() async throws {
        try await withWarmPool(connections: 3) { pool, threads in
            let (home, seen) = try await pool.withAffinity {
                await Task.yield()
                let home = try #require(threads.current())
                var seen: [Int] = []
                for _ in 0..<5 {
                    seen.append(try await pool.withConnection { connection in connection.id })
                    // Between checkouts the task stays on the connection's thread: no hop back.
                    #expect(threads.current() == home)
                }
                return (home, seen)
            }
            #expect(seen == Array(repeating: home, count: 5))
            // Outside, the task is back on Swift's cooperative pool.
            await Task.yield()
            #expect(threads.current() == nil)
        }
    }

    @Test func aTaskWithoutItHopsBackAfterEveryCheckout() async throws {
        try await withWarmPool(connections: 1) { pool, threads in
            for _ in 0..<3 {
                try await pool.query("SELECT 1")
                #expect(threads.current() == nil)
            }
        }
    }

    @Test func concurrentTasksAreSpreadOverTheIdleConnections() async throws {
        try await withWarmPool(connections: 3) { pool, threads in
            let inside = AsyncBarrier(parties: 3)
            let homes = try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await pool.withAffinity {
                            await inside.arrive()
                            let checkedOut = try await pool.withConnection { connection in connection.id }
                            return (checkedOut, threads.current())
                        }
                    }
                }
                return try await group.reduce(into: [(Int, Int?)]()) { $0.append($1) }
            }
            #expect(Set(homes.map(\.0)).count == 3)
            #expect(homes.allSatisfy { $0.0 == $0.1 })
        }
    }

    @Test func whenTheBodyHoldsItsConnectionASecondCheckoutTakesAnother() async throws {
        try await withWarmPool(connections: 2) { pool, threads in
            try await pool.withAffinity {
                await Task.yield()
                let home = try #require(threads.current())
                // The body holds its own connection and asks for a second: it gets the other one, on
                // that one's thread, and nothing waits for a thread the body occupies.
                let (outer, inner) = try await pool.withConnection { outer in
                    let inner = try await pool.withConnection { inner in
                        try await inner.execute("SELECT 1")
                        #expect(threads.current() == inner.id)
                        return inner.id
                    }
                    return (outer.id, inner)
                }
                #expect(outer == home)
                #expect(inner != home)
            }
        }
    }

    @Test func aChildTaskSharesTheHomeAndTheParentTakesAnotherWhileTheChildHoldsIt() async throws {
        try await withWarmPool(connections: 2) { pool, threads in
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            try await pool.withAffinity {
                await Task.yield()
                let home = try #require(threads.current())
                // A child task inherits the body's place: it checks out the home connection.
                async let child: Int = pool.withConnection { connection in
                    holding.yield()
                    for await _ in release { break }
                    // Blocks the home thread in libpq a while: the parent waits its turn there.
                    try await connection.execute("SELECT pg_sleep(0.1)")
                    return connection.id
                }
                for await _ in held { break }
                let other = try await pool.withConnection { connection in
                    releasing.yield()
                    try await connection.execute("SELECT 1")
                    return connection.id
                }
                #expect(try await child == home)
                #expect(other != home)
                #expect(threads.current() == home)
            }
        }
    }

    @Test func aCheckoutThatWaitsIsNotHeldUpByAStatementOnTheHomeThread() async throws {
        try await withWarmPool(connections: 2) { pool, threads in
            // The other connection is held by a task not beside any connection.
            let holder = await ConnectionHolder.hold(pool)
            let (homeHeld, holdingHome) = AsyncStream.makeStream(of: Void.self)
            let (sleep, sleeping) = AsyncStream.makeStream(of: Void.self)
            try await pool.withAffinity {
                await Task.yield()
                let home = try #require(threads.current())
                // A child holds the home connection and, once let go, blocks the home thread in
                // libpq for three seconds.
                async let sleptUntil: ContinuousClock.Instant = pool.withConnection { connection in
                    holdingHome.yield()
                    for await _ in sleep { break }
                    try await connection.execute("SELECT pg_sleep(3)")
                    return ContinuousClock.now
                }
                for await _ in homeHeld { break }
                // Another child asks for a connection: none is idle, so it waits.
                async let checkedOut: (Int, ContinuousClock.Instant) = pool.withConnection { connection in
                    (connection.id, ContinuousClock.now)
                }
                // From a task off the home thread: start the sleep, then free the other connection.
                let release = Task.detached {
                    try await Task.sleep(for: .milliseconds(500))
                    sleeping.yield()
                    try await Task.sleep(for: .milliseconds(300))
                    holder.release()
                }
                let (other, usedAt) = try await checkedOut
                let sleepEnded = try await sleptUntil
                try await release.value
                #expect(other != home)
                // The waiting checkout used the freed connection while the home thread slept, not after.
                #expect(usedAt + .seconds(1) < sleepEnded)
            }
            try await holder.finished()
        }
    }

    @Test func withNoIdleConnectionTheBodyRunsAsItWouldWithout() async throws {
        try await withWarmPool(connections: 1) { pool, threads in
            let holder = await ConnectionHolder.hold(pool)
            let ranBeside = try await pool.withAffinity {
                holder.release()
                try await pool.query("SELECT 1")
                await Task.yield()
                return threads.current()
            }
            #expect(ranBeside == nil)
            try await holder.finished()
        }
    }

    @Test func closingThePoolUnderATaskBesideAConnectionFailsItsCheckoutsAndStrandsNothing() async throws {
        try await withWarmPool(connections: 1) { pool, threads in
            await pool.withAffinity {
                await Task.yield()
                #expect(threads.current() != nil)
                await pool.close()
                let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
                #expect(error?.code == .poolClosed)
                // The closed connection's thread still runs this task's code.
                for _ in 0..<3 { await Task.yield() }
                #expect(threads.current() != nil)
            }
        }
    }

    /// A pool with `connections` connections open and idle, and which thread each runs on.
    private func withWarmPool(
        connections: Int,
        _ body: (ConnectionPool, ConnectionThreads) async throws -> Void
    ) async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            let pool = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: connections),
                logger: TestDatabase.logger
            )
            // Every checkout holds its connection until all have one, so each opens a connection of its own.
            let allOut = AsyncBarrier(parties: connections)
            let threads = try await withThrowingTaskGroup(of: (Int, pthread_t).self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        try await pool.withConnection { connection in
                            await allOut.arrive()
                            return (connection.id, await connection.thread())
                        }
                    }
                }
                return try await group.reduce(into: [Int: pthread_t]()) { $0[$1.0] = $1.1 }
            }
            #expect(threads.count == connections)
            try await body(pool, ConnectionThreads(byConnection: threads))
            await pool.close()
        }
    }
}

/// Which pooled connection's thread runs the caller, by the threads' ids.
private struct ConnectionThreads: Sendable {
    var byConnection: [Int: pthread_t]

    /// The id of the connection whose thread runs the caller, or nil on any other thread.
    func current() -> Int? {
        let here = pthread_self()
        return byConnection.first { pthread_equal($0.value, here) != 0 }?.key
    }
}

extension PostgresConnection {
    /// The thread the connection runs on (an actor-isolated method runs on the actor's executor).
    fileprivate func thread() -> pthread_t { pthread_self() }
}
