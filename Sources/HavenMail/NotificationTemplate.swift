import Foundation

/// Renders a `NotificationKind` into a subject and a body from the only inputs a message may have:
/// the practice's display name, a date and time (shown in the practice's time zone), a count (the
/// counselor's digest: how many answers wait) and a link (the portal, or the staff app's day page).
/// There is no field for anything else, so no prompt, answer, diagnosis or name of a client can reach
/// a message, whatever a caller holds.
public struct NotificationTemplate: Sendable {
    /// The practice's display name, e.g. "Harbor Demo Counseling" (at most 100 characters, no
    /// control characters).
    public let practiceName: String
    /// The practice's time zone, in which times are shown.
    public let timeZone: TimeZone

    /// - Throws: `MailError` (`.invalidContent`) for an empty or overlong name or one with control
    ///   characters.
    public init(practiceName: String, timeZone: TimeZone) throws(MailError) {
        let trimmed = practiceName.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 100,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw MailError(
                .invalidContent,
                "the practice's display name must be 1 to 100 characters with no line breaks"
            )
        }
        self.practiceName = trimmed
        self.timeZone = timeZone
    }

    /// The subject and body of a message of `kind` about `time`, pointing at `link`; `count` is the
    /// digest's number of answers (other kinds ignore it).
    ///
    /// - Throws: `MailError` (`.invalidContent`) when the link is not an absolute http(s) URL
    ///   without spaces or control characters.
    public func render(
        _ kind: NotificationKind,
        time: Date,
        link: URL,
        count: Int = 0
    ) throws(MailError) -> (subject: String, body: String) {
        let url = link.absoluteString
        guard let scheme = link.scheme?.lowercased(), scheme == "https" || scheme == "http", link.host != nil,
            url.utf8.count <= 900, url.utf8.allSatisfy({ $0 > 32 && $0 < 127 })
        else {
            throw MailError(.invalidContent, "a message's link must be an absolute http(s) URL")
        }
        let name = practiceName
        let when = Self.shown(time, in: timeZone)
        // Homework is due on a date, not at a time.
        let day = Self.shownDay(time, in: timeZone)
        let subject: String
        let lines: [String]
        switch kind {
        case .invitation:
            subject = "Your invitation from \(name)"
            lines = [
                "\(name) has invited you to its client portal.",
                "",
                "Open this link to set up your account (it works once and expires on \(when)):",
                url,
            ]
        case .signInLink:
            subject = "Your sign-in link for \(name)"
            lines = [
                "Open this link to sign in to \(name)'s client portal (it works once and expires on \(when)):",
                url,
                "",
                "If you did not ask for it, you can ignore this message.",
            ]
        case .homeworkNew:
            subject = "You have a new item from \(name)"
            lines = ["You have a new item from \(name), due on \(day).", "", "See it on the portal:", url]
        case .homeworkDue:
            subject = "An item from \(name) is due soon"
            lines = ["You have an item from \(name) due on \(day).", "", "See it on the portal:", url]
        case .homeworkOverdue:
            subject = "An item from \(name) is waiting"
            lines = ["An item from \(name) was due on \(day) and is still waiting.", "", "See it on the portal:", url]
        case .measureDue:
            subject = "Before your next session with \(name)"
            lines = [
                "Please fill in a short questionnaire before your session on \(when).",
                "",
                "It is on the portal:",
                url,
            ]
        case .appointmentReminder:
            subject = "Your appointment with \(name)"
            lines = ["Your appointment is on \(when).", "", "The portal has the details:", url]
        case .answerDigest:
            let answers = count == 1 ? "1 new homework answer" : "\(max(count, 0)) new homework answers"
            subject = "New homework answers in Haven"
            lines = ["You have \(answers) in Haven.", "", "Read them in Haven:", url]
        }
        let footer = ["", "This is an automatic message from \(name); replies are not read."]
        return (subject, (lines + footer).joined(separator: "\n") + "\n")
    }

    /// "Tuesday 15 December at 10:00" in the time zone given, in English, 24-hour clock.
    public static func shown(_ time: Date, in timeZone: TimeZone) -> String {
        time.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(weekday: .wide) \(day: .defaultDigits) \(month: .wide) at \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
                locale: Locale(identifier: "en_US_POSIX"),
                timeZone: timeZone,
                calendar: Calendar(identifier: .gregorian)
            )
        )
    }

    /// "Tuesday 15 December" in the time zone given, in English.
    public static func shownDay(_ time: Date, in timeZone: TimeZone) -> String {
        time.formatted(
            Date.VerbatimFormatStyle(
                format: "\(weekday: .wide) \(day: .defaultDigits) \(month: .wide)",
                locale: Locale(identifier: "en_US_POSIX"),
                timeZone: timeZone,
                calendar: Calendar(identifier: .gregorian)
            )
        )
    }

    /// A whole message of `kind` from the practice to `recipient` (`count` as `render` takes it).
    ///
    /// - Throws: `MailError` for a bad link or header value.
    public func message(
        _ kind: NotificationKind,
        time: Date,
        link: URL,
        count: Int = 0,
        from: MailAddress,
        to recipient: MailAddress,
        date: Date = Date()
    ) throws(MailError) -> MailMessage {
        let (subject, body) = try render(kind, time: time, link: link, count: count)
        return try MailMessage(
            fromName: practiceName,
            from: from,
            to: recipient,
            subject: subject,
            body: body,
            date: date
        )
    }
}
