import Foundation
import HavenTestSupport
import Testing

@testable import HavenMail

@Suite("sendmail interface: msmtp as the command, pointed at the local aiosmtpd server", .needsTestSMTP)
struct SendmailTransportTests {
    /// msmtp with no configuration file, reading the recipients and the envelope sender from the headers.
    func msmtp(port: Int = TestSMTP.plainPort) throws -> SendmailTransport {
        try SendmailTransport(command: "msmtp -C /dev/null --host=127.0.0.1 --port=\(port) --read-envelope-from -t -i")
    }

    func message(to recipient: MailAddress) throws -> MailMessage {
        try MailMessageTests.template.message(
            .measureDue,
            time: MailMessageTests.appointment,
            link: MailMessageTests.link,
            from: MailMessageTests.from,
            to: recipient
        )
    }

    @Test("a message goes through msmtp and arrives byte for byte")
    func delivered() async throws {
        let recipient = try TestSMTP.recipient()
        let sent = try message(to: recipient)
        try await msmtp().send(sent)
        let received = try #require(try TestSMTP.received(messageID: sent.messageID))
        #expect(received.bytes == sent.rendered())
        #expect(received.rcptTo == [recipient.address])
        #expect(received.mailFrom == "noreply@harbor.example")
    }

    @Test(
        "msmtp's exit status maps to retry later or failed",
        arguments: [
            ("refuse-temp", Int32(69), MailError.Disposition.retryLater), ("refuse-perm", 65, .failed),
            ("data-temp", 69, .retryLater),
        ]
    )
    func refusals(local: String, status: Int32, disposition: MailError.Disposition) async throws {
        let sent = try message(to: try TestSMTP.recipient(local))
        let error = try await #require(throws: MailError.self) { try await msmtp().send(sent) }
        #expect(error.detail.contains("status \(status)"))
        #expect(error.disposition == disposition)
        #expect(!error.detail.contains(local))
        #expect(try TestSMTP.received(messageID: sent.messageID) == nil)
    }

    @Test("a dead relay behind msmtp (EX_TEMPFAIL) is retry later")
    func deadRelay() async throws {
        let error = try await #require(throws: MailError.self) {
            try await msmtp(port: try SMTPTransportTests.freePort()).send(try message(to: try TestSMTP.recipient()))
        }
        #expect(error.detail.contains("status 75"))
        #expect(error.disposition == .retryLater)
    }

    @Test("a command that hangs is stopped at its timeout: retry later, maybe sent")
    func hangs() async throws {
        let transport = try SendmailTransport(command: "/bin/sleep 30", timeout: .milliseconds(300))
        let started = ContinuousClock.now
        let error = try await #require(throws: MailError.self) {
            try await transport.send(try message(to: try TestSMTP.recipient()))
        }
        #expect(error.disposition == .retryLater)
        #expect(error.mayHaveBeenSent)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("a command that is not there is a configuration error")
    func missing() {
        #expect(throws: MailError.self) { try SendmailTransport(command: "/nonexistent/sendmail -t -i") }
        #expect(throws: MailError.self) { try SendmailTransport(command: "   ") }
    }
}
