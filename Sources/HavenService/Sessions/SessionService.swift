import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Appointments: schedule a couple or individual session, then record what happened to it.
public struct SessionService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager?

    /// - Parameters:
    ///   - pool: connections as the application role.
    ///   - keys: seals risk-override reasons; without it, a high-risk couple's conjoint session
    ///     cannot be overridden.
    public init(pool: ConnectionPool, keys: KeyManager? = nil) {
        self.pool = pool
        self.keys = keys
    }

    /// Which chart a session belongs to.
    public typealias Chart = ChartReference

    /// Schedules a session with the actor as its counselor. A conjoint (couple) session for a couple
    /// whose latest note records high risk needs `riskOverrideReason` (20 to 1000 characters whenever
    /// given, `RiskOverrideReason`), sealed and audited by `RiskOverride`, the gate joint homework shares.
    ///
    /// - Throws: `invalidInput` naming `durationMinutes` or `riskOverrideReason`; `notFound` when the
    ///   chart is not in reach.
    public func schedule(
        _ chart: Chart,
        start: Date,
        durationMinutes: Int,
        format: SessionFormat,
        riskOverrideReason: String? = nil,
        actor: StaffActor
    ) async throws -> UUID {
        guard (5...480).contains(durationMinutes) else {
            throw ServiceError(.invalidInput, field: "durationMinutes", "must be 5 to 480 minutes")
        }
        let reason = try RiskOverride.validate(riskOverrideReason)
        let id = UUID()
        let (coupleID, clientID): (UUID?, UUID?) =
            switch chart {
            case .couple(let couple): (couple, nil)
            case .client(let client): (nil, client)
            }
        let keys = self.keys
        return try await pool.auditedTransaction(as: actor) { connection in
            // The chart's clients (nil when out of reach) and whether the couple is flagged high-risk.
            let (clients, highRisk) = try await connection.query(
                """
                SELECT coalesce((SELECT ARRAY[partner_a_id, partner_b_id] FROM couples WHERE id = \(coupleID)),
                                (SELECT ARRAY[id] FROM clients WHERE id = \(clientID))),
                       \(coupleID)::uuid IS NOT NULL AND haven_couple_high_risk(\(coupleID))
                """
            )[0].decode(([UUID]?, Bool).self)
            guard let clients else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "chart", "no such couple or client in your caseload"),
                    audited: AuditEvent(
                        action: .sessionSchedule,
                        entityType: coupleID == nil ? .client : .couple,
                        entityID: coupleID ?? clientID ?? id
                    )
                )
            }
            let override = try await RiskOverride.pass(
                reason,
                for: .conjointSession,
                flaggedCouple: highRisk ? coupleID : nil,
                clients: clients,
                keys: keys,
                rowID: id,
                actor: actor,
                on: connection
            )
            var statements = override.liveKeyCheck
            statements.append(
                """
                INSERT INTO therapy_sessions (id, practice_id, couple_id, client_id, counselor_id, scheduled_start,
                                              duration_minutes, format, risk_override_reason, risk_override_key_id)
                VALUES (\(id), \(actor.practiceID), \(coupleID), \(clientID), \(actor.staffID), \(start), \
                \(Int32(durationMinutes)), \(format.rawValue), \(override.sealedReason), \(override.keyID))
                """
            )
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: override.overridden ? .sessionScheduleRiskOverride : .sessionSchedule,
                    entityType: .session,
                    entityID: id,
                    clientIDs: clients
                )
            )
            return .success(id)
        }
    }

    /// The outcomes that can be recorded only once a session has started (cancelling comes before).
    static let needsStart: Set<SessionStatus> = [.completed, .noShow]

    /// Records how a session went: completed, cancelled, late-cancelled or no-show.
    ///
    /// - Throws: `conflict` naming `status` for completed or no-show before the session has started
    ///   (by the database's clock), naming `session` when it is no longer scheduled.
    public func setStatus(_ status: SessionStatus, session id: UUID, actor: StaffActor) async throws {
        guard status != .scheduled else {
            throw ServiceError(
                .invalidInput,
                field: "status",
                "a session can be completed, cancelled, late_cancelled or no_show"
            )
        }
        try await pool.auditedTransaction(as: actor) { connection -> Result<Void, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT s.status,
                           CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id]
                                ELSE (SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = s.couple_id)
                           END,
                           s.scheduled_start <= now()
                    FROM therapy_sessions s WHERE s.id = \(id) FOR UPDATE OF s
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "session", "no session with this id in your caseload"),
                    audited: AuditEvent(action: .session(status), entityType: .session, entityID: id)
                )
            }
            let (current, clients, started) = try row.decode((String, [UUID]?, Bool).self)
            guard current == SessionStatus.scheduled.rawValue else {
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "session",
                        "the session is already \(current.replacingOccurrences(of: "_", with: " ")); only a scheduled one changes"
                    )
                )
            }
            // What happened in a session is known only once it has begun (the database's clock decides).
            guard started || !Self.needsStart.contains(status) else {
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "status",
                        "the session has not started yet; it can be marked \(status.rawValue.replacingOccurrences(of: "_", with: " ")) once it has"
                    )
                )
            }
            let statements: [PostgresQuery] = [
                "UPDATE therapy_sessions SET status = \(status.rawValue) WHERE id = \(id)"
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: .session(status),
                    entityType: .session,
                    entityID: id,
                    clientIDs: clients ?? []
                )
            )
            return .success(())
        }
    }
}

extension AuditEvent.Action {
    /// The action that records a session taking `status` (`session.completed`, `session.no_show`, ...).
    fileprivate static func session(_ status: SessionStatus) -> Self {
        switch status {
        case .scheduled: .sessionSchedule
        case .completed: .sessionCompleted
        case .cancelled: .sessionCancelled
        case .lateCancelled: .sessionLateCancelled
        case .noShow: .sessionNoShow
        }
    }
}
