import Foundation
import HavenTestSupport
import Testing

@testable import HavenMail

#if canImport(Glibc)
import Glibc
#endif

@Suite("SMTP: a real conversation with the local aiosmtpd server", .needsTestSMTP)
struct SMTPTransportTests {
    static let template = MailMessageTests.template
    static let from = MailMessageTests.from

    func message(to recipient: MailAddress, kind: NotificationKind = .appointmentReminder) throws -> MailMessage {
        try Self.template.message(
            kind,
            time: MailMessageTests.appointment,
            link: MailMessageTests.link,
            from: Self.from,
            to: recipient
        )
    }

    var plain: SMTPTransport { SMTPTransport(host: "127.0.0.1", port: TestSMTP.plainPort, replyTimeout: .seconds(10)) }

    @Test("every kind arrives byte for byte, with no fixture name in it", arguments: NotificationKind.allCases)
    func delivered(kind: NotificationKind) async throws {
        let recipient = try TestSMTP.recipient()
        let sent = try message(to: recipient, kind: kind)
        try await plain.send(sent)
        let received = try #require(try TestSMTP.received(messageID: sent.messageID))
        #expect(received.bytes == sent.rendered())
        #expect(received.mailFrom == "noreply@harbor.example")
        #expect(received.rcptTo == [recipient.address])
        #expect(!received.tls)
        for word in TestSMTP.forbiddenWords {
            #expect(!received.text.contains(word), "\(word) in a \(kind) message")
        }
    }

    @Test("lines starting with a dot survive the dot-stuffing")
    func dots() async throws {
        let sent = try MailMessage(
            fromName: "Harbor",
            from: Self.from,
            to: try TestSMTP.recipient(),
            subject: "dots",
            body: ".\n..two\n.three\nlast\n"
        )
        try await plain.send(sent)
        let received = try #require(try TestSMTP.received(messageID: sent.messageID))
        #expect(received.bytes == sent.rendered())
        #expect(received.text.hasSuffix("\r\n\r\n.\r\n..two\r\n.three\r\nlast\r\n"))
    }

    @Test("STARTTLS with the relay's certificate verified, then AUTH PLAIN")
    func startTLSAndAuth() async throws {
        let credentials = try MailSettings.credentials(TestSMTP.credentialsFile)
        let transport = SMTPTransport(
            host: "127.0.0.1",
            port: TestSMTP.tlsPort,
            startTLS: .required,
            credentials: credentials,
            caFile: TestSMTP.caFile,
            replyTimeout: .seconds(10)
        )
        let sent = try message(to: try TestSMTP.recipient())
        try await transport.send(sent)
        let received = try #require(try TestSMTP.received(messageID: sent.messageID))
        #expect(received.tls)
        #expect(received.authenticated)
        #expect(received.bytes == sent.rendered())
    }

    @Test("AUTH LOGIN when PLAIN is not to be used")
    func authLogin() async throws {
        var transport = SMTPTransport(
            host: "127.0.0.1",
            port: TestSMTP.tlsPort,
            credentials: try MailSettings.credentials(TestSMTP.credentialsFile),
            caFile: TestSMTP.caFile,
            replyTimeout: .seconds(10)
        )
        transport.authMechanisms = ["LOGIN"]
        let sent = try message(to: try TestSMTP.recipient())
        try await transport.send(sent)
        let received = try #require(try TestSMTP.received(messageID: sent.messageID))
        #expect(received.tls && received.authenticated)
    }

    @Test("no answer after the message's end: retry later but marked 'may have been sent' (and it was)")
    func uncertain() async throws {
        // Ten seconds for every reply (750 ms once timed out before the message's end on a loaded machine);
        // the sink answers the end of this recipient's message after thirty.
        let transport = SMTPTransport(host: "127.0.0.1", port: TestSMTP.plainPort, replyTimeout: .seconds(10))
        let sent = try message(to: try TestSMTP.recipient("data-slow"))
        let error = try await #require(throws: MailError.self) { try await transport.send(sent) }
        #expect(error.mayHaveBeenSent)
        #expect(error.disposition == .retryLater)
        #expect(error.detail.contains("may have been delivered"))
        // The server stored it before answering: exactly why an outbox must not send it again.
        var received: TestSMTP.Received?
        for _ in 0..<100 where received == nil {
            try await Task.sleep(for: .milliseconds(100))
            received = try TestSMTP.received(messageID: sent.messageID)
        }
        #expect(received?.bytes == sent.rendered())
    }

    @Test("a certificate the client does not trust: no message, retry later")
    func untrustedCertificate() async throws {
        let transport = SMTPTransport(host: "127.0.0.1", port: TestSMTP.tlsPort, replyTimeout: .seconds(10))
        let sent = try message(to: try TestSMTP.recipient())
        let error = try await #require(throws: MailError.self) { try await transport.send(sent) }
        #expect(error.code == .security)
        #expect(error.detail.contains("certificate"))
        #expect(error.disposition == .retryLater)
        #expect(try TestSMTP.received(messageID: sent.messageID) == nil)
    }

    @Test("a relay named by DNS name: SNI and the name check pass for a name on the certificate")
    func hostName() async throws {
        let transport = SMTPTransport(
            host: "localhost",
            port: TestSMTP.tlsPort,
            startTLS: .required,
            caFile: TestSMTP.caFile,
            replyTimeout: .seconds(10)
        )
        let sent = try message(to: try TestSMTP.recipient())
        try await transport.send(sent)
        #expect(try TestSMTP.received(messageID: sent.messageID)?.tls == true)
    }

    @Test("a wrong relay password is a 535: failed, and the password is in no error")
    func wrongPassword() async throws {
        let transport = SMTPTransport(
            host: "127.0.0.1",
            port: TestSMTP.tlsPort,
            credentials: .init(username: "haven-mail-test", password: "wrong-password-xyz"),
            caFile: TestSMTP.caFile,
            replyTimeout: .seconds(10)
        )
        let error = try await #require(throws: MailError.self) {
            try await transport.send(try message(to: try TestSMTP.recipient()))
        }
        #expect(error.replyCode == 535)
        #expect(error.disposition == .failed)
        #expect(!error.detail.contains("wrong-password-xyz"))
    }

    @Test("STARTTLS required but not offered: retry later, nothing sent")
    func startTLSRequired() async throws {
        let transport = SMTPTransport(
            host: "127.0.0.1",
            port: TestSMTP.plainPort,
            startTLS: .required,
            replyTimeout: .seconds(10)
        )
        let sent = try message(to: try TestSMTP.recipient())
        let error = try await #require(throws: MailError.self) { try await transport.send(sent) }
        #expect(error.code == .security)
        #expect(error.disposition == .retryLater)
        #expect(try TestSMTP.received(messageID: sent.messageID) == nil)
    }

    @Test(
        "the relay's answers map to retry later (4xx) or failed (5xx), without the recipient in the error",
        arguments: [
            ("refuse-temp", 450, MailError.Disposition.retryLater), ("refuse-perm", 550, .failed),
            ("data-temp", 451, .retryLater), ("data-perm", 554, .failed),
        ]
    )
    func refusals(local: String, code: Int, disposition: MailError.Disposition) async throws {
        let sent = try message(to: try TestSMTP.recipient(local))
        let error = try await #require(throws: MailError.self) { try await plain.send(sent) }
        #expect(error.replyCode == code)
        #expect(error.disposition == disposition)
        #expect(!error.mayHaveBeenSent)
        #expect(!error.detail.contains(local))
        #expect(error.detail.contains("\(code)"))
        #expect(try TestSMTP.received(messageID: sent.messageID) == nil)
    }

    @Test("a dead relay (nothing listening) is retry later")
    func deadRelay() async throws {
        let port = try Self.freePort()
        let transport = SMTPTransport(host: "127.0.0.1", port: port, replyTimeout: .seconds(5))
        let error = try await #require(throws: MailError.self) {
            try await transport.send(try message(to: try TestSMTP.recipient()))
        }
        #expect(error.code == .network)
        #expect(error.disposition == .retryLater)
        #expect(error.detail.contains("connection refused"))
    }

    @Test("a relay that accepts the connection and never answers: the timeout ends it, retry later")
    func silentRelay() async throws {
        // A listening socket nobody accepts on: the kernel completes the handshake, no greeting comes.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let transport = SMTPTransport(host: "127.0.0.1", port: port, replyTimeout: .seconds(1))
        let started = ContinuousClock.now
        let error = try await #require(throws: MailError.self) {
            try await transport.send(try message(to: try TestSMTP.recipient()))
        }
        #expect(error.detail.contains("did not answer in time"))
        #expect(error.disposition == .retryLater)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// A loopback port nothing listens on (bound, read, released).
    static func freePort() throws -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
