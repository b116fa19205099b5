import HavenCore
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("CalendarDate travels as a PostgreSQL date", .needsTestDatabase)
struct CalendarDatePostgresTests {
    /// HavenStore's conformance: a `CalendarDate` is sent and read as the same day the server sees.
    @Test func calendarDatesAreTheServersDates() async throws {
        try await TestDatabase.with(migrated: false) { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let leapDay = try #require(CalendarDate(year: 2024, month: 2, day: 29))
                let noDay: CalendarDate? = nil
                let rows = try await connection.query(
                    "SELECT \(leapDay)::text, '1899-12-31'::date, \(leapDay)::date + 1, \(noDay)::date"
                )
                #expect(try rows[0].decode(0, as: String.self) == "2024-02-29")
                #expect(try rows[0].decode(1, as: CalendarDate.self) == CalendarDate(year: 1899, month: 12, day: 31))
                #expect(try rows[0].decode(2, as: CalendarDate.self) == CalendarDate(year: 2024, month: 3, day: 1))
                #expect(try rows[0].decode(3, as: CalendarDate?.self) == nil)
            }
        }
    }
}
