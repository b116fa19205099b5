import Foundation
import HavenMail
import Postgres
import Sealing

extension PortalService {
    /// How long a sign-in link works (the database's `haven_portal_sign_in_link_life`).
    public static let signInLinkLife: Duration = .seconds(15 * 60)

    /// Whether sign-in links can be sent: mail is configured and the master key is loaded (a link
    /// needs its attestation, migration 0046).
    public var sendsSignInLinks: Bool { mail != nil && keys != nil }

    /// Asks for a sign-in link for `email` (docs/portal.md "Access"). When the address is an enabled
    /// account with a live chart, the database stores the new link's hash (superseding the account's
    /// open one) and the message is sent by a task of its own, so that what the caller waits for is the
    /// same database call whether or not the address is known. The message is the fixed sign-in-link
    /// template (the practice's name, the link, when it expires). Requests are counted per address and
    /// across the database (`haven_portal_request_sign_in_link`); past a limit nothing is sent.
    ///
    /// - Parameter portal: the portal's address (`https://host/portal`); the link is
    ///   `portal/sign-in/{token}`.
    /// - Returns: the sending task (true when the mail system took the message), or nil when nothing is
    ///   sent. Callers answer the person the same either way; tests await it.
    @discardableResult
    public func requestSignInLink(
        email: String,
        portal: URL,
        source: String,
        requestID: String? = nil
    ) async throws -> Task<Bool, Never>? {
        try AuthService.checkOrigin(source: source, requestID: requestID)
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard let mail, let keys, normalized.utf8.count <= 320 else { return nil }
        let token = try SessionToken.generate()
        let (version, mac) = keys.attest(signInLink: token.storageHash)
        let issued = try await pool.query(
            """
            SELECT practice_name, time_zone, expires_at
            FROM haven_portal_request_sign_in_link(\(normalized), \(token.storageHash), \(version), \(mac), \
            \(source), \(requestID))
            """
        ).singleRow().map { try $0.decode((String, String, Date).self) }
        guard let issued else { return nil }
        let (name, zone, expires) = issued
        let link = portal.appending(path: "sign-in").appending(path: token.value)
        return Task {
            do throws(MailError) {
                let template = try NotificationTemplate(
                    practiceName: name,
                    timeZone: TimeZone(identifier: zone) ?? .gmt
                )
                let message = try template.message(
                    .signInLink,
                    time: expires,
                    link: link,
                    from: mail.from,
                    to: try MailAddress(normalized)
                )
                try await mail.transport.send(message)
                return true
            } catch {
                return false
            }
        }
    }

    /// Spends a sign-in link (the POST from its page) and opens a session as `signIn(email:passphrase:)`
    /// does; the try is noted (committed) first.
    ///
    /// - Throws: `unauthenticated` naming `link` for a link that does not work: unknown, used,
    ///   replaced by a newer one, older than 15 minutes, an invitation's, or an account closed since.
    public func signIn(link token: SessionToken, source: String, requestID: String? = nil) async throws -> SignIn {
        try AuthService.checkOrigin(source: source, requestID: requestID)
        let key = InvitationKey.link(token)
        let hash = token.storageHash
        let ticket = try await noteTry(key, hash, source, requestID)
        let session = try SessionToken.generate()
        let row = try await pool.query(
            """
            SELECT outcome, charts, absolute_expires_at
            FROM haven_portal_spend_sign_in_link(\(ticket), \(hash), \(session.storageHash), \
            \(Int32(policy.idleTimeout.components.seconds)), \(Int32(policy.absoluteLifetime.components.seconds)), \
            \(source), \(requestID))
            """
        )[0]
        let (outcome, charts, expiry) = try row.decode((String, Int32?, Date?).self)
        guard outcome == "signed-in" || outcome == "second-factor", let charts, let expiry else {
            throw ServiceError(
                .unauthenticated,
                field: "link",
                "this sign-in link does not work: it was used, replaced by a newer one, or is older than 15 minutes; ask for a new one"
            )
        }
        return SignIn(
            token: session,
            actor: PartnerActor(sessionHash: session.storageHash, source: source, requestID: requestID),
            charts: Int(charts),
            absoluteExpiry: expiry,
            codeNeeded: outcome == "second-factor"
        )
    }
}
