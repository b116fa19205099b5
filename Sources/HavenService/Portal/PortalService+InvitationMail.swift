import Foundation
import HavenMail
import HavenStore
import Postgres

extension PortalService {
    /// What became of an invitation link the counselor asked to email.
    public enum InvitationDelivery: Sendable, Equatable {
        /// No mail is configured (or the invitation is a code): the counselor passes it on.
        case notSent
        /// The relay or the sendmail command took the message.
        case sent
        /// The message could not be sent; `retryLater` when the mail system said to try again later.
        /// The invitation stays open: inviting again sends a new link and only the newest works.
        case failed(retryLater: Bool)
    }

    /// Emails `invitation`'s link to `address` from the chart's page, while the token is in hand (the
    /// database keeps only its hash, so an invitation is never queued: docs/portal.md "Reminders: the
    /// outbox"). The message is the fixed invitation template (the practice's name, the link and when
    /// it expires; `NotificationTemplate`). Audited `portal.invite.sent` about the person's account,
    /// with their client id and the outcome, never the address.
    ///
    /// - Parameters:
    ///   - portal: the portal's address (`https://host/portal`); the link is `portal/welcome/{token}`.
    public func email(
        _ invitation: Invitation,
        to address: String,
        client: UUID,
        portal: URL,
        actor: StaffActor
    ) async throws -> InvitationDelivery {
        guard let mail, case .link(let token) = invitation.handover else { return .notSent }
        let practice = try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT name, time_zone FROM practices")[0].decode((String, String).self)
        }
        let delivery: InvitationDelivery
        do {
            let template = try NotificationTemplate(
                practiceName: practice.0,
                timeZone: TimeZone(identifier: practice.1) ?? .gmt
            )
            let message = try template.message(
                .invitation,
                time: invitation.expiresAt,
                link: portal.appending(path: "welcome").appending(path: token.value),
                from: mail.from,
                to: try MailAddress(address)
            )
            try await mail.transport.send(message)
            delivery = .sent
        } catch {
            delivery = .failed(retryLater: error.disposition == .retryLater)
        }
        try await pool.transaction(as: actor) { connection in
            try await connection.execute(
                """
                SELECT haven_audit_append('portal.invite.sent', 'partner_account', \(invitation.accountID),
                                          ARRAY[\(client)]::uuid[], \(delivery == .sent ? "success" : "failed"), NULL)
                """
            )
        }
        return delivery
    }
}
