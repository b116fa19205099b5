import Foundation
import Testing

@testable import HavenMail

@Suite("Mail configuration: environment and flags, errors in the operator's words")
struct MailConfigurationTests {
    @Test("no HAVEN_MAIL: no mail")
    func unset() throws {
        #expect(try MailSettings(environment: [:]).resolve() == nil)
    }

    @Test("smtp://host:port with a sender: an SMTP transport, STARTTLS when offered")
    func smtp() throws {
        let settings = MailSettings(environment: [
            "HAVEN_MAIL": "smtp://relay.harbor.example:587", "HAVEN_MAIL_FROM": "noreply@harbor.example",
        ])
        let configuration = try #require(try settings.resolve())
        let transport = try #require(configuration.transport as? SMTPTransport)
        #expect(transport.host == "relay.harbor.example")
        #expect(transport.port == 587)
        #expect(transport.startTLS == .whenOffered)
        #expect(transport.credentials == nil)
        #expect(configuration.from.address == "noreply@harbor.example")
    }

    @Test("a flag wins over its variable")
    func flagsWin() throws {
        let settings = MailSettings(environment: [
            "HAVEN_MAIL": "smtp://relay.example", "HAVEN_MAIL_FROM": "a@harbor.example",
        ])
        .overridden(by: MailSettings(mail: "smtp://127.0.0.1:2525", startTLS: "never"))
        let transport = try #require(try settings.resolve()?.transport as? SMTPTransport)
        #expect(transport.host == "127.0.0.1" && transport.port == 2525 && transport.startTLS == .never)
    }

    @Test("sendmail and sendmail:COMMAND")
    func sendmail() throws {
        let custom = MailSettings(mail: "sendmail:/bin/cat -u", from: "a@harbor.example")
        let transport = try #require(try custom.resolve()?.transport as? SendmailTransport)
        #expect(transport.executable == "/bin/cat")
        #expect(transport.arguments == ["-u"])
        let missing = MailSettings(mail: "sendmail:/nonexistent/sendmail -t", from: "a@harbor.example")
        #expect(Self.message(missing).contains("not an executable file"))
    }

    @Test(
        "bad settings are refused, naming what to fix",
        arguments: [
            (MailSettings(mail: "smtp://relay.example"), "HAVEN_MAIL_FROM"),
            (MailSettings(from: "a@harbor.example"), "HAVEN_MAIL (--mail)"),
            (MailSettings(mail: "http://relay.example", from: "a@harbor.example"), "smtp://HOST[:PORT]"),
            (
                MailSettings(mail: "smtp://user:secret@relay.example", from: "a@harbor.example"),
                "HAVEN_MAIL_CREDENTIALS_FILE"
            ),
            (MailSettings(mail: "smtp://relay.example", from: "not an address"), "HAVEN_MAIL_FROM"),
            (MailSettings(mail: "smtp://relay.example", from: "a@harbor.example", startTLS: "maybe"), "when-offered"),
            (
                MailSettings(mail: "smtp://relay.example", from: "a@harbor.example", startTLS: "never"),
                "only for a relay on this machine"
            ),
            (MailSettings(mail: "sendmail", from: "a@harbor.example", startTLS: "required"), "SMTP only"),
            (
                MailSettings(mail: "smtp://relay.example", from: "a@harbor.example", caFile: "/nonexistent.pem"),
                "cannot read"
            ),
        ]
    )
    func refused(settings: MailSettings, expected: String) {
        let message = Self.message(settings)
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("secret"))
    }

    @Test("the credentials file: two lines, refused when group or others can read it")
    func credentialsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("haven-mail-\(UUID()).credentials")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "relay-user\nrelay-password-xyz\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let settings = MailSettings(mail: "smtp://relay.example", from: "a@harbor.example", credentialsFile: path)
        let message = Self.message(settings)
        #expect(message.contains("chmod 600 \(path)"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let transport = try #require(try settings.resolve()?.transport as? SMTPTransport)
        #expect(transport.credentials?.username == "relay-user")
        #expect(transport.credentials?.password == "relay-password-xyz")
        #expect(!transport.summary.contains("relay-password-xyz"))
        // Written on Windows: "\r\n" is one `Character` to Swift, and still two lines.
        try "relay-user\r\nrelay-password-xyz\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let crlf = try #require(try settings.resolve()?.transport as? SMTPTransport)
        #expect(crlf.credentials?.username == "relay-user")
        #expect(crlf.credentials?.password == "relay-password-xyz")
        try "only-a-user\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(Self.message(settings).contains("first line"))
    }

    static func message(_ settings: MailSettings) -> String {
        do {
            _ = try settings.resolve()
            return "no error"
        } catch {
            #expect(error.code == .configuration)
            return error.detail
        }
    }
}
