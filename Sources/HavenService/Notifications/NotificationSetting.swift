import Foundation
import HavenMail

/// One kind of reminder and who turned it off: the person it goes to (a partner, or a staff member for
/// the counselor's digest; their own settings) and the practice (everyone's). A kind is sent only when
/// neither did (`NotificationSender` checks at send time).
public struct NotificationSetting: Sendable, Equatable {
    public var kind: NotificationKind
    /// The person it goes to turned it off for themselves: the partner, or the staff member for a staff
    /// kind (always false on the practice's page).
    public var partnerOff: Bool
    /// The practice turned it off for everyone.
    public var practiceOff: Bool

    /// The kind in a person's words, for the settings pages.
    public var label: String {
        switch kind {
        case .homeworkNew: "A new item from my counselor"
        case .homeworkDue: "An item due tomorrow"
        case .homeworkOverdue: "An item past its due date"
        case .measureDue: "A questionnaire before a session"
        case .appointmentReminder: "Appointment reminders"
        case .answerDigest: "New homework answers from my clients (at most one email a day)"
        case .invitation, .signInLink: kind.rawValue
        }
    }

    /// The kind in the practice's words, for `/admin/reminders` (its boxes turn a kind off for every
    /// partner or counselor of the practice, under "Send partners an email for" and "Send counselors an
    /// email for").
    public var practiceLabel: String {
        switch kind {
        case .homeworkNew: "A new item from their counselor"
        case .homeworkDue: "An item due tomorrow"
        case .homeworkOverdue: "An item past its due date"
        case .measureDue: "A questionnaire before a session"
        case .appointmentReminder: "Appointment reminders"
        case .answerDigest: "New homework answers from their clients (at most one email a day to each counselor)"
        case .invitation, .signInLink: kind.rawValue
        }
    }
}
