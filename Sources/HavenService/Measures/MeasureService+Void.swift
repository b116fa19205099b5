import Foundation
import HavenCore
import HavenStore
import Postgres

/// Voiding a wrong administration: the row is kept, the reason (`CorrectionReason`) sealed for the
/// client, the void audited as `measure.void`; trends, reports and exports leave it out. A void is
/// final (migration 0033's trigger).
extension MeasureService {
    /// Voids an administration with a reason.
    ///
    /// - Returns: the client whose administration it was.
    /// - Throws: `invalidInput` naming `reason`; `notFound` (audited as denied) for an administration
    ///   out of reach; `conflict` naming `measure` when it is voided already.
    @discardableResult
    public func void(_ administrationID: UUID, reason: String, actor: StaffActor) async throws -> UUID {
        try actor.validate()
        let checked: CorrectionReason
        do {
            checked = try CorrectionReason(reason)
        } catch {
            throw ServiceError(error)
        }
        guard let keys else { preconditionFailure("MeasureService.void needs the KeyManager: init(pool:keys:)") }
        return try await pool.auditedTransaction(as: actor) { connection in
            let entry = AuditEvent(action: .measureVoid, entityType: .measure, entityID: administrationID)
            guard
                let row = try await connection.query(
                    """
                    SELECT client_id, voided_at IS NOT NULL FROM measure_administrations
                    WHERE id = \(administrationID) FOR UPDATE
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(
                        .notFound,
                        field: "measure",
                        "no measure administration with this id in your caseload"
                    ),
                    audited: entry
                )
            }
            let (clientID, voided) = try row.decode((UUID, Bool).self)
            guard !voided else {
                return .failure(ServiceError(.conflict, field: "measure", "this administration is voided already"))
            }
            let sealed = try await keys.seal(
                checked.text,
                practiceID: actor.practiceID,
                at: SealedPlace(
                    subject: ChartReference.client(clientID).keySubject,
                    table: "measure_administrations",
                    column: "void_reason",
                    rowID: administrationID
                ),
                on: connection
            )
            var success = entry
            success.clientIDs = [clientID]
            try await connection.commit(
                [
                    "SELECT haven_require_live_keys(\([sealed.keyID]))",
                    """
                    UPDATE measure_administrations SET voided_at = now(), voided_by = \(actor.staffID), \
                    void_reason = \(sealed.sealed), void_reason_key_id = \(sealed.keyID) WHERE id = \(administrationID)
                    """,
                ],
                audited: success
            )
            return .success(clientID)
        }
    }
}
