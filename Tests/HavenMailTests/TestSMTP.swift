import Foundation
import HavenMail

/// The local SMTP server `scripts/test` starts (scripts/lib/smtp_sink.py): its ports, its
/// certificate, the relay account, and the messages it received.
enum TestSMTP {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var plainPort: Int { Int(environment["HAVEN_TEST_SMTP_PORT"] ?? "") ?? 0 }
    static var tlsPort: Int { Int(environment["HAVEN_TEST_SMTP_TLS_PORT"] ?? "") ?? 0 }
    static var caFile: String { environment["HAVEN_TEST_SMTP_CA_FILE"] ?? "" }
    static var credentialsFile: String { environment["HAVEN_TEST_SMTP_CREDENTIALS_FILE"] ?? "" }
    static var directory: String { environment["HAVEN_TEST_SMTP_DIR"] ?? "" }

    /// What the server stored for one message.
    struct Received {
        /// The bytes after DATA, as the server un-dot-stuffed them.
        let bytes: [UInt8]
        let mailFrom: String
        let rcptTo: [String]
        let tls: Bool
        let authenticated: Bool
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// The message whose Message-ID header is `messageID`, or nil if none arrived.
    static func received(messageID: String) throws -> Received? {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".eml") }
        let needle = Array("Message-ID: \(messageID)\r\n".utf8)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")))
            guard bytes.firstRange(of: needle) != nil else { continue }
            let json = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name.dropLast(4)).json"))
            let meta = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
            return Received(
                bytes: bytes,
                mailFrom: meta["mailFrom"] as? String ?? "",
                rcptTo: meta["rcptTo"] as? [String] ?? [],
                tls: meta["tls"] as? Bool ?? false,
                authenticated: meta["authenticated"] as? Bool ?? false
            )
        }
        return nil
    }

    /// A recipient no other test uses; `local` steers the server's answer (refuse-temp, refuse-perm,
    /// data-temp, data-perm).
    static func recipient(_ local: String? = nil) throws -> MailAddress {
        try MailAddress("\(local ?? "partner-\(UUID().uuidString.prefix(8).lowercased())")@portal.example")
    }

    /// The fixtures' names and sentinel words, none of which may appear in any message.
    static let forbiddenWords = [
        "Alex", "Morgan", "Jordan", "Lee", "Sam Ortiz", "Dana Reyes", "SENTINEL", "Harbor Counseling", "Test Practice",
    ]
}
