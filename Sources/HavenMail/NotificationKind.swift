/// The kinds of message Haven sends. Each has one fixed template (`NotificationTemplate`) whose only
/// inputs are the practice's display name, a date and time, a count and a link: none can carry clinical
/// text.
public enum NotificationKind: String, Sendable, CaseIterable, Codable {
    /// A partner's invitation to the portal; the time is when the link expires.
    case invitation = "invitation"
    /// A one-time sign-in link; the time is when it expires.
    case signInLink = "sign-in-link"
    /// A new homework item; the time is the start of its due date (shown as the date only).
    case homeworkNew = "homework-new"
    /// Homework due soon (sent the day before); the time is the start of its due date.
    case homeworkDue = "homework-due"
    /// Homework past its due date and still unanswered; the time is the start of its due date.
    case homeworkOverdue = "homework-overdue"
    /// A questionnaire to fill in before a session; the time is the session's.
    case measureDue = "measure-due"
    /// An appointment reminder; the time is the appointment's.
    case appointmentReminder = "appointment-reminder"
    /// A counselor's digest of the portal answers they have not read yet (shared or not; at most one a
    /// day, to the staff member's address); the time is when the first of them arrived, the count how
    /// many there are.
    case answerDigest = "answer-digest"

    /// Whether the kind goes to a staff member (the counselor's digest) rather than to a partner.
    public var isForStaff: Bool { self == .answerDigest }
}
