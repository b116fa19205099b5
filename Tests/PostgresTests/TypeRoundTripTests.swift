import Foundation
import HavenTestSupport
import Postgres
import Testing

@Suite("Binding and decoding every supported type against the server", .needsTestDatabase)
struct TypeRoundTripTests {
    /// Sends `value` as a parameter, has the server echo it, and decodes it back.
    private func echo<Value: PostgresEncodable & PostgresDecodable & Equatable>(
        _ value: Value,
        cast: String,
        on connection: PostgresConnection
    ) async throws -> Value {
        let rows = try await connection.query(PostgresQuery(sql: "SELECT $1::\(cast)", bindings: bind(value)))
        return try rows[0].decode(0, as: Value.self)
    }

    private func bind<Value: PostgresEncodable>(_ value: Value) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(value)
        return bindings
    }

    @Test func scalarsRoundTrip() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                #expect(try await echo("plain", cast: "text", on: connection) == "plain")
                #expect(try await echo("", cast: "text", on: connection) == "")
                #expect(try await echo("emoji 🫶 and 汉字 and 𝄞", cast: "text", on: connection) == "emoji 🫶 and 汉字 and 𝄞")
                #expect(try await echo(Int.max, cast: "int8", on: connection) == Int.max)
                #expect(try await echo(Int.min, cast: "int8", on: connection) == Int.min)
                #expect(try await echo(Int32.min, cast: "int4", on: connection) == Int32.min)
                #expect(try await echo(Int16.max, cast: "int2", on: connection) == Int16.max)
                #expect(try await echo(true, cast: "bool", on: connection))
                #expect(try await echo(false, cast: "bool", on: connection) == false)
                #expect(try await echo(-1.5e300, cast: "float8", on: connection) == -1.5e300)
                let id = UUID()
                #expect(try await echo(id, cast: "uuid", on: connection) == id)
                let instant = Date(timeIntervalSince1970: 1_763_766_000.123456)
                let decoded = try await echo(instant, cast: "timestamptz", on: connection)
                #expect(abs(decoded.timeIntervalSince(instant)) < 0.000_001)
                let day = TestDay(daysSince1970: 6_267)  // 1987-02-28
                #expect(try await echo(day, cast: "date", on: connection) == day)
                let early = TestDay(daysSince1970: -25_568)  // 1899-12-31
                #expect(try await echo(early, cast: "date", on: connection) == early)
            }
        }
    }

    @Test func byteaKeepsNULBytesAndEmptiness() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let bytes: [UInt8] = [0, 1, 0, 255, 0, 0]
                #expect(try await echo(bytes, cast: "bytea", on: connection) == bytes)
                #expect(try await echo([UInt8](), cast: "bytea", on: connection) == [])
                let data = Data([0, 0, 7, 0])
                #expect(try await echo(data, cast: "bytea", on: connection) == data)
                let length = try await connection.query("SELECT length(\(bytes))")
                #expect(try length[0].decode(0, as: Int.self) == 6)
            }
        }
    }

    @Test func arraysAndOptionalsRoundTrip() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let words = ["a", "", "b c", "ünï", "x\"y'z"]
                let echoed1 = try await echo(words, cast: "text[]", on: connection)
                #expect(echoed1 == words)
                let echoed2 = try await echo([String](), cast: "text[]", on: connection)
                #expect(echoed2 == [])
                let withNulls: [String?] = ["a", nil, "c"]
                let echoed3 = try await echo(withNulls, cast: "text[]", on: connection)
                #expect(echoed3 == withNulls)
                let ids = [UUID(), UUID()]
                let echoed4 = try await echo(ids, cast: "uuid[]", on: connection)
                #expect(echoed4 == ids)
                let echoed5 = try await echo([1, -2, 3], cast: "int8[]", on: connection)
                #expect(echoed5 == [1, -2, 3])
                let none: String? = nil
                #expect(try await echo(none, cast: "text", on: connection) == nil)
                let someDay: TestDay? = TestDay(daysSince1970: 19_782)  // 2024-02-29
                #expect(try await echo(someDay, cast: "date", on: connection) == someDay)
                let noDate: Date? = nil
                #expect(try await echo(noDate, cast: "timestamptz", on: connection) == nil)
                let noBytes: [UInt8]? = nil
                #expect(try await echo(noBytes, cast: "bytea", on: connection) == nil)
            }
        }
    }

    @Test func largeValuesAndInjectionLookalikesAreStoredVerbatim() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                try await connection.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text, blob bytea)")
                let injection = "Robert'); DROP TABLE notes; -- \\x00 $1 $$ \" \\"
                var big = [UInt8](repeating: 0, count: 1 << 20)
                for index in big.indices { big[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8) }
                let bigText = String(repeating: "é🫶", count: (1 << 20) / 6)
                try await connection.execute("INSERT INTO notes (body, blob) VALUES (\(injection), \(big))")
                try await connection.execute("INSERT INTO notes (body, blob) VALUES (\(bigText), NULL)")
                let rows = try await connection.query("SELECT body, blob FROM notes ORDER BY id")
                #expect(rows.count == 2)
                #expect(try rows[0].decode("body", as: String.self) == injection)
                #expect(try rows[0].decode("blob", as: [UInt8].self) == big)
                #expect(try rows[1].decode("body", as: String.self) == bigText)
                #expect(try rows[1].decode("blob", as: [UInt8]?.self) == nil)
                let count = try await connection.query("SELECT count(*) FROM notes")
                #expect(try count[0].decode(0, as: Int.self) == 2)
            }
        }
    }

    /// A round trip would hide a mistake made both ways; the server's own reading of a date does not.
    @Test func datesAreTheServersDays() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let leapDay = TestDay(daysSince1970: 19_782)
                let sent = try await connection.query("SELECT \(leapDay)::text")
                #expect(try sent[0].decode(0, as: String.self) == "2024-02-29")
                let rows = try await connection.query(
                    """
                    SELECT '1970-01-01'::date AS unix, '2000-01-01'::date AS postgres, '1899-12-31'::date AS early,
                           'infinity'::date AS forever, '-infinity'::date AS never, 1::int4 AS number
                    """
                )
                #expect(try rows[0].decode("unix", as: TestDay.self) == TestDay(daysSince1970: 0))
                #expect(try rows[0].decode("postgres", as: TestDay.self) == TestDay(daysSince1970: 10_957))
                #expect(try rows[0].decode("early", as: TestDay.self) == TestDay(daysSince1970: -25_568))
                for column in ["forever", "never"] {
                    let infinite = #expect(throws: PostgresError.self) { try rows[0].decode(column, as: TestDay.self) }
                    #expect(infinite?.code == .invalidValue)
                }
                let mismatch = #expect(throws: PostgresError.self) { try rows[0].decode("number", as: TestDay.self) }
                #expect(mismatch?.code == .typeMismatch)
                #expect(mismatch?.column == "number")
            }
        }
    }

    @Test func decodingErrorsNameTheColumn() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let rows = try await connection.query("SELECT NULL::text AS nickname, 42::int4 AS visits")
                let nullError = #expect(throws: PostgresError.self) { try rows[0].decode("nickname", as: String.self) }
                #expect(nullError?.code == .unexpectedNull)
                #expect(nullError?.column == "nickname")
                #expect(nullError?.description.contains("nickname") == true)
                let typeError = #expect(throws: PostgresError.self) { try rows[0].decode("visits", as: String.self) }
                #expect(typeError?.code == .typeMismatch)
                #expect(typeError?.column == "visits")
                #expect(try rows[0].decode("visits", as: Int.self) == 42)
                let missing = #expect(throws: PostgresError.self) { try rows[0].decode("nope", as: Int.self) }
                #expect(missing?.code == .noSuchColumn)
                let tuple = try rows[0].decode((String?, Int32).self)
                #expect(tuple.0 == nil && tuple.1 == 42)
            }
        }
    }
}
