import Foundation

/// The messages the test SMTP server (`scripts/lib/smtp_sink.py`, started by `scripts/test`) stored in
/// `HAVEN_TEST_SMTP_DIR`: one `.eml` and one `.json` (envelope) per message.
public enum TestMailbox {
    /// The messages received for `address`, oldest name first, with quoted-printable soft line breaks
    /// undone (so a long link reads whole).
    public static func received(for address: String) throws -> [String] {
        let directory = ProcessInfo.processInfo.environment["HAVEN_TEST_SMTP_DIR"] ?? ""
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
            .compactMap { name in
                let meta = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
                let message = "\(directory)/\(name.dropLast(5)).eml"
                // The server writes the envelope first and renames the message into place after it.
                guard meta.contains("\"\(address)\""), FileManager.default.fileExists(atPath: message) else {
                    return nil
                }
                return try String(contentsOfFile: message, encoding: .utf8)
                    .replacingOccurrences(of: "=\r\n", with: "")
            }
    }
}
