/// What a use case reaches, for the one gate that keeps the front desk out of the charts
/// (`ConnectionPool.transaction(as:reach:...)`).
enum UseCaseReach: Sendable {
    /// Charts, practice settings, the audit log: anything but the calendar. The default, so a new use
    /// case is closed to a scheduler until it says otherwise.
    case clinical
    /// The practice's calendar: listing sessions by time, booking, cancelling. Open to a scheduler.
    case calendar
}
