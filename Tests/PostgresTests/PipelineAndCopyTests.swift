import HavenTestSupport
import Postgres
import Testing

@Suite("Pipeline mode and COPY FROM STDIN", .needsTestDatabase)
struct PipelineAndCopyTests {
    @Test func pipelineReturnsEachStatementsRows() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
                let results = try await connection.pipeline([
                    "INSERT INTO t VALUES (\(Int32(1)), \("one"))",
                    "INSERT INTO t VALUES (\(Int32(2)), \("two"))",
                    "SELECT name FROM t ORDER BY id",
                    "SELECT \(42) AS answer",
                ])
                #expect(results.count == 4)
                #expect(results[0].affectedRows == 1)
                #expect(try results[2].map { try $0.decode(0, as: String.self) } == ["one", "two"])
                #expect(try results[3][0].decode("answer", as: Int.self) == 42)
                // The same statements again use the prepared-statement cache.
                let again = try await connection.pipeline(["SELECT \(7) AS answer", "SELECT \(8) AS answer"])
                #expect(try again.map { try $0[0].decode(0, as: Int.self) } == [7, 8])
            }
        }
    }

    @Test func aFailingStatementUndoesThePipeline() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE t (id int PRIMARY KEY)")
                let error = await #expect(throws: PostgresError.self) {
                    try await connection.pipeline([
                        "INSERT INTO t VALUES (\(Int32(1)))",
                        "INSERT INTO t VALUES (\(Int32(1)))",
                        "INSERT INTO t VALUES (\(Int32(2)))",
                    ])
                }
                #expect(error?.code == .uniqueViolation)
                let rows = try await connection.query("SELECT count(*) FROM t")
                #expect(try rows[0].decode(0, as: Int.self) == 0)
                // The connection is usable afterwards, in and out of pipeline mode.
                _ = try await connection.pipeline(["INSERT INTO t VALUES (\(Int32(3)))"])
                let after = try await connection.query("SELECT count(*) FROM t")
                #expect(try after[0].decode(0, as: Int.self) == 1)
            }
        }
    }

    @Test func pipelineJoinsAnOpenTransaction() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE t (id int)")
                struct Abort: Error {}
                await #expect(throws: Abort.self) {
                    try await connection.transaction { connection in
                        _ = try await connection.pipeline(["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"])
                        throw Abort()
                    }
                }
                let rows = try await connection.query("SELECT count(*) FROM t")
                #expect(try rows[0].decode(0, as: Int.self) == 0)
            }
        }
    }

    @Test func largePipelineDoesNotDeadlock() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let payload = [UInt8](repeating: 7, count: 64 * 1024)
                let queries: [PostgresQuery] = (0..<200).map { _ in "SELECT \(payload) AS blob" }
                let results = try await connection.pipeline(queries)
                #expect(results.count == 200)
                #expect(try results[199][0].decode(0, as: [UInt8].self) == payload)
            }
        }
    }

    @Test func copyLoadsRowsInBulk() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute(
                    "CREATE TABLE people (id int8, name text, born date, note bytea, tags text[], ok bool)"
                )
                let copied = try await connection.copyFrom(
                    table: "people",
                    columns: ["id", "name", "born", "note", "tags", "ok"]
                ) { writer in
                    for index in 0..<10_000 {
                        try writer.append([
                            index, "person \(index) \t\n\\", TestDay(daysSince1970: index),
                            index % 2 == 0 ? [UInt8]([0, 1, 2]) : [UInt8]?.none, ["a", "b"], index % 3 == 0,
                        ])
                    }
                }
                #expect(copied == 10_000)
                let rows = try await connection.query(
                    "SELECT count(*), sum(id)::int8, max(name), count(note) FROM people WHERE tags = ARRAY['a','b']"
                )
                #expect(
                    try rows[0].decode((Int, Int, String, Int).self) == (
                        10_000, 49_995_000, "person 9999 \t\n\\", 5_000
                    )
                )
            }
        }
    }

    @Test func copyWithWrongColumnCountFailsAndLeavesNothing() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE t (a int8, b text)")
                await #expect(throws: PostgresError.self) {
                    try await connection.copyFrom(table: "t", columns: ["a", "b"]) { writer in
                        try writer.append([1, "x"])
                        try writer.append([2])
                    }
                }
                let rows = try await connection.query("SELECT count(*) FROM t")
                #expect(try rows[0].decode(0, as: Int.self) == 0)
            }
        }
    }
}
