import HavenCore

extension SessionService {
    /// How long a session may be, in minutes. The database holds the same range
    /// (`therapy_sessions_duration`, whose upper end is `haven_session_longest_minutes()`, the bound the
    /// counselor's slot check reads too); SchedulingIntegrityTests compares the two.
    public static let durationMinutes: ClosedRange<Int> = 5...480

    /// The refusal of a duration that is not a whole number of minutes in `durationMinutes`, naming the
    /// field a request or a form uses.
    public static var invalidDuration: ServiceError {
        ServiceError(
            .invalidInput,
            field: "durationMinutes",
            "must be \(durationMinutes.lowerBound) to \(durationMinutes.upperBound) minutes"
        )
    }

    /// Refuses a duration outside `durationMinutes`.
    static func checkDuration(_ minutes: Int) throws(ServiceError) {
        guard durationMinutes.contains(minutes) else { throw invalidDuration }
    }
}
