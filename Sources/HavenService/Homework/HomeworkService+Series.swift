import Foundation
import HavenCore
import HavenStore
import Postgres

extension HomeworkService {
    /// A series of the library (migration 0056): ordered steps, each a prompt with its own questions,
    /// given to a couple one step at a time (the emotional-safety practice is the built-in one).
    public struct Series: Sendable, Equatable {
        public struct Step: Sendable, Equatable {
            public var position: Int
            public var promptID: UUID
            public var promptTitle: String
            /// The prompt's: whether the partners do it together.
            public var joint: Bool
            /// What the partner answers for this step.
            public var questions: [String]
        }

        public var id: UUID
        public var title: String
        public var description: String
        public var steps: [Step]
    }

    /// The interval between steps when the counselor names none: a step a week.
    public static let defaultSeriesInterval = 7

    /// The built-in emotional-safety practice, the series assigned when the counselor names none: its id
    /// is stable (migration 0056 derives it, `md5('haven-series-01')::uuid`), so no reordering of the
    /// library can change which series that is.
    public static let emotionalSafetySeriesID = UUID(uuidString: "45cbb0c0-9636-a2b5-8fa4-4a5c8c80a339")!

    /// The series of the library (built-in and the practice's), each with its steps in order.
    public func seriesLibrary(actor: StaffActor) async throws -> [Series] {
        try actor.validate()
        return try await pool.transaction(as: actor) { connection in
            let rows = try await connection.query(
                """
                SELECT s.id, s.title, s.description, st.position::int4, p.id, p.title, p.joint, st.questions
                FROM homework_series s JOIN homework_series_steps st ON st.series_id = s.id
                JOIN homework_prompts p ON p.id = st.prompt_id
                ORDER BY s.practice_id NULLS FIRST, s.title, s.id, st.position
                """
            )
            var series: [Series] = []
            for row in rows {
                let (id, title, description, position) = try row.decode((UUID, String, String, Int32).self)
                let (promptID, promptTitle, joint, questions) = try row.decode(
                    (UUID, String, Bool, [String]).self,
                    from: 4
                )
                let step = Series.Step(
                    position: Int(position),
                    promptID: promptID,
                    promptTitle: promptTitle,
                    joint: joint,
                    questions: questions
                )
                if series.last?.id == id {
                    series[series.count - 1].steps.append(step)
                } else {
                    series.append(Series(id: id, title: title, description: description, steps: [step]))
                }
            }
            return series
        }
    }

    /// What assigning a series answers: the series assignment and its steps' assignments, in order.
    public struct AssignedSeries: Sendable, Equatable {
        public var id: UUID
        public var steps: [UUID]
    }

    /// Assigns a series to a couple (or one partner of it) in a session: each step becomes an assignment
    /// released `intervalDays` after the one before (the first now), due `intervalDays` after its
    /// release. A partner's portal shows a step only from its release (`haven_assignment_released`), and
    /// its "new item" reminder is due then (0056's trigger). Joint steps pass the high-risk gate as
    /// `assign` does: while the couple has an open high-risk flag they need `riskOverrideReason`, sealed
    /// into each joint step. Audited once, `homework.series.assign` (or `.risk_override`).
    ///
    /// - Throws: `invalidInput` naming `intervalDays` (1–60), `partnerID`, `session` or
    ///   `riskOverrideReason`; `notFound` for a series, couple or session out of reach.
    public func assignSeries(
        _ seriesID: UUID,
        couple coupleID: UUID,
        partner partnerID: UUID? = nil,
        session sessionID: UUID,
        intervalDays: Int = HomeworkService.defaultSeriesInterval,
        today: CalendarDate,
        riskOverrideReason: String? = nil,
        actor: StaffActor
    ) async throws -> AssignedSeries {
        try actor.validate()
        guard (1...60).contains(intervalDays) else {
            throw ServiceError(.invalidInput, field: "intervalDays", "must be 1 to 60 days")
        }
        let reason = try RiskOverride.validate(riskOverrideReason)
        let id = UUID()
        let keys = self.keys
        return try await pool.auditedTransaction(as: actor) { connection in
            let row = try await connection.query(
                """
                SELECT c.partner_a_id, c.partner_b_id, haven_couple_high_risk(c.id),
                       (SELECT count(*) FROM therapy_sessions s WHERE s.id = \(sessionID) AND s.couple_id = c.id),
                       (SELECT array_agg(st.position::int4 ORDER BY st.position) FROM homework_series_steps st
                        WHERE st.series_id = \(seriesID)),
                       (SELECT array_agg(p.joint::int4 ORDER BY st.position)
                        FROM homework_series_steps st JOIN homework_prompts p ON p.id = st.prompt_id
                        WHERE st.series_id = \(seriesID))
                FROM couples c WHERE c.id = \(coupleID)
                """
            ).singleRow()
            guard let row, let positions = try row.decode(4, as: [Int32]?.self),
                let jointSteps = try row.decode(5, as: [Int32]?.self)
            else {
                return .failure(
                    ServiceError(.notFound, field: "couple", "no such series, or no such couple in your caseload")
                )
            }
            let (a, b, highRisk, sessions) = try row.decode((UUID, UUID, Bool, Int).self)
            guard sessions == 1 else {
                return .failure(ServiceError(.invalidInput, field: "session", "must be a session of this couple"))
            }
            if let partnerID, partnerID != a, partnerID != b {
                return .failure(ServiceError(.invalidInput, field: "partnerID", "must be one of the couple's partners"))
            }
            var statements: [PostgresQuery] = [
                """
                INSERT INTO homework_series_assignments (id, practice_id, series_id, couple_id, partner_id, counselor_id,
                    interval_days)
                VALUES (\(id), \(actor.practiceID), \(seriesID), \(coupleID), \(partnerID), \(actor.staffID), \
                \(Int16(intervalDays)))
                """
            ]
            var steps: [UUID] = []
            var overridden = false
            for (index, (position, joint)) in zip(positions, jointSteps).enumerated() {
                let stepID = UUID()
                let override = try await RiskOverride.pass(
                    reason,
                    for: .jointHomework,
                    flaggedCouple: joint == 1 && highRisk ? coupleID : nil,
                    clients: [a, b],
                    keys: keys,
                    rowID: stepID,
                    actor: actor,
                    on: connection
                )
                overridden = overridden || override.overridden
                let offset = index * intervalDays
                let releasedOn = today.adding(days: offset)
                statements += override.liveKeyCheck
                statements.append(
                    """
                    INSERT INTO homework_assignments (id, practice_id, prompt_id, couple_id, partner_id, session_id,
                        counselor_id, assigned_on, due_on, risk_override_reason, risk_override_key_id, release_at,
                        series_assignment_id, series_position)
                    SELECT \(stepID), \(actor.practiceID), st.prompt_id, \(coupleID), \(partnerID), \(sessionID), \
                    \(actor.staffID), \(releasedOn), \(releasedOn.adding(days: intervalDays)), \
                    \(override.sealedReason), \(override.keyID), now() + make_interval(days => \(Int32(offset))), \
                    \(id), st.position
                    FROM homework_series_steps st WHERE st.series_id = \(seriesID) AND st.position = \(Int16(position))
                    """
                )
                steps.append(stepID)
            }
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: overridden ? .homeworkSeriesAssignRiskOverride : .homeworkSeriesAssign,
                    entityType: .homeworkSeriesAssignment,
                    entityID: id,
                    clientIDs: partnerID.map { [$0] } ?? [a, b]
                )
            )
            return .success(AssignedSeries(id: id, steps: steps))
        }
    }
}
