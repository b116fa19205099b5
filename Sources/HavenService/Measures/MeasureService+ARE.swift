import Foundation
import HavenCore
import HavenStore
import Postgres

extension MeasureService {
    /// Records (or replaces) the counselor's A.R.E. rating of one partner at a completed couple session.
    ///
    /// - Throws: `invalidInput` naming `session` (not completed, or not a couple session) or
    ///   `partnerID`; `notFound` outside the caseload.
    public func rateARE(
        _ rating: ARERating,
        partner partnerID: UUID,
        session sessionID: UUID,
        actor: StaffActor
    ) async throws {
        try actor.validate()
        try await pool.auditedTransaction(as: actor) { connection -> Result<Void, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT s.status, s.counselor_id, c.partner_a_id, c.partner_b_id
                    FROM therapy_sessions s JOIN couples c ON c.id = s.couple_id WHERE s.id = \(sessionID)
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "session", "no couple session with this id in your caseload"),
                    audited: AuditEvent(action: .areRate, entityType: .session, entityID: sessionID)
                )
            }
            let (status, counselor, a, b) = try row.decode((String, UUID, UUID, UUID).self)
            guard status == SessionStatus.completed.rawValue else {
                return .failure(
                    ServiceError(.invalidInput, field: "session", "ratings are given for completed sessions")
                )
            }
            guard partnerID == a || partnerID == b else {
                return .failure(ServiceError(.invalidInput, field: "partnerID", "must be one of the couple's partners"))
            }
            let statements: [PostgresQuery] = [
                """
                INSERT INTO are_ratings (practice_id, session_id, partner_id, counselor_id, accessible, responsive, engaged)
                VALUES (\(actor.practiceID), \(sessionID), \(partnerID), \(counselor), \(Int16(rating.accessible)), \
                \(Int16(rating.responsive)), \(Int16(rating.engaged)))
                ON CONFLICT (practice_id, session_id, partner_id) DO UPDATE
                SET accessible = excluded.accessible, responsive = excluded.responsive, engaged = excluded.engaged,
                    rated_at = now()
                """
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .areRate, entityType: .session, entityID: sessionID, clientIDs: [partnerID])
            )
            return .success(())
        }
    }

    /// A partner's A.R.E. ratings over time, by session date (audited).
    public func areSeries(partner partnerID: UUID, actor: StaffActor) async throws -> [(start: Date, rating: ARERating)]
    {
        try actor.validate()
        return try await pool.transaction(as: actor) { connection in
            let rows = try await connection.query(
                """
                SELECT s.scheduled_start, r.accessible, r.responsive, r.engaged
                FROM are_ratings r JOIN therapy_sessions s ON s.id = r.session_id
                WHERE r.partner_id = \(partnerID) ORDER BY s.scheduled_start
                """
            )
            let series = try rows.map { row in
                let (start, accessible, responsive, engaged) = try row.decode((Date, Int, Int, Int).self)
                return (
                    start: start,
                    rating: try ARERating(accessible: accessible, responsive: responsive, engaged: engaged)
                )
            }
            try AuditStore.appendAtCommit(
                AuditEvent(action: .areRead, entityType: .client, entityID: partnerID, clientIDs: [partnerID]),
                on: connection
            )
            return series
        }
    }
}
