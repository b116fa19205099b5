import HavenTestSupport
import Postgres
import Testing

@Suite("Statements queued for COMMIT's round trip", .needsTestDatabase)
struct SendWithCommitTests {
    static func names(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT name FROM items ORDER BY seq").map { try $0.decode(0, as: String.self) }
    }

    @Test func queuedStatementsRunLastAndCommitWithTheTransaction() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE items (seq serial PRIMARY KEY, name text UNIQUE NOT NULL)")
                // Queued first, sent last, with the transaction's own COMMIT.
                try await connection.transaction { connection in
                    try connection.sendWithCommit(["INSERT INTO items (name) VALUES (\("queued"))"])
                    try await connection.execute("INSERT INTO items (name) VALUES (\("body"))")
                }
                #expect(try await Self.names(connection) == ["body", "queued"])

                // A body that ends with its own pipeline and COMMIT carries them too, and sees one
                // result per statement it sent.
                let results = try await connection.transaction { connection in
                    try connection.sendWithCommit(["INSERT INTO items (name) VALUES (\("queued 2"))"])
                    return try await connection.pipeline(["SELECT 41 + 1", "COMMIT"]).count
                }
                #expect(results == 2)
                #expect(try await Self.names(connection) == ["body", "queued", "queued 2"])

                // A queued statement that fails rolls the whole transaction back.
                await #expect(throws: PostgresError.self) {
                    try await connection.transaction { connection in
                        try await connection.execute("INSERT INTO items (name) VALUES (\("doomed"))")
                        try connection.sendWithCommit(["INSERT INTO items (name) VALUES (\("body"))"])
                    }
                }
                #expect(try await Self.names(connection) == ["body", "queued", "queued 2"])

                // Outside a transaction nothing would ever send them: refused.
                let misuse = await #expect(throws: PostgresError.self) {
                    try await connection.sendWithCommit(["SELECT 1"])
                }
                #expect(misuse?.code == .misuse)
            }
        }
    }
}
