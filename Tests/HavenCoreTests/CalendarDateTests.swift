import HavenCore
import Testing

@Suite("CalendarDate arithmetic and parsing")
struct CalendarDateTests {
    @Test(arguments: [
        "2024-02-30", "2023-02-29", "2024-13-01", "2024-1-01", "24-01-01", "2024/01/01", "", "abcd-ef-gh",
    ])
    func rejectsMalformedOrImpossibleDates(_ text: String) {
        #expect(CalendarDate(iso8601: text) == nil)
    }

    @Test func parsesAndPrintsISO8601() throws {
        let date = try #require(CalendarDate(iso8601: "2024-02-29"))
        #expect(date.description == "2024-02-29")
        #expect(date.adding(days: 1).description == "2024-03-01")
    }

    @Test func daysSince1970RoundTripsAcrossCenturies() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(CalendarDate(daysSince1970: days).daysSince1970 == days)
        }
        #expect(CalendarDate(daysSince1970: 0).description == "1970-01-01")
        #expect(CalendarDate(daysSince1970: 10_957).description == "2000-01-01")
    }
}
