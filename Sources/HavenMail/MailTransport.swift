/// Hands a message to the mail system: `SMTPTransport` (a relay) or `SendmailTransport` (the
/// system's sendmail interface).
///
/// `send` returns when the relay or command accepted the message; it throws `MailError`, whose
/// `disposition` says whether to retry later (4xx, network, timeout, a temporary exit status) or
/// to give up (5xx, a permanent exit status).
public protocol MailTransport: Sendable {
    /// Sends one message to its `to` address.
    func send(_ message: MailMessage) async throws(MailError)

    /// Where messages go, for logs and `haven notify status` (no credentials).
    var summary: String { get }
}
