import Foundation
import HavenCore
import HavenStore
import Postgres

/// Closing a couple's open high-risk flag without writing a later note: the counselor says why
/// (`CorrectionReason`), the reason is sealed for the couple, and the closure is audited. A later note
/// at high risk opens a new flag (migration 0032, `haven_couple_open_risk_note`).
extension CoupleRecordService {
    /// Closes the couple's open high-risk flag.
    ///
    /// - Returns: the closure's id and the note whose high risk it closes.
    /// - Throws: `invalidInput` naming `reason`; `notFound` (audited as denied) for a couple out of
    ///   reach; `conflict` naming `couple` when no high-risk flag is open.
    public func closeRiskFlag(
        couple coupleID: UUID,
        reason: String,
        actor: StaffActor
    ) async throws -> (id: UUID, noteID: UUID) {
        try actor.validate()
        let checked: CorrectionReason
        do {
            checked = try CorrectionReason(reason)
        } catch {
            throw ServiceError(error)
        }
        let id = UUID()
        let keys = self.keys
        return try await pool.auditedTransaction(as: actor) { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT partner_a_id, partner_b_id, counselor_id, haven_couple_open_risk_note(id)
                    FROM couples WHERE id = \(coupleID)
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "couple", "no couple with this id in your caseload"),
                    audited: AuditEvent(action: .riskFlagClose, entityType: .couple, entityID: coupleID)
                )
            }
            let (a, b, counselor, open) = try row.decode((UUID, UUID, UUID, UUID?).self)
            guard let noteID = open else {
                return .failure(ServiceError(.conflict, field: "couple", "this couple has no open high-risk flag"))
            }
            let sealed = try await keys.seal(
                checked.text,
                practiceID: actor.practiceID,
                at: SealedPlace(
                    subject: ChartReference.couple(coupleID).keySubject,
                    table: "risk_flag_closures",
                    column: "reason",
                    rowID: id
                ),
                on: connection
            )
            try await connection.commit(
                [
                    "SELECT haven_require_live_keys(\([sealed.keyID]))",
                    """
                    INSERT INTO risk_flag_closures (id, practice_id, couple_id, counselor_id, note_id, closed_by,
                                                    reason, reason_key_id)
                    VALUES (\(id), \(actor.practiceID), \(coupleID), \(counselor), \(noteID), \(actor.staffID), \
                    \(sealed.sealed), \(sealed.keyID))
                    """,
                ],
                audited: AuditEvent(action: .riskFlagClose, entityType: .note, entityID: noteID, clientIDs: [a, b])
            )
            return .success((id, noteID))
        }
    }
}
