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

    /// Schedules a session with the actor as its counselor (`book` with its defaults), returning its id.
    public func schedule(
        _ chart: Chart,
        start: Date,
        durationMinutes: Int,
        format: SessionFormat,
        type: SessionType? = nil,
        serviceCode: ServiceCode? = nil,
        riskOverrideReason: String? = nil,
        allowOverlap: Bool = false,
        actor: StaffActor
    ) async throws -> UUID {
        try await book(
            chart,
            start: start,
            durationMinutes: durationMinutes,
            format: format,
            type: type,
            serviceCode: serviceCode,
            riskOverrideReason: riskOverrideReason,
            allowOverlap: allowOverlap,
            actor: actor
        ).id
    }

    /// The outcomes that can be recorded only once a session has started (cancelling comes before).
    static let needsStart: Set<SessionStatus> = [.completed, .noShow]

    /// The statuses the front desk sets (`setStatus` through the calendar).
    static let frontDeskStatuses: Set<SessionStatus> = [.cancelled, .lateCancelled]

    /// What `setStatus` accepts (`SessionStatus.settable`).
    static let settableStatuses = Set(SessionStatus.settable)

    /// Records how a session went: completed, cancelled, late-cancelled or no-show.
    ///
    /// Part of the calendar for cancelling: a scheduler cancels or late-cancels any scheduled session
    /// of the practice; whether it was attended (completed, no-show) is the counselor's to record.
    ///
    /// - Throws: `conflict` naming `status` for completed or no-show before the session has started
    ///   (by the database's clock), naming `session` when it is no longer scheduled; `forbidden`
    ///   (`ServiceError.calendarOnly`) for a scheduler-only actor recording completed or no-show.
    public func setStatus(_ status: SessionStatus, session id: UUID, actor: StaffActor) async throws {
        guard Self.settableStatuses.contains(status) else {
            let allowed = SessionStatus.settable.map(\.rawValue).joined(separator: ", ")
            throw ServiceError(.invalidInput, field: "status", "is not one of: \(allowed)")
        }
        let reach: UseCaseReach = Self.frontDeskStatuses.contains(status) ? .calendar : .clinical
        try await pool.auditedTransaction(as: actor, reach: reach) { connection -> Result<Void, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT s.status,
                           CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id]
                                ELSE coalesce((SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = s.couple_id),
                                              (SELECT chart_clients FROM haven_calendar_chart('couple', s.couple_id)))
                           END,
                           s.scheduled_start <= now()
                    FROM therapy_sessions s
                    WHERE s.id = \(id)
                      -- Through the calendar (another counselor's session) only cancelling: the rest is the caseload's.
                      AND (\(reach == .calendar) OR s.counselor_id = ANY (haven_current_caseload()))
                    FOR UPDATE OF s
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
