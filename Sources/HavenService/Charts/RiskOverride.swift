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

    /// The use cases behind the gate, and what each names in it.
    enum Use: Sendable {
        case conjointSession
        case jointHomework

        /// Audited as denied (on the couple) when the gate refuses.
        var refused: AuditEvent.Action {
            switch self {
            case .conjointSession: .sessionSchedule
            case .jointHomework: .homeworkAssign
            }
        }

        /// What needs the override, in the refusal's message.
        var exercise: String {
            switch self {
            case .conjointSession: "a conjoint session"
            case .jointHomework: "a joint exercise"
            }
        }

        /// The table of the new row, whose `risk_override_reason` the reason's seal is bound to.
        var table: String {
            switch self {
            case .conjointSession: "therapy_sessions"
            case .jointHomework: "homework_assignments"
            }
        }
    }

    /// Passes the gate inside the use case's `auditedTransaction`.
    ///
    /// - Parameters:
    ///   - flaggedCouple: the couple when the gate applies (it has an open high-risk flag and the use
    ///     case brings its partners together), `nil` when it does not.
    ///   - clients: the chart's clients, for the refusal's entry.
    ///   - keys: seals the reason; without it the gate cannot be overridden.
    /// - Returns: the override to store in the new row `rowID`.
    /// - Throws: the refusal, already audited as denied, as an `AuditedRefusal`: the transaction
    ///   commits its entry, then throws the `ServiceError`.
    static func pass(
        _ reason: RiskOverrideReason?,
        for use: Use,
        flaggedCouple: UUID?,
        clients: [UUID],
        keys: KeyManager?,
        rowID: UUID,
        actor: StaffActor,
        on connection: isolated PostgresConnection
    ) async throws -> RiskOverride {
        guard let coupleID = flaggedCouple else { return RiskOverride() }
        let subject = ChartReference.couple(coupleID).keySubject
        guard let reason, let keys else {
            throw try AuditedRefusal(
                ServiceError(
                    .invalidInput,
                    field: RiskOverrideReason.fieldName,
                    "this couple has an open high-risk flag; \(use.exercise) needs an explicit override with a reason"
                ),
                audited: AuditEvent(action: use.refused, entityType: .couple, entityID: coupleID, clientIDs: clients),
                on: connection
            )
        }
        let sealed = try await keys.seal(
            reason.text,
            practiceID: actor.practiceID,
            at: SealedPlace(subject: subject, table: use.table, column: "risk_override_reason", rowID: rowID),
            on: connection
        )
        return RiskOverride(sealedReason: sealed.sealed, keyID: sealed.keyID)
    }
}
