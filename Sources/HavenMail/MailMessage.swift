import Foundation

/// One plain-text email, ready to render as RFC 5322 bytes.
///
/// Every header value is checked for control characters when the message is made (a CR or LF in a
/// value would start a header of an attacker's choosing); non-ASCII display names and subjects are
/// written as RFC 2047 encoded words; the body goes out as 7bit when it is short-lined ASCII and
/// quoted-printable otherwise, always with CRLF line ends.
public struct MailMessage: Sendable, Equatable {
    /// The sender's display name (the practice), shown by mail programs.
    public let fromName: String
    public let from: MailAddress
    public let to: MailAddress
    public let subject: String
    /// Plain text; line ends are normalised to CRLF when rendered.
    public let body: String
    public let date: Date
    /// `<random@from-domain>`.
    public let messageID: String

    /// - Throws: `MailError` (`.invalidHeader`) for a display name or subject with a control character.
    public init(
        fromName: String,
        from: MailAddress,
        to: MailAddress,
        subject: String,
        body: String,
        date: Date = Date(),
        messageID: String? = nil
    ) throws(MailError) {
        for (name, value) in [("the sender's name", fromName), ("the subject", subject)] {
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw MailError(.invalidHeader, "\(name) must not contain line breaks or control characters")
            }
            guard value.utf8.count <= 200 else {
                throw MailError(.invalidHeader, "\(name) is longer than 200 bytes")
            }
        }
        self.fromName = fromName
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID ?? "<\(Self.randomToken())@\(from.domain)>"
    }

    /// The message as it goes over the wire (before SMTP's dot-stuffing): headers, a blank line,
    /// the body, CRLF line ends, ending with CRLF.
    public func rendered() -> [UInt8] {
        let lines = Self.bodyLines(body)
        let plain = lines.allSatisfy { line in line.utf8.count <= 998 && line.utf8.allSatisfy { $0 < 128 } }
        var headers = [
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageID)",
            "From: \(Self.displayName(fromName)) <\(from.address)>",
            "To: <\(to.address)>",
            "Subject: \(Self.encodedWord(subject))",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        headers.append("Content-Transfer-Encoding: \(plain ? "7bit" : "quoted-printable")")
        headers.append("Auto-Submitted: auto-generated")
        var text = headers.map(Self.folded).joined(separator: "\r\n") + "\r\n\r\n"
        if plain {
            text += lines.map { $0 + "\r\n" }.joined()
        } else {
            text += QuotedPrintable.encode(lines)
        }
        return Array(text.utf8)
    }

    /// The body's lines without their line ends (CRLF, LF or CR), dropping one trailing line end.
    static func bodyLines(_ body: String) -> [String] {
        let normalised = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = normalised.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A header line folded (RFC 5322 §2.2.3) at spaces so that each line is at most 78 characters
    /// where the words allow it; unfolding gives back the same line.
    static func folded(_ header: String) -> String {
        guard header.utf8.count > 78 else { return header }
        var lines: [String] = []
        var current = ""
        for word in header.split(separator: " ", omittingEmptySubsequences: false) {
            if current.isEmpty {
                current = String(word)
            } else if current.utf8.count + 1 + word.utf8.count > 78 {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// A display name as a quoted string, or as an encoded word when it is not plain ASCII.
    static func displayName(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
        return encodedWord(name)
    }

    /// The text as is when it is printable ASCII, else as RFC 2047 `=?utf-8?B?...?=` words of at
    /// most 75 characters each, split between characters, separated by spaces (where `folded` may
    /// break the line).
    static func encodedWord(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 30 {
                words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: " ")
    }

    /// RFC 5322's date, in UTC: `Tue, 15 Dec 2026 10:00:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) +0000",
                locale: Locale(identifier: "en_US_POSIX"),
                timeZone: TimeZone(identifier: "UTC")!,
                calendar: Calendar(identifier: .gregorian)
            )
        )
    }

    /// 32 hex digits from the system's random source.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
