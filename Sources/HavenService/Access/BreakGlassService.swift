import Foundation
import HavenStore
import Logging
import Postgres
import Sealing

/// Break-glass access: a clinician's emergency, read-only reach into one chart outside their
/// caseload, for a limited time, with a written reason. Opening a grant is audited and flagged; the
/// grant widens only transactions whose actor has `breakGlass` set, and every audit entry those
/// transactions append is flagged too, so a reviewer can find each use.
public struct BreakGlassService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    /// The shortest reason accepted, in characters: a reviewer must be able to tell why.
    public static let minimumReasonLength = 20
    /// The longest a grant may last (the database refuses more).
    public static let maximumDuration: Duration = .seconds(8 * 3600)

    /// - Parameters:
    ///   - pool: connections as the application role.
    ///   - keys: seals the reason for the chart.
    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// A live or past grant, as its holder sees it (the reason stays sealed).
    public struct Grant: Sendable, Equatable {
        public var id: UUID
        public var chart: ChartReference
        public var grantedAt: Date
        public var expiresAt: Date
        public var revokedAt: Date?

        /// Whether the grant still widens break-glass transactions at `now`.
        public func isLive(at now: Date = Date()) -> Bool { revokedAt == nil && expiresAt > now }
    }

    /// Opens a grant on `chart` for `duration` (default one hour, at most eight). Act on it with a
    /// copy of the actor whose `breakGlass` is true.
    ///
    /// - Throws: `forbidden` for a role that keeps no caseload; `invalidInput` naming `reason` or
    ///   `duration`; `notFound` naming `chart` when no such chart is in the practice.
    public func open(
        _ chart: ChartReference,
        reason: String,
        duration: Duration = .seconds(3600),
        actor: StaffActor
    ) async throws -> Grant {
        try actor.validate()
        guard actor.roles.contains(.counselor) || actor.roles.contains(.supervisor) else {
            throw ServiceError(.forbidden, "only counselors and supervisors may use break-glass access")
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= Self.minimumReasonLength else {
            throw ServiceError(
                .invalidInput,
                field: "reason",
                "must say why, in at least \(Self.minimumReasonLength) characters"
            )
        }
        guard trimmed.utf8.count <= 4096 else {
            throw ServiceError(.invalidInput, field: "reason", "is longer than 4 KiB")
        }
        guard duration >= .seconds(60), duration <= Self.maximumDuration else {
            throw ServiceError(.invalidInput, field: "duration", "must be between 1 minute and 8 hours")
        }
        let id = UUID()
        let keys = self.keys
        let seconds = Double(duration.components.seconds)
        do {
            return try await pool.transaction(as: actor) { connection in
                let sealed = try await keys.seal(
                    trimmed,
                    practiceID: actor.practiceID,
                    at: SealedPlace(
                        subject: chart.keySubject,
                        table: "break_glass_grants",
                        column: "reason",
                        rowID: id
                    ),
                    on: connection
                )
                // The database opens the grant for the context's own clinician and audits it, flagged.
                let row = try await connection.query(
                    """
                    SELECT granted_at, expires_at FROM haven_break_glass_open(\(id), \(chart.kind), \(chart.id), \
                    \(sealed.sealed), \(sealed.keyID), \(seconds))
                    """
                )[0]
                let (grantedAt, expiresAt) = try row.decode((Date, Date).self)
                return Grant(id: id, chart: chart, grantedAt: grantedAt, expiresAt: expiresAt, revokedAt: nil)
            }
        } catch let error as PostgresError where error.code == .foreignKeyViolation {
            try await auditDenied(chart, actor: actor)
            throw ServiceError(.notFound, field: "chart", "no such \(chart.kind) in this practice")
        }
    }

    /// Ends a grant of the actor's own before it expires.
    ///
    /// - Throws: `notFound` when the actor holds no such grant.
    public func close(_ grantID: UUID, actor: StaffActor) async throws {
        try actor.validate()
        try await pool.transaction(as: actor) { connection in
            // The database closes only the context's own grant, and audits it.
            guard
                try await connection.query("SELECT chart_kind FROM haven_break_glass_close(\(grantID))").singleRow()
                    != nil
            else {
                throw ServiceError(.notFound, field: "grant", "no open break-glass grant of yours with this id")
            }
        }
    }

    /// The actor's grants, newest first, live and past.
    public func grants(actor: StaffActor) async throws -> [Grant] {
        try await pool.transaction(as: actor) { connection in
            try Self.grants(in: try await connection.query(Self.grantsQuery))
        }
    }

    /// The context's own grants (the policies show no one else's), newest first; read by `grants`
    /// and by `AuthService.signedIn`.
    static let grantsQuery: PostgresQuery = """
        SELECT id, chart_kind, chart_id, granted_at, expires_at, revoked_at FROM break_glass_grants
        ORDER BY granted_at DESC, id
        """

    /// The grants in `grantsQuery`'s rows.
    static func grants(in rows: PostgresRows) throws -> [Grant] {
        try rows.map { row in
            let (id, kind, chartID, grantedAt, expiresAt, revokedAt) = try row.decode(
                (UUID, String, UUID, Date, Date, Date?).self
            )
            return Grant(
                id: id,
                chart: kind == "couple" ? .couple(chartID) : .client(chartID),
                grantedAt: grantedAt,
                expiresAt: expiresAt,
                revokedAt: revokedAt
            )
        }
    }

    /// Records a refused grant, flagged as break-glass like the grant it would have been.
    private func auditDenied(_ chart: ChartReference, actor: StaffActor) async throws {
        var flagged = actor
        flagged.breakGlass = true
        try await pool.transaction(as: flagged) { connection in
            try AuditStore.appendAtCommit(
                AuditEvent(action: .breakGlassOpen, entityType: chart.entityType, entityID: chart.id, outcome: .denied),
                on: connection
            )
        }
    }
}
