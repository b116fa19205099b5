import Foundation
import HavenMail

extension MailConfiguration {
    /// Mail to the local SMTP server `scripts/test` starts (`HAVEN_TEST_SMTP_PORT`, its plain port),
    /// from the test practice's no-reply address: what every suite that sends real mail uses.
    ///
    /// - Throws: `MailError` never in practice (the sender address is fixed and valid).
    public static func testSMTP() throws -> MailConfiguration {
        let port = Int(ProcessInfo.processInfo.environment["HAVEN_TEST_SMTP_PORT"] ?? "") ?? 0
        return MailConfiguration(
            transport: SMTPTransport(host: "127.0.0.1", port: port, replyTimeout: .seconds(10)),
            from: try MailAddress("noreply@harbor.example")
        )
    }
}
