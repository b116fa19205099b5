import Foundation
import HavenMail
import HavenStore
import Logging
import Postgres

/// Sends the outbox's due messages at most once each (docs/portal.md "Reminders: the outbox"), as the
/// owner role (`haven notify run`).
///
/// One message at a time: claim the first due row (`FOR UPDATE SKIP LOCKED`, so several senders never
/// take the same one), mark it `sending` with a lease and commit; render its kind's template and hand
/// it to the transport; mark it `sent`, or `pending` again after a backoff (1, 5, 30 minutes, 2 and 12
/// hours, then `failed`), or `uncertain` when the transport may have delivered it. A row still
/// `sending` after its lease belongs to a sender that died between the claim and the mark: it is
/// marked `uncertain` and reported, never sent again. Skipped without sending, checked at send time: an
/// opt-out (the partner's or the practice's), an account disabled or without live access to the row's
/// chart (any chart for a row without one), a session moved or no longer scheduled (`superseded`), an
/// assignment gone (`withdrawn`), homework the partner has answered (`answered`), no address.
/// Each outcome is audited (the recipient's account and client, the outbox row as the request id;
/// never the address).
public struct NotificationSender: Sendable {
    /// Connections as the owner role.
    public let pool: ConnectionPool
    public let mail: MailConfiguration
    /// Where the messages' link points (the portal's address).
    public let portalLink: URL
    /// How long a claimed row may stay `sending` before it counts as uncertain. Longer than a
    /// transport's whole conversation (SMTP: 15 s to connect, at most 8 replies of 60 s and the last of
    /// 120 s; sendmail: 120 s and 5 s to stop): 15 minutes.
    public let lease: Duration
    let logger: Logger

    /// The waits before the second to sixth attempts.
    public static let backoff: [Duration] = [1, 5, 30, 120, 720].map { .seconds($0 * 60) }

    public init(
        pool: ConnectionPool,
        mail: MailConfiguration,
        portalLink: URL,
        lease: Duration = .seconds(900),
        logger: Logger
    ) {
        self.pool = pool
        self.mail = mail
        self.portalLink = portalLink
        self.lease = lease
        self.logger = logger
    }

    /// What a run did.
    public struct Summary: Sendable, Equatable {
        public var sent = 0
        public var retrying = 0
        public var failed = 0
        public var uncertain = 0
        public var skipped = 0
        public init() {}
    }

    /// Reports expired leases, then sends due messages one by one until none is due or `limit` were
    /// handled.
    public func run(limit: Int = 1_000) async throws -> Summary {
        var summary = Summary()
        summary.uncertain += try await reportExpiredLeases()
        for _ in 0..<limit {
            guard let outcome = try await sendNext() else { break }
            switch outcome {
            case .sent: summary.sent += 1
            case .retrying: summary.retrying += 1
            case .failed: summary.failed += 1
            case .uncertain: summary.uncertain += 1
            case .skipped: summary.skipped += 1
            }
        }
        return summary
    }

    enum Outcome { case sent, retrying, failed, uncertain, skipped }

    /// A claimed row and what rendering and auditing it needs.
    struct Claim: Sendable {
        let id: UUID
        let practice: UUID
        let account: UUID
        let client: UUID
        let kind: String
        let about: Date
        let attempts: Int
        let email: String?
        let practiceName: String
        let timeZone: String
        let skipReason: String?
    }

    /// Claims, sends and marks the first due message; nil when none is due.
    func sendNext() async throws -> Outcome? {
        let leaseSeconds = Int(lease.components.seconds)
        let claimed: Claim? = try await pool.transaction { connection in
            let rows = try await connection.query(
                """
                SELECT o.id, o.practice_id, o.account_id, a.client_id, o.kind, o.about_time, o.attempts, a.email,
                       p.name, p.time_zone,
                       CASE WHEN EXISTS (SELECT 1 FROM notification_opt_outs n
                                         WHERE n.practice_id = o.practice_id AND n.kind = o.kind
                                           AND (n.account_id IS NULL OR n.account_id = o.account_id))
                                 THEN 'opted out'
                            WHEN a.disabled_at IS NOT NULL
                                 OR NOT EXISTS (SELECT 1 FROM partner_chart_access x
                                                WHERE x.account_id = a.id AND x.revoked_at IS NULL
                                                  AND (o.chart_id IS NULL
                                                       OR (x.chart_kind = o.chart_kind AND x.chart_id = o.chart_id)))
                                 THEN 'no portal access'
                            WHEN o.session_id IS NOT NULL
                                 AND NOT EXISTS (SELECT 1 FROM therapy_sessions s
                                                 WHERE s.id = o.session_id AND s.status = 'scheduled'
                                                   AND s.scheduled_start = o.about_time)
                                 THEN 'superseded'
                            WHEN o.assignment_id IS NOT NULL
                                 AND NOT EXISTS (SELECT 1 FROM homework_assignments h WHERE h.id = o.assignment_id)
                                 THEN 'withdrawn'
                            WHEN o.kind IN ('homework-due', 'homework-overdue')
                                 AND EXISTS (SELECT 1 FROM homework_responses r
                                             WHERE r.assignment_id = o.assignment_id AND r.partner_id = a.client_id)
                                 THEN 'answered'
                            WHEN a.email IS NULL THEN 'no address'
                       END
                FROM notification_outbox o
                JOIN partner_accounts a ON a.practice_id = o.practice_id AND a.id = o.account_id
                JOIN practices p ON p.id = o.practice_id
                WHERE o.state = 'pending' AND o.due_at <= now()
                ORDER BY o.due_at, o.id
                LIMIT 1
                FOR UPDATE OF o SKIP LOCKED
                """
            )
            guard let row = rows.first else { return nil }
            let claim = Claim(
                id: try row.decode(0),
                practice: try row.decode(1),
                account: try row.decode(2),
                client: try row.decode(3),
                kind: try row.decode(4),
                about: try row.decode(5),
                attempts: try row.decode(6),
                email: try row.decode(7),
                practiceName: try row.decode(8),
                timeZone: try row.decode(9),
                skipReason: try row.decode(10)
            )
            // A row to skip is claimed too, so no other sender takes it before it is marked.
            try await connection.execute(
                """
                UPDATE notification_outbox
                SET state = 'sending', attempts = attempts + 1, lease_until = now() + make_interval(secs => \(leaseSeconds))
                WHERE id = \(claim.id)
                """
            )
            return claim
        }
        guard let claim = claimed else { return nil }
        if let reason = claim.skipReason {
            try await finish(claim, state: "skipped", error: reason, action: .notificationSkipped, outcome: .denied)
            return .skipped
        }
        do {
            let message = try render(claim)
            try await mail.transport.send(message)
        } catch {
            return try await failed(claim, error)
        }
        try await finish(claim, state: "sent", error: nil, action: .notificationSent, outcome: .success)
        return .sent
    }

    private func render(_ claim: Claim) throws(MailError) -> MailMessage {
        guard let kind = NotificationKind(rawValue: claim.kind), let email = claim.email else {
            throw MailError(.invalidContent, "the outbox row has a kind or address this sender cannot use")
        }
        let template = try NotificationTemplate(
            practiceName: claim.practiceName,
            timeZone: TimeZone(identifier: claim.timeZone) ?? .gmt
        )
        let recipient: MailAddress
        do {
            recipient = try MailAddress(email)
        } catch {
            throw MailError(.invalidAddress, "the partner's address cannot be used for mail")
        }
        return try template.message(kind, time: claim.about, link: portalLink, from: mail.from, to: recipient)
    }

    private func failed(_ claim: Claim, _ error: MailError) async throws -> Outcome {
        let attempt = claim.attempts + 1
        logger.notice(
            "a notification was not sent",
            metadata: [
                "notification.id": "\(claim.id)", "mail.error": "\(error.detail)", "notification.attempt": "\(attempt)",
            ]
        )
        if error.mayHaveBeenSent {
            try await finish(
                claim,
                state: "uncertain",
                error: error.detail,
                action: .notificationUncertain,
                outcome: .failed
            )
            return .uncertain
        }
        if error.disposition == .retryLater, attempt <= Self.backoff.count {
            let wait = Int(Self.backoff[attempt - 1].components.seconds)
            try await pool.transaction { connection in
                try await connection.execute(
                    """
                    UPDATE notification_outbox
                    SET state = 'pending', lease_until = NULL, last_error = left(\(error.detail), 300),
                        due_at = now() + make_interval(secs => \(wait))
                    WHERE id = \(claim.id) AND state = 'sending'
                    """
                )
            }
            return .retrying
        }
        try await finish(claim, state: "failed", error: error.detail, action: .notificationFailed, outcome: .failed)
        return .failed
    }

    /// Ends a row in `state` and audits it, in one transaction in the practice's operator context.
    private func finish(
        _ claim: Claim,
        state: String,
        error: String?,
        action: AuditEvent.Action,
        outcome: AuditEntry.Outcome
    ) async throws {
        try await pool.transaction(
            operatorIn: claim.practice,
            source: "haven-notify",
            requestID: "notification:\(claim.id)"
        ) {
            connection in
            let updated = try await connection.execute(
                """
                UPDATE notification_outbox
                SET state = \(state), lease_until = NULL, finished_at = now(), last_error = left(\(error), 300)
                WHERE id = \(claim.id) AND state = 'sending'
                """
            )
            // Another sender got there first (an expired lease reported twice): one entry per outcome.
            guard updated == 1 else { return }
            try await AuditStore.append(
                AuditEvent(
                    action: action,
                    entityType: .partnerAccount,
                    entityID: claim.account,
                    clientIDs: [claim.client],
                    outcome: outcome
                ),
                on: connection
            )
        }
    }

    /// Marks rows whose lease ran out `uncertain` (audited): their sender died after the claim.
    func reportExpiredLeases() async throws -> Int {
        let expired = try await pool.transaction { connection in
            try await connection.query(
                """
                SELECT o.id, o.practice_id, o.account_id, a.client_id FROM notification_outbox o
                JOIN partner_accounts a ON a.practice_id = o.practice_id AND a.id = o.account_id
                WHERE o.state = 'sending' AND o.lease_until < now()
                FOR UPDATE OF o SKIP LOCKED
                """
            ).map { try $0.decode((UUID, UUID, UUID, UUID).self) }
        }
        for (id, practice, account, client) in expired {
            let claim = Claim(
                id: id,
                practice: practice,
                account: account,
                client: client,
                kind: "",
                about: Date(),
                attempts: 0,
                email: nil,
                practiceName: "",
                timeZone: "",
                skipReason: nil
            )
            logger.warning(
                "a notification may or may not have been sent (its sender stopped)",
                metadata: ["notification.id": "\(id)"]
            )
            try await finish(
                claim,
                state: "uncertain",
                error: "the sender stopped after claiming it: it may have been sent",
                action: .notificationUncertain,
                outcome: .failed
            )
        }
        return expired.count
    }

    /// The outbox's rows by state, and the uncertain ones (for `haven notify status`).
    public static func status(pool: ConnectionPool) async throws -> Status {
        try await pool.transaction(readOnly: true) { connection in
            let counts = try await connection.query("SELECT state, count(*) FROM notification_outbox GROUP BY state")
                .map { try $0.decode((String, Int).self) }
            let uncertain = try await connection.query(
                """
                SELECT id, kind, account_id, finished_at FROM notification_outbox WHERE state = 'uncertain'
                ORDER BY finished_at DESC LIMIT 100
                """
            ).map { row in
                let (id, kind, account, at) = try row.decode((UUID, String, UUID, Date).self)
                return Status.Uncertain(id: id, kind: kind, account: account, markedAt: at)
            }
            return Status(counts: Dictionary(uniqueKeysWithValues: counts), uncertain: uncertain)
        }
    }

    /// What `status` reports.
    public struct Status: Sendable {
        public struct Uncertain: Sendable {
            public let id: UUID
            public let kind: String
            public let account: UUID
            public let markedAt: Date
        }
        /// Rows per state (`pending`, `sending`, `sent`, `failed`, `uncertain`, `skipped`).
        public let counts: [String: Int]
        public let uncertain: [Uncertain]
    }
}
