import Foundation
import HavenCore
import HavenStore
import Postgres

/// The one audited path through the high-risk safety gate (docs/security.md, "Safety: high-risk
/// couples"), shared by every use case that puts the partners of a flagged couple together: a
/// conjoint session (`SessionService.schedule`) and a joint homework exercise
/// (`HomeworkService.assign`).
///
/// When the gate applies, a missing reason is refused and the refusal audited as denied; a given
/// reason is sealed for the couple into the new row, whose success entry the caller names with its
/// `.risk_override` action. The reason's length rule is `RiskOverrideReason`'s (HavenCore).
struct RiskOverride: Sendable {
    /// The sealed reason for the row's `risk_override_reason`, or `nil` when no override was needed.
    var sealedReason: [UInt8]?
    /// The data key that sealed it, for the row's `risk_override_key_id`.
    var keyID: UUID?

    /// Whether the gate applied and was overridden (the success entry's action says so).
    var overridden: Bool { keyID != nil }

    /// What to send before the row's INSERT, in the same round trip: a data key shredded since it was
    /// looked up fails the write.
    var liveKeyCheck: [PostgresQuery] {
        keyID.map { ["SELECT haven_require_live_keys(\([$0]))"] } ?? []
    }

    /// Checks a reason's length before any transaction: the rule is the same whether or not the gate
    /// will apply, so a caller learns it from the first request.
    ///
    /// - Throws: `invalidInput` naming `riskOverrideReason`.
    static func validate(_ reason: String?) throws -> RiskOverrideReason? {
        do {
            return try reason.map(RiskOverrideReason.init)
        } catch {
            throw ServiceError(error)
        }
    }

    /// Passes the gate inside the use case's transaction.
    ///
    /// - Parameters:
    ///   - flaggedCouple: the couple when the gate applies (it has an open high-risk flag and the use
    ///     case brings its partners together), `nil` when it does not.
    ///   - clients: the chart's clients, for the refusal's entry.
    ///   - refused: the use case's action, audited as denied (on the couple) when the gate refuses.
    ///   - exercise: what needs the override, for the refusal's message ("a conjoint session").
    ///   - keys: seals the reason; without it the gate cannot be overridden.
    ///   - table: the table of the new row (the reason's seal is bound to its `risk_override_reason`).
    /// - Returns: the override to store, or the refusal to throw once the transaction has committed
    ///   its audit entry.
    static func pass(
        _ reason: RiskOverrideReason?,
        flaggedCouple: UUID?,
        clients: [UUID],
        refused action: AuditEvent.Action,
        exercise: String,
        keys: KeyManager?,
        table: String,
        rowID: UUID,
        actor: StaffActor,
        on connection: isolated PostgresConnection
    ) async throws -> Result<RiskOverride, ServiceError> {
        guard let coupleID = flaggedCouple else { return .success(RiskOverride()) }
        guard let reason, let keys else {
            return try connection.refuse(
                ServiceError(
                    .invalidInput,
                    field: RiskOverrideReason.fieldName,
                    "this couple has an open high-risk flag; \(exercise) needs an explicit override with a reason"
                ),
                audited: AuditEvent(
                    action: action,
                    entityType: .couple,
                    entityID: coupleID,
                    clientIDs: clients
                )
            )
        }
        let sealed = try await keys.seal(
            reason.text,
            practiceID: actor.practiceID,
            at: SealedPlace(
                subject: KeySubject(kind: .couple, id: coupleID.uuidString.lowercased()),
                table: table,
                column: "risk_override_reason",
                rowID: rowID
            ),
            on: connection
        )
        return .success(RiskOverride(sealedReason: sealed.sealed, keyID: sealed.keyID))
    }
}
