import ArgumentParser
import Foundation
import Logging
import Postgres

/// Benchmarks of Haven's building blocks, driven by `scripts/bench`. Each run prints one line:
/// `RESULT <name> ops=<count> seconds=<elapsed> rate=<ops per second>`.
@main
struct HavenBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "haven-bench",
        abstract: "Micro-benchmarks for scripts/bench (not shipped).",
        subcommands: [
            Insert.self, Select.self, Transaction.self, Crypto.self, NoteWrite.self, NoteRead.self,
            ContextSession.self, Seed.self, Report.self,
        ]
    )
}

/// Options every database benchmark takes.
struct BenchOptions: ParsableArguments {
    @Option(help: "libpq URL of the benchmark database.")
    var url: String

    @Option(help: "Concurrent connections (one task each).")
    var connections = 1

    @Option(help: "How long to run, in seconds.")
    var seconds = 5.0

    @Flag(help: "Run each worker beside a connection of its own (ConnectionPool.withAffinity).")
    var affinity = false

    /// Runs `operation` on `connections` tasks until the time is up; prints the rate.
    func run(
        name: String,
        _ operation: @escaping @Sendable (PostgresConnection, Int) async throws -> Void
    ) async throws {
        let configuration = try PostgresConfiguration(url)
        var logger = Logger(label: "haven.bench")
        logger.logLevel = .warning
        let pool = ConnectionPool(
            configuration: configuration,
            limits: .init(maxConnections: connections),
            logger: logger
        )
        // Open every connection and warm its statement cache before timing.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    try await pool.withConnection { connection in
                        for iteration in 0..<20 { try await operation(connection, worker * 1_000_000 + iteration) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let duration = Duration.milliseconds(Int(seconds * 1_000))
        let start = ContinuousClock.now
        let deadline = start + duration
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<connections {
                group.addTask { [affinity] in
                    let work = {
                        var count = 0
                        while ContinuousClock.now < deadline {
                            let key = worker * 1_000_000 + count
                            try await pool.withConnection { connection in try await operation(connection, key) }
                            count += 1
                        }
                        return count
                    }
                    return affinity ? try await pool.withAffinity(work) : try await work()
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        await pool.close()
        print(
            "RESULT \(name) connections=\(connections) ops=\(total) seconds=\(String(format: "%.3f", elapsedSeconds)) rate=\(String(format: "%.1f", Double(total) / elapsedSeconds))"
        )
    }
}

extension HavenBench {
    /// Single-row INSERT of a 2 KiB bytea, one implicit transaction each.
    struct Insert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "INSERT a 2 KiB bytea row per transaction.")

        @OptionGroup var options: BenchOptions

        func run() async throws {
            let payload = (0..<2_048).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try await options.run(name: "insert") { connection, _ in
                try await connection.execute("INSERT INTO bench_rows (payload) VALUES (\(payload))")
            }
        }
    }

    /// Primary-key SELECT of one row.
    struct Select: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "SELECT one row by primary key.")

        @OptionGroup var options: BenchOptions

        @Option(help: "Rows in bench_rows to pick from (ids 1...n).")
        var rows = 10_000

        func run() async throws {
            let rows = self.rows
            try await options.run(name: "select") { connection, _ in
                let id = Int.random(in: 1...rows)
                let result = try await connection.query("SELECT payload FROM bench_rows WHERE id = \(id)")
                guard result.count == 1 else { throw ValidationError("row \(id) missing") }
            }
        }
    }

    /// Ten INSERTs in one transaction, statement by statement or pipelined in one round trip.
    struct Transaction: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ten statements per transaction.")

        @OptionGroup var options: BenchOptions

        @Flag(help: "Send the transaction in one round trip with libpq pipeline mode.")
        var pipelined = false

        func run() async throws {
            let payload = (0..<256).map { UInt8(truncatingIfNeeded: $0) }
            let statements: [PostgresQuery] = (0..<10).map { _ in
                "INSERT INTO bench_rows (payload) VALUES (\(payload))"
            }
            if pipelined {
                try await options.run(name: "transaction-pipelined") { connection, _ in
                    _ = try await connection.pipeline(["BEGIN"] + statements + ["COMMIT"])
                }
            } else {
                try await options.run(name: "transaction-plain") { connection, _ in
                    try await connection.transaction { connection in
                        for statement in statements { try await connection.execute(statement) }
                    }
                }
            }
        }
    }
}
