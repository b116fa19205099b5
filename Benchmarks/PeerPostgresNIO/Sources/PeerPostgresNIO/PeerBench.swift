import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `PeerPostgresNIO select|insert --host H --port P --user U --database D --connections N --seconds S`
///
/// Runs HavenBench's primary-key SELECT or 2 KiB INSERT through postgres-nio's `PostgresClient` (its
/// own pool, a checkout per operation, as HavenBench checks out of Haven's pool) with named prepared
/// statements, and prints one line in HavenBench's format:
/// `RESULT <name> connections=<n> ops=<count> seconds=<elapsed> rate=<ops per second>`.
/// The password comes from `PGPASSWORD`; `PGOPTIONS` (e.g. `-c synchronous_commit=off`) is sent as the
/// `options` startup parameter, as libpq does.
@main
struct PeerBench {
    static func main() async throws {
        let arguments = try Arguments(CommandLine.arguments.dropFirst())
        var configuration = PostgresClient.Configuration(
            host: arguments.host,
            port: arguments.port,
            username: arguments.user,
            password: ProcessInfo.processInfo.environment["PGPASSWORD"],
            database: arguments.database,
            tls: .disable
        )
        configuration.options.minimumConnections = arguments.connections
        configuration.options.maximumConnections = arguments.connections
        configuration.options.keepAliveBehavior = nil
        if let options = ProcessInfo.processInfo.environment["PGOPTIONS"], !options.isEmpty {
            configuration.options.additionalStartupParameters = [("options", options)]
        }
        let logger = {
            var logger = Logger(label: "peer.postgres-nio")
            logger.logLevel = .warning
            return logger
        }()
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let operation: @Sendable (PostgresConnection) async throws -> Void
        switch arguments.command {
        case "select":
            operation = { connection in
                let id = Int.random(in: 1...10_000)
                var rows = 0
                for try await _ in try await connection.execute(SelectRow(id: id), logger: logger) { rows += 1 }
                guard rows == 1 else { throw PeerError("row \(id) missing") }
            }
        case "insert":
            let payload = ByteBuffer(bytes: (0..<2_048).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            operation = { connection in
                _ = try await connection.execute(InsertRow(payload: payload), logger: logger)
            }
        default:
            throw PeerError("unknown command \(arguments.command): select or insert")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await measure(arguments, client: client, operation: operation)
            group.cancelAll()
        }
    }

    /// Warms every connection (20 operations each, so the statement is prepared), then runs
    /// `connections` tasks until the time is up and prints the rate.
    private static func measure(
        _ arguments: Arguments,
        client: PostgresClient,
        operation: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<arguments.connections {
                group.addTask {
                    try await client.withConnection { connection in
                        for _ in 0..<20 { try await operation(connection) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(arguments.seconds * 1_000))
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<arguments.connections {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await client.withConnection { try await operation($0) }
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "RESULT \(arguments.command) connections=\(arguments.connections) ops=\(total) "
                + "seconds=\(String(format: "%.3f", seconds)) rate=\(String(format: "%.1f", Double(total) / seconds))"
        )
    }
}

/// The primary-key SELECT, prepared once per connection under a fixed name.
struct SelectRow: PostgresPreparedStatement {
    static let name = "peer_select"
    static let sql = "SELECT payload FROM bench_rows WHERE id = $1"
    static let bindingDataTypes: [PostgresDataType] = [.int8]
    typealias Row = ByteBuffer

    var id: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ByteBuffer {
        try row.decode(ByteBuffer.self)
    }
}

/// The 2 KiB INSERT, one implicit transaction each.
struct InsertRow: PostgresPreparedStatement {
    static let name = "peer_insert"
    static let sql = "INSERT INTO bench_rows (payload) VALUES ($1)"
    static let bindingDataTypes: [PostgresDataType] = [.bytea]
    typealias Row = ()

    var payload: ByteBuffer

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(payload)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// The command line, `--name value` pairs after the command.
struct Arguments {
    var command = ""
    var host = "127.0.0.1"
    var port = 5432
    var user = ""
    var database = ""
    var connections = 1
    var seconds = 5.0

    init(_ words: ArraySlice<String>) throws {
        var words = words
        guard let command = words.popFirst() else { throw PeerError("usage: PeerPostgresNIO select|insert --options") }
        self.command = command
        while let flag = words.popFirst() {
            guard let value = words.popFirst() else { throw PeerError("\(flag) needs a value") }
            switch flag {
            case "--host": host = value
            case "--port": port = try Self.number(flag, value)
            case "--user": user = value
            case "--database": database = value
            case "--connections": connections = try Self.number(flag, value)
            case "--seconds":
                guard let number = Double(value), number > 0 else {
                    throw PeerError("--seconds takes a positive number")
                }
                seconds = number
            default: throw PeerError("unknown option \(flag)")
            }
        }
    }

    private static func number(_ flag: String, _ value: String) throws -> Int {
        guard let number = Int(value), number > 0 else { throw PeerError("\(flag) takes a positive whole number") }
        return number
    }
}

struct PeerError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
