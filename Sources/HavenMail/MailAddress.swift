/// An email address as SMTP and a header carry it: `local@domain`, printable ASCII only.
///
/// Checked once, here, so neither an SMTP command (`RCPT TO:<...>`) nor a header can be given a
/// line break, angle brackets or spaces through an address. Internationalised addresses (SMTPUTF8)
/// are not supported: a relay may not take them, and a reminder must not fail halfway.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address, e.g. `noreply@harbor.example`.
    public let address: String

    /// The part after the `@`.
    public var domain: Substring { address[address.index(after: address.lastIndex(of: "@")!)...] }

    /// - Throws: `MailError` (`.invalidAddress`) saying what is wrong, without echoing control characters.
    public init(_ address: String) throws(MailError) {
        guard address.utf8.count <= 254 else {
            throw MailError(.invalidAddress, "an email address is at most 254 characters")
        }
        guard !address.isEmpty,
            address.utf8.allSatisfy({ $0 > 32 && $0 < 127 && !Self.forbidden.contains($0) })
        else {
            throw MailError(
                .invalidAddress,
                "an email address must be plain ASCII with no spaces, line breaks, angle brackets, quotes or commas"
            )
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains("..")
        else {
            throw MailError(.invalidAddress, "an email address looks like name@example.org")
        }
        self.address = address
    }

    public var description: String { address }

    /// Bytes that would let an address escape `<...>` or a header: `<`, `>`, `(`, `)`, `,`, `;`,
    /// `:`, `\`, `"`, `[`, `]`.
    private static let forbidden: Set<UInt8> = Set("<>(),;:\\\"[]".utf8)
}
