import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// The homework library and assignments. Joint (partner-to-partner) exercises for a couple with an
/// open high-risk flag are refused unless the counselor overrides with a reason, which is sealed and
/// audited.
public struct HomeworkService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// A prompt of the library.
    public struct Prompt: Sendable, Equatable {
        public var id: UUID
        public var title: String
        public var category: HomeworkCategory
        public var instructions: String
        public var frequency: HomeworkFrequency
        public var stages: [EFTStage]
        /// Whether the partners do it together (structured talks, enactment-style exercises).
        public var joint: Bool
        public var builtIn: Bool
    }

    /// The built-in prompts and the practice's own.
    public func library(actor: StaffActor) async throws -> [Prompt] {
        try actor.validate()
        return try await pool.transaction(as: actor) { connection in
            try await connection.query(
                """
                SELECT id, title, category, instructions, frequency, stages::int4[], joint, practice_id IS NULL
                FROM homework_prompts ORDER BY practice_id NULLS FIRST, category, title
                """
            ).map { row in
                let (id, title, category, instructions, frequency, stages, joint, builtIn) = try row.decode(
                    (UUID, String, String, String, String, [Int32], Bool, Bool).self
                )
                return Prompt(
                    id: id,
                    title: title,
                    category: try HomeworkCategory.parse(category),
                    instructions: instructions,
                    frequency: try HomeworkFrequency.parse(frequency),
                    stages: stages.compactMap { EFTStage(rawValue: Int($0)) },
                    joint: joint,
                    builtIn: builtIn
                )
            }
        }
    }

    /// How often an assignment repeats.
    public enum Recurrence: String, Sendable {
        case none, daily, weekly
    }

    /// Assigns a prompt to a couple (or one partner of it) in a session.
    ///
    /// - Parameters:
    ///   - partnerID: one partner, or `nil` for both.
    ///   - riskOverrideReason: required to assign a joint prompt while the couple has an open
    ///     high-risk flag (the latest note recorded high risk); 20 to 1000 characters whenever given
    ///     (`RiskOverrideReason`), checked by `RiskOverride`, the gate conjoint sessions share.
    /// - Throws: `invalidInput` naming `dueOn`, `partnerID`, `session` or `riskOverrideReason`;
    ///   `notFound` for a prompt, couple or session out of reach.
    public func assign(
        prompt promptID: UUID,
        couple coupleID: UUID,
        partner partnerID: UUID? = nil,
        session sessionID: UUID,
        dueOn: CalendarDate,
        recurrence: Recurrence = .none,
        today: CalendarDate,
        riskOverrideReason: String? = nil,
        actor: StaffActor
    ) async throws -> Assigned {
        try actor.validate()
        guard dueOn >= today else {
            throw ServiceError(.invalidInput, field: "dueOn", "must be on or after the assignment date (\(today))")
        }
        let reason = try RiskOverride.validate(riskOverrideReason)
        let id = UUID()
        let keys = self.keys
        return try await pool.auditedTransaction(as: actor) { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT p.joint, c.partner_a_id, c.partner_b_id, haven_couple_high_risk(c.id),
                           (SELECT count(*) FROM therapy_sessions s WHERE s.id = \(sessionID) AND s.couple_id = c.id)
                    FROM homework_prompts p, couples c WHERE p.id = \(promptID) AND c.id = \(coupleID)
                    """
                ).singleRow()
            else {
                return .failure(
                    ServiceError(.notFound, field: "couple", "no such prompt, or no such couple in your caseload")
                )
            }
            let (joint, a, b, highRisk, sessions) = try row.decode((Bool, UUID, UUID, Bool, Int).self)
            guard sessions == 1 else {
                return .failure(ServiceError(.invalidInput, field: "session", "must be a session of this couple"))
            }
            if let partnerID, partnerID != a, partnerID != b {
                return .failure(ServiceError(.invalidInput, field: "partnerID", "must be one of the couple's partners"))
            }
            // The same prompt still open for the same partner (or the couple) is worth a second look,
            // not a refusal: a counselor may mean it (a weekly check-in renewed before it was answered).
            let duplicates =
                try await connection.query(
                    """
                    SELECT count(*)::int4 FROM homework_assignments a
                    WHERE a.prompt_id = \(promptID) AND a.couple_id = \(coupleID)
                      AND (a.partner_id IS NULL OR \(partnerID)::uuid IS NULL OR a.partner_id = \(partnerID))
                      AND \(unescaped: Self.openCondition)
                    """
                ).singleRow()?.decode(0, as: Int32.self) ?? 0
            let warnings =
                duplicates > 0
                ? ["this prompt is already assigned to this partner (or the couple) and still open"] : []
            let override = try await RiskOverride.pass(
                reason,
                for: .jointHomework,
                flaggedCouple: joint && highRisk ? coupleID : nil,
                clients: [a, b],
                keys: keys,
                rowID: id,
                actor: actor,
                on: connection
            )
            var statements = override.liveKeyCheck
            statements.append(
                """
                INSERT INTO homework_assignments (id, practice_id, prompt_id, couple_id, partner_id, session_id, counselor_id,
                    assigned_on, due_on, recurrence, risk_override_reason, risk_override_key_id)
                VALUES (\(id), \(actor.practiceID), \(promptID), \(coupleID), \(partnerID), \(sessionID), \(actor.staffID), \
                \(today), \(dueOn), \(recurrence.rawValue), \(override.sealedReason), \(override.keyID))
                """
            )
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: override.overridden ? .homeworkAssignRiskOverride : .homeworkAssign,
                    entityType: .homeworkAssignment,
                    entityID: id,
                    clientIDs: partnerID.map { [$0] } ?? [a, b]
                )
            )
            return .success(Assigned(id: id, warnings: warnings))
        }
    }

    /// What an assignment answers: its id and what is worth a second look (not refused).
    public struct Assigned: Sendable, Equatable {
        public var id: UUID
        /// E.g. the same prompt already assigned to the same partner and still open.
        public var warnings: [String]
    }

    /// An assignment (`a`) still open: not every partner it is for has responded (the open list's
    /// rule, and the duplicate warning's).
    static let openCondition: StaticString = """
        (SELECT count(*) FROM homework_responses r WHERE r.assignment_id = a.id)
              < CASE WHEN a.partner_id IS NULL THEN 2 ELSE 1 END
        """
}
