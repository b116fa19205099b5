import Postgres

/// A day for the driver's own tests of PostgreSQL `date`: the driver has no calendar type (Haven's is
/// `CalendarDate`, in HavenCore), only the wire format every conforming type shares.
struct TestDay: PostgresDateConvertible, Equatable {
    let daysSince1970: Int

    init(daysSince1970 days: Int) {
        self.daysSince1970 = days
    }
}
