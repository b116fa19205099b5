import Foundation
import HavenCore
import HavenStore
import Postgres

extension SessionService {
    /// Corrects a session's recorded status to `status` (any status, backwards too: completed to
    /// no-show, cancelled to scheduled), with a reason sealed for the chart beside the session and the
    /// correction audited as `session.status.correct`.
    ///
    /// Completed and no-show still need the session to have started; a session with a progress note
    /// stays completed (the note belongs to a held session: write an addendum instead); a session that
    /// takes its slot back (cancelled to scheduled) must not overlap another of its counselor's.
    ///
    /// - Throws: `invalidInput` naming `reason`, or `status` when it is already the session's;
    ///   `conflict` naming `status` (not started, noted) or `start` (the slot is taken), audited as
    ///   denied; `notFound` naming `session`.
    public func correctStatus(
        _ status: SessionStatus,
        session id: UUID,
        reason text: String,
        actor: StaffActor
    ) async throws {
        let reason: CorrectionReason
        do throws(DomainError) {
            reason = try CorrectionReason(text)
        } catch {
            throw ServiceError(error)
        }
        guard let keys else {
            throw ServiceError(.forbidden, "correcting a status needs the server's keys, which are not configured")
        }
        try await pool.auditedTransaction(as: actor) { connection -> Result<Void, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT s.status,
                           CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id]
                                ELSE (SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = s.couple_id)
                           END,
                           s.scheduled_start <= now(), s.couple_id, s.client_id, s.counselor_id, s.scheduled_start,
                           s.duration_minutes, EXISTS (SELECT 1 FROM progress_notes n WHERE n.session_id = s.id)
                    FROM therapy_sessions s
                    WHERE s.id = \(id) AND s.counselor_id = ANY (haven_current_caseload())  -- not the calendar's
                    FOR UPDATE OF s
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "session", "no session with this id in your caseload"),
                    audited: AuditEvent(action: .sessionStatusCorrect, entityType: .session, entityID: id)
                )
            }
            let (current, clientList, started, couple, client, counselor, start, minutes, noted) = try row.decode(
                (String, [UUID]?, Bool, UUID?, UUID?, UUID, Date, Int32, Bool).self
            )
            let subject = (couple.map(ChartReference.couple) ?? .client(client ?? id)).keySubject
            let clients = clientList ?? []
            let refused = AuditEvent(
                action: .sessionStatusCorrect,
                entityType: .session,
                entityID: id,
                clientIDs: clients
            )
            guard current != status.rawValue else {
                return .failure(ServiceError(.invalidInput, field: "status", "the session is already \(status.spoken)"))
            }
            if !started && Self.needsStart.contains(status) {
                return try connection.refuse(
                    ServiceError(
                        .conflict,
                        field: "status",
                        "the session has not started yet; it can be marked \(status.spoken) once it has"
                    ),
                    audited: refused
                )
            }
            if noted && current == SessionStatus.completed.rawValue {
                return try connection.refuse(
                    ServiceError(
                        .conflict,
                        field: "status",
                        reason: "session-noted",
                        "the session has a progress note, so it stays completed; correct the record with an addendum"
                    ),
                    audited: refused
                )
            }
            let freed: Set<String> = [SessionStatus.cancelled.rawValue, SessionStatus.lateCancelled.rawValue]
            if freed.contains(current) && !freed.contains(status.rawValue) {
                let conflicts = try Self.slots(
                    try await connection.query(
                        "SELECT * FROM haven_counselor_conflicts(\(counselor), \(start), \(minutes), \(id))"
                    )
                )
                if let conflict = conflicts.first {
                    return try connection.refuse(
                        ServiceError(
                            .conflict,
                            field: "start",
                            reason: "session-overlap",
                            "the counselor now has \(conflict.described) at that time; the session cannot take its slot back"
                        ),
                        audited: refused
                    )
                }
            }
            let sealed = try await keys.seal(
                reason.text,
                practiceID: actor.practiceID,
                at: SealedPlace(
                    subject: subject,
                    table: "therapy_sessions",
                    column: "status_correction_reason",
                    rowID: id
                ),
                on: connection
            )
            try await connection.commit(
                [
                    "SELECT haven_require_live_keys(\([sealed.keyID]))",
                    """
                    UPDATE therapy_sessions
                    SET status = \(status.rawValue), status_correction_reason = \(sealed.sealed),
                        status_correction_key_id = \(sealed.keyID), status_corrected_at = now(),
                        status_corrected_by = \(actor.staffID)
                    WHERE id = \(id)
                    """,
                ],
                audited: AuditEvent(
                    action: .sessionStatusCorrect,
                    entityType: .session,
                    entityID: id,
                    clientIDs: clients
                )
            )
            return .success(())
        }
    }
}

extension SessionStatus {
    /// The status as a sentence says it ("late cancelled", "no show").
    var spoken: String { rawValue.replacingOccurrences(of: "_", with: " ") }

    /// The statuses a session can be moved to from scheduled (what `setStatus` accepts).
    public static let settable: [SessionStatus] = [.completed, .cancelled, .lateCancelled, .noShow]
}
