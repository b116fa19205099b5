import Foundation
import HavenMail
import HavenStore
import Logging
import Postgres

/// Sends the outbox's due messages at most once each (docs/portal.md "Reminders: the outbox"): the one
/// sender of `haven notify run` (as the owner role) and of `haven serve`'s task (as `haven_notify`, which
/// may only call the claim and mark functions of migration 0047).
///
/// One message at a time: claim the first due row (`FOR UPDATE SKIP LOCKED`, so several senders never
/// take the same one), mark it `sending` with a lease and commit; render its kind's template and hand
/// it to the transport; mark it `sent`, or `pending` again after a backoff (1, 5, 30 minutes, 2 and 12
/// hours, then `failed`), or `uncertain` when the transport may have delivered it. A row still
/// `sending` after its lease belongs to a sender that died between the claim and the mark: it is
/// marked `uncertain` and reported, never sent again. Skipped without sending, checked at send time: an
/// opt-out (the partner's or the practice's), an account disabled or without live access to the row's
/// chart (any chart for a row without one), a session moved or no longer scheduled (`superseded`), an
/// assignment gone (`withdrawn`), homework the partner has answered (`answered`), no address. The
/// counselor's digest (migration 0052) goes to the staff member's address with the number of portal
/// answers they have not read yet, counted at send time, and a link to the staff app's day page
/// (`todayLink`); skipped when turned off, when the staff member is disabled, or when nothing is unread.
/// The checks and the marks are the database's (`haven_notification_claim`, `_finish`, `_retry`,
/// `_expire_leases`); each outcome is audited there (the recipient's account and client, the outbox row
/// as the request id; never the address).
public struct NotificationSender: Sendable {
    /// Connections as the owner role or `haven_notify`.
    public let pool: ConnectionPool
    public let mail: MailConfiguration
    /// Where the partners' messages' link points (the portal's address).
    public let portalLink: URL
    /// Where the counselor's digest points: the staff app's `/today` on the portal's origin.
    public var todayLink: URL { URL(string: "/today", relativeTo: portalLink)?.absoluteURL ?? portalLink }
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

    /// Reports expired leases, then sends due messages one by one until none is due, `limit` were
    /// handled or `stop` says so (checked between messages, never inside one).
    public func run(limit: Int = 1_000, stop: @Sendable () -> Bool = { false }) async throws -> Summary {
        var summary = Summary()
        summary.uncertain += try await reportExpiredLeases()
        for _ in 0..<limit {
            if stop() { break }
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

    /// A claimed row and what rendering and auditing it needs: a partner's (account and client) or a
    /// staff member's (the digest, with its count).
    struct Claim: Sendable {
        let id: UUID
        let practice: UUID
        let account: UUID?
        let client: UUID?
        let staff: UUID?
        let answers: Int?
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
        let leaseSeconds = Int32(lease.components.seconds)
        let claimed: Claim? = try await pool.transaction { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT id, practice_id, account_id, client_id, kind, about_time, attempts, email, practice_name,
                           time_zone, skip_reason, staff_id, answers
                    FROM haven_notification_claim(\(leaseSeconds))
                    """
                ).first
            else { return nil }
            return Claim(
                id: try row.decode(0),
                practice: try row.decode(1),
                account: try row.decode(2),
                client: try row.decode(3),
                staff: try row.decode(11),
                answers: try row.decode(12, as: Int32?.self).map(Int.init),
                kind: try row.decode(4),
                about: try row.decode(5),
                attempts: try row.decode(6),
                email: try row.decode(7),
                practiceName: try row.decode(8),
                timeZone: try row.decode(9),
                skipReason: try row.decode(10)
            )
        }
        guard let claim = claimed else { return nil }
        if let reason = claim.skipReason {
            try await finish(claim.id, state: "skipped", reason: reason)
            return .skipped
        }
        do {
            let message = try render(claim)
            try await mail.transport.send(message)
        } catch {
            return try await failed(claim, error)
        }
        try await finish(claim.id, state: "sent", reason: nil)
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
            throw MailError(.invalidAddress, "the recipient's address cannot be used for mail")
        }
        return try template.message(
            kind,
            time: claim.about,
            link: kind.isForStaff ? todayLink : portalLink,
            count: claim.answers ?? 0,
            from: mail.from,
            to: recipient
        )
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
            try await finish(claim.id, state: "uncertain", reason: error.detail)
            return .uncertain
        }
        if error.disposition == .retryLater, attempt <= Self.backoff.count {
            let wait = Int32(Self.backoff[attempt - 1].components.seconds)
            _ = try await pool.query("SELECT haven_notification_retry(\(claim.id), \(error.detail), \(wait))")
            return .retrying
        }
        try await finish(claim.id, state: "failed", reason: error.detail)
        return .failed
    }

    /// Ends a claimed row in `state` (`haven_notification_finish`, which audits it in the same
    /// transaction; if another sender ended it first, nothing is written).
    private func finish(_ id: UUID, state: String, reason: String?) async throws {
        _ = try await pool.query("SELECT haven_notification_finish(\(id), \(state), \(reason))")
    }

    /// Marks rows whose lease ran out `uncertain` (audited): their sender died after the claim.
    func reportExpiredLeases() async throws -> Int {
        let expired = try await pool.query("SELECT haven_notification_expire_leases()").map {
            try $0.decode(0, as: UUID.self)
        }
        for id in expired {
            logger.warning(
                "a notification may or may not have been sent (its sender stopped)",
                metadata: ["notification.id": "\(id)"]
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
                SELECT id, kind, coalesce(account_id, staff_id), finished_at FROM notification_outbox
                WHERE state = 'uncertain' ORDER BY finished_at DESC LIMIT 100
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
            /// The recipient: a partner account, or a staff member for the counselor's digest.
            public let account: UUID
            public let markedAt: Date
        }
        /// Rows per state (`pending`, `sending`, `sent`, `failed`, `uncertain`, `skipped`).
        public let counts: [String: Int]
        public let uncertain: [Uncertain]
    }
}
