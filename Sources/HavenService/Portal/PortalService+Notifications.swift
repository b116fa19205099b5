import Foundation
import HavenMail
import Postgres

extension PortalService {
    /// The partner's "Email me about" settings: each kind of reminder, whether they turned it off and
    /// whether the practice did (`haven_portal_notification_settings()`, their own account only).
    public func notificationSettings(_ actor: PartnerActor) async throws -> [NotificationSetting] {
        try await pool.transaction(asPartner: actor) { connection, _ in
            try await connection.query(
                "SELECT kind, partner_off, practice_off FROM haven_portal_notification_settings()"
            )
            .compactMap { row in
                let (kind, partnerOff, practiceOff) = try row.decode((String, Bool, Bool).self)
                return NotificationKind(rawValue: kind).map {
                    NotificationSetting(kind: $0, partnerOff: partnerOff, practiceOff: practiceOff)
                }
            }
        }
    }

    /// Turns one kind of reminder on or off for the partner (audited `portal.notification.on|off`).
    ///
    /// - Throws: `invalidInput` (field `kind`) for a kind the outbox does not send.
    public func setNotification(_ kind: NotificationKind, send: Bool, actor: PartnerActor) async throws {
        let outcome = try await pool.transaction(asPartner: actor) { connection, _ in
            try await connection.query("SELECT haven_portal_set_notification(\(kind.rawValue), \(send))")[0]
                .decode(0, as: String.self)
        }
        guard outcome == "saved" else {
            throw ServiceError(.invalidInput, field: "kind", "is not a kind of reminder")
        }
    }
}
