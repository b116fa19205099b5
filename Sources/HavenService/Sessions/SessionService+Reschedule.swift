import Foundation
import HavenCore
import HavenStore
import Postgres

extension SessionService {
    /// Moves a scheduled session of the actor's caseload to `start` for `durationMinutes`, with the
    /// booking's overlap rules: the counselor's other sessions at the new time refuse it unless
    /// `allowOverlap` (then audited as `session.schedule.overlap` beside the move), and the clients'
    /// other sessions at that time are warned about. Audited as `session.reschedule`.
    ///
    /// Not part of the calendar: the front desk cancels and books anew (the database's calendar guard
    /// lets it change only a session's status).
    ///
    /// - Throws: `invalidInput` naming `durationMinutes`; `conflict` naming `session` when it is no
    ///   longer scheduled, or `start` with the conflicting session's time (audited as denied);
    ///   `notFound` naming `session` when it is not in the actor's caseload (audited as denied).
    public func reschedule(
        session id: UUID,
        start: Date,
        durationMinutes: Int,
        allowOverlap: Bool = false,
        actor: StaffActor
    ) async throws -> Booking {
        try Self.checkDuration(durationMinutes)
        let minutes = Int32(durationMinutes)
        return try await pool.auditedTransaction(as: actor) { connection -> Result<Booking, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT s.status,
                           CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id]
                                ELSE (SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = s.couple_id)
                           END,
                           s.counselor_id, s.couple_id IS NOT NULL
                    FROM therapy_sessions s
                    WHERE s.id = \(id) AND s.counselor_id = ANY (haven_current_caseload())  -- not the calendar's
                    FOR UPDATE OF s
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "session", "no session with this id in your caseload"),
                    audited: AuditEvent(action: .sessionReschedule, entityType: .session, entityID: id)
                )
            }
            let (current, clientList, counselor, forCouple) = try row.decode((String, [UUID]?, UUID, Bool).self)
            let clients = clientList ?? []
            guard current == SessionStatus.scheduled.rawValue else {
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "session",
                        "the session is already \(current.replacingOccurrences(of: "_", with: " ")); only a scheduled one moves"
                    )
                )
            }
            let counselorConflicts = try Self.slots(
                try await connection.query(
                    "SELECT * FROM haven_counselor_conflicts(\(counselor), \(start), \(minutes), \(id))"
                )
            )
            let who = counselor == actor.staffID ? "you already have" : "the counselor already has"
            if let conflict = counselorConflicts.first, !allowOverlap {
                return try connection.refuse(
                    ServiceError(
                        .conflict,
                        field: "start",
                        reason: "session-overlap",
                        "\(who) \(conflict.described) at that time; choose another time, or allow the overlap on purpose"
                    ),
                    audited: AuditEvent(
                        action: .sessionReschedule,
                        entityType: .session,
                        entityID: id,
                        clientIDs: clients
                    )
                )
            }
            let clientOverlaps = try Self.slots(
                try await connection.query(
                    "SELECT * FROM haven_client_overlaps(\(clients), \(start), \(minutes), \(id))"
                )
            )
            let overlapped = !counselorConflicts.isEmpty
            var statements: [PostgresQuery] = [
                """
                UPDATE therapy_sessions
                SET scheduled_start = \(start), duration_minutes = \(minutes), overlap_allowed = \(overlapped)
                WHERE id = \(id)
                """
            ]
            if overlapped {
                statements += AuditStore.appendStatements(
                    AuditEvent(action: .sessionScheduleOverlap, entityType: .session, entityID: id, clientIDs: clients)
                )
            }
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .sessionReschedule, entityType: .session, entityID: id, clientIDs: clients)
            )
            let also = counselor == actor.staffID ? "you also have" : "the counselor also has"
            let warnings =
                counselorConflicts.map { "\(also) \($0.described) at that time (booked as a deliberate overlap)" }
                + clientOverlaps.filter { slot in !counselorConflicts.contains(slot) }.map {
                    "the \(forCouple ? "couple's partners" : "client") also have \($0.described) at that time"
                }
            return .success(Booking(id: id, warnings: warnings))
        }
    }
}
