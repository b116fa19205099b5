import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Attachment injuries and treatment goals on a couple's chart: descriptions sealed for the couple,
/// status and steps plain; every change audited.
public struct CoupleRecordService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// An attachment injury as read back.
    public struct Injury: Sendable, Equatable {
        public var id: UUID
        public var injuredPartnerID: UUID
        /// The injured partner's name (preferred, else legal), read in the same query.
        public var injuredPartnerName: String = ""
        public var description: String
        public var identifiedOn: CalendarDate
        public var status: InjuryStatus
        /// The resolution model's step, 1–8.
        public var resolutionStep: Int
        public var resolvedOn: CalendarDate?
    }

    /// A treatment goal as read back.
    public struct Goal: Sendable, Equatable {
        public var id: UUID
        public var description: String
        public var status: String
    }

    /// The allowed goal statuses.
    public static let goalStatuses = ["open", "in_progress", "met", "discontinued"]

    /// Records an attachment injury of one partner.
    ///
    /// - Throws: `invalidInput` naming `description` or `injuredPartnerID`; `notFound` for a couple out of reach.
    public func recordInjury(
        couple coupleID: UUID,
        injuredPartner partnerID: UUID,
        description: String,
        identifiedOn: CalendarDate,
        actor: StaffActor
    ) async throws -> UUID {
        try await add(.injury, couple: coupleID, description: description, actor: actor) { couple in
            guard couple.partners.contains(partnerID) else {
                return ServiceError(.invalidInput, field: "injuredPartnerID", "must be one of the couple's partners")
            }
            return nil
        } insert: { id, couple, sealed in
            """
            INSERT INTO attachment_injuries (id, practice_id, couple_id, counselor_id, injured_partner_id,
                                             description, description_key_id, identified_on)
            VALUES (\(id), \(actor.practiceID), \(coupleID), \(couple.counselor), \(partnerID), \(sealed.sealed), \
            \(sealed.keyID), \(identifiedOn))
            """
        }
    }

    /// Moves an injury through the resolution model (step 1–8) and its status; `resolvedOn` is
    /// required exactly when the status is `resolved`.
    public func updateInjury(
        _ id: UUID,
        step: Int,
        status: InjuryStatus,
        resolvedOn: CalendarDate? = nil,
        actor: StaffActor
    ) async throws {
        guard (1...8).contains(step) else {
            throw ServiceError(.invalidInput, field: "resolutionStep", "must be 1 to 8")
        }
        guard (status == .resolved) == (resolvedOn != nil) else {
            throw ServiceError(.invalidInput, field: "resolvedOn", "is given exactly when the status is resolved")
        }
        try await update(
            .injury,
            id,
            actor: actor,
            """
            UPDATE attachment_injuries SET resolution_step = \(Int16(step)), status = \(status.rawValue), \
            resolved_on = \(resolvedOn) WHERE id = \(id) RETURNING \(unescaped: Self.partnersColumn)
            """,
            refusing: [
                "attachment_injuries_resolved_after": ServiceError(
                    .invalidInput,
                    field: "resolvedOn",
                    "is before the day the injury was identified"
                )
            ]
        )
    }

    /// A couple's injuries, oldest first (audited).
    public func injuries(couple coupleID: UUID, actor: StaffActor) async throws -> [Injury] {
        try await list(
            .injury,
            couple: coupleID,
            actor: actor,
            """
            SELECT id, description, key_subject, injured_partner_id, identified_on, status, resolution_step, resolved_on,
                   (SELECT coalesce(k.preferred_name, k.legal_name) FROM clients k
                    WHERE k.id = attachment_injuries.injured_partner_id)
            FROM attachment_injuries WHERE couple_id = \(coupleID) ORDER BY identified_on, id
            """
        ) { id, description, row in
            let (partner, identified, status, step, resolved, name) = try row.decode(
                (UUID, CalendarDate, String, Int, CalendarDate?, String?).self,
                from: 3
            )
            return Injury(
                id: id,
                injuredPartnerID: partner,
                injuredPartnerName: name ?? "",
                description: description,
                identifiedOn: identified,
                status: try InjuryStatus.parse(status),
                resolutionStep: step,
                resolvedOn: resolved
            )
        }
    }

    /// Adds a treatment goal to a couple's chart.
    public func addGoal(couple coupleID: UUID, description: String, actor: StaffActor) async throws -> UUID {
        try await add(.goal, couple: coupleID, description: description, actor: actor) { id, couple, sealed in
            """
            INSERT INTO treatment_goals (id, practice_id, couple_id, counselor_id, description, description_key_id)
            VALUES (\(id), \(actor.practiceID), \(coupleID), \(couple.counselor), \(sealed.sealed), \(sealed.keyID))
            """
        }
    }

    /// Sets a goal's status (`open`, `in_progress`, `met`, `discontinued`).
    public func setGoalStatus(_ id: UUID, status: String, actor: StaffActor) async throws {
        guard Self.goalStatuses.contains(status) else {
            throw ServiceError(
                .invalidInput,
                field: "status",
                "must be one of: \(Self.goalStatuses.joined(separator: ", "))"
            )
        }
        try await update(
            .goal,
            id,
            actor: actor,
            """
            UPDATE treatment_goals SET status = \(status), updated_at = now() WHERE id = \(id)
            RETURNING \(unescaped: Self.partnersColumn)
            """
        )
    }

    /// A couple's goals, oldest first (audited).
    public func goals(couple coupleID: UUID, actor: StaffActor) async throws -> [Goal] {
        try await list(
            .goal,
            couple: coupleID,
            actor: actor,
            """
            SELECT id, description, key_subject, status FROM treatment_goals WHERE couple_id = \(coupleID)
            ORDER BY created_at, id
            """
        ) { id, description, row in
            Goal(id: id, description: description, status: try row.decode(3, as: String.self))
        }
    }
}
