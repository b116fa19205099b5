import Foundation
import Testing

@testable import HavenMail

@Suite("Mail messages: fixed templates, RFC 5322 bytes, header injection refused")
struct MailMessageTests {
    static let template = try! NotificationTemplate(
        practiceName: "Harbor Demo Counseling",
        timeZone: TimeZone(identifier: "America/New_York")!
    )
    static let from = try! MailAddress("noreply@harbor.example")
    static let to = try! MailAddress("partner@portal.example")
    static let link = URL(string: "https://haven.harbor.example/portal")!
    /// Tuesday 15 December 2026, 15:00 UTC = 10:00 in New York.
    static let appointment = Date(timeIntervalSince1970: 1_797_346_800)

    @Test("the appointment reminder says the day and time in the practice's zone and nothing else")
    func appointmentReminder() throws {
        let (subject, body) = try Self.template.render(.appointmentReminder, time: Self.appointment, link: Self.link)
        #expect(subject == "Your appointment with Harbor Demo Counseling")
        #expect(body.hasPrefix("Your appointment is on Tuesday 15 December at 10:00.\n"))
        #expect(body.contains("\nhttps://haven.harbor.example/portal\n"))
    }

    @Test(
        "the counselor's digest says how many answers wait and nothing else",
        arguments: [(1, "1 new homework answer in"), (3, "3 new homework answers in")]
    )
    func answerDigest(count: Int, says: String) throws {
        let today = URL(string: "https://haven.harbor.example/today")!
        let (subject, body) = try Self.template.render(.answerDigest, time: Self.appointment, link: today, count: count)
        #expect(subject == "New homework answers in Haven")
        #expect(body.hasPrefix("You have \(says) Haven.\n"))
        #expect(body.contains("\nhttps://haven.harbor.example/today\n") && !body.contains("December"))
    }

    @Test("every kind renders to CRLF-only 7bit bytes with the required headers", arguments: NotificationKind.allCases)
    func everyKind(kind: NotificationKind) throws {
        let message = try Self.template.message(
            kind,
            time: Self.appointment,
            link: Self.link,
            from: Self.from,
            to: Self.to,
            date: Self.appointment
        )
        let text = String(decoding: message.rendered(), as: UTF8.self)
        let (head, body) = try #require(Self.split(text))
        #expect(head.contains("Date: Tue, 15 Dec 2026 15:00:00 +0000\r\n"))
        #expect(head.contains("From: \"Harbor Demo Counseling\" <noreply@harbor.example>\r\n"))
        #expect(head.contains("To: <partner@portal.example>\r\n"))
        #expect(head.contains("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"))
        #expect(head.contains("Content-Transfer-Encoding: 7bit"))
        #expect(head.range(of: #"Message-ID: <[0-9a-f]{32}@harbor\.example>"#, options: .regularExpression) != nil)
        #expect(body.contains("https://haven.harbor.example/portal\r\n"))
        #expect(body.contains("Harbor Demo Counseling"))
        // Only CRLF line ends: removing them leaves no CR or LF.
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains(where: { $0 == "\r" || $0 == "\n" }))
        #expect(text.hasSuffix("\r\n"))
    }

    @Test("a non-ASCII practice name goes out as encoded words and quoted-printable, and decodes back")
    func nonASCII() throws {
        let template = try NotificationTemplate(practiceName: "Praxis Zürich Paartherapie", timeZone: .gmt)
        let message = try template.message(
            .homeworkNew,
            time: Self.appointment,
            link: Self.link,
            from: Self.from,
            to: Self.to
        )
        let text = String(decoding: message.rendered(), as: UTF8.self)
        #expect(text.utf8.allSatisfy { $0 < 128 })
        #expect(text.contains("Content-Transfer-Encoding: quoted-printable\r\n"))
        #expect(text.contains("Z=C3=BCrich"))
        // The display name in one encoded word (27 bytes), the header folded before 78 characters.
        let name = "UHJheGlzIFrDvHJpY2ggUGFhcnRoZXJhcGll"
        #expect(text.contains("From: =?utf-8?B?\(name)?=\r\n <noreply@harbor.example>\r\n"))
        #expect(Data(base64Encoded: name).map { String(decoding: $0, as: UTF8.self) } == "Praxis Zürich Paartherapie")
        // The subject in words of at most 30 bytes, split between characters.
        let words = ["WW91IGhhdmUgYSBuZXcgaXRlbSBmcm9tIFByYXhp", "cyBaw7xyaWNoIFBhYXJ0aGVyYXBpZQ=="]
        #expect(text.contains("Subject: =?utf-8?B?\(words[0])?=\r\n =?utf-8?B?\(words[1])?=\r\n"))
        // No header line is longer than 78 characters, no body line than 76.
        let (head, body) = try #require(Self.split(text))
        #expect(head.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(body.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
    }

    @Test("a long ASCII subject is folded at spaces and unfolds to itself")
    func folding() {
        let subject = "Subject: " + Array(repeating: "word", count: 30).joined(separator: " ")
        let folded = MailMessage.folded(subject)
        #expect(folded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(folded.components(separatedBy: "\r\n").count > 1)
        #expect(folded.replacingOccurrences(of: "\r\n", with: "") == subject)
    }

    @Test("quoted-printable: '=', a trailing space, long lines with soft breaks")
    func quotedPrintable() {
        let encoded = QuotedPrintable.encode(["a=b ", String(repeating: "x", count: 100), "é"])
        #expect(
            encoded == "a=3Db=20\r\n" + String(repeating: "x", count: 75) + "=\r\n" + String(repeating: "x", count: 25)
                + "\r\n=C3=A9\r\n"
        )
    }

    @Test(
        "a line break or control character in a header value is refused",
        arguments: ["Harbor\r\nBcc: victim@example.org", "Harbor\nX-Evil: 1", "Harbor\r", "tab\tname", "nul\u{0}"]
    )
    func headerInjection(value: String) {
        #expect(throws: MailError.self) {
            try MailMessage(fromName: value, from: Self.from, to: Self.to, subject: "s", body: "b")
        }
        #expect(throws: MailError.self) {
            try MailMessage(fromName: "Harbor", from: Self.from, to: Self.to, subject: value, body: "b")
        }
        #expect(throws: MailError.self) { try NotificationTemplate(practiceName: value, timeZone: .gmt) }
    }

    @Test(
        "addresses that could escape a header or an SMTP command are refused",
        arguments: [
            "", "plain", "a@b", "a@@b.example", "a b@c.example", "a@b.example\r\nRCPT TO:<x@y.example>",
            "<a@b.example>",
            "a@b.example>", "\"a\"@b.example", "a,b@c.example", "jörg@b.example", "a@.example", "a@b..example",
            "@b.example",
        ]
    )
    func badAddresses(address: String) {
        #expect(throws: MailError.self) { try MailAddress(address) }
    }

    @Test(
        "a link that is not absolute http(s) is refused",
        arguments: ["javascript:alert(1)", "/portal", "ftp://x.example/"]
    )
    func badLinks(link: String) throws {
        let url = try #require(URL(string: link))
        #expect(throws: MailError.self) { try Self.template.render(.invitation, time: Self.appointment, link: url) }
    }

    @Test("dot-stuffing doubles a leading dot on every line, and only there")
    func dotStuffing() {
        let stuffed = SMTPTransport.dotStuffed(Array(".a\r\nb.c\r\n.\r\n..d\r\n".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "..a\r\nb.c\r\n..\r\n...d\r\n")
    }

    /// Headers and body of a rendered message.
    static func split(_ text: String) -> (String, String)? {
        guard let range = text.range(of: "\r\n\r\n") else { return nil }
        return (String(text[..<range.upperBound]), String(text[range.upperBound...]))
    }
}
