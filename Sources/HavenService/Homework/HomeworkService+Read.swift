import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

extension HomeworkService {
    /// An assignment read back with each partner's response, as staff may see it: a counselor reads
    /// every response of their caseload's couples, shared with the other partner or not (`sharedWithPartner`
    /// says which the partner chose).
    public struct Assignment: Sendable, Equatable {
        public var id: UUID
        public var promptTitle: String
        public var category: String
        public var coupleID: UUID
        /// "A & B" (preferred names).
        public var coupleName: String
        /// The one partner it was given to; nil when given to both.
        public var partnerID: UUID?
        public var partnerName: String?
        public var sessionID: UUID
        public var assignedOn: CalendarDate
        public var dueOn: CalendarDate
        public var recurrence: String
        /// Derived: `assigned` or `overdue` until everyone it was given to answered; then `completed`
        /// (all completed), `skipped` (all skipped) or `partly_completed`.
        public var status: Status
        public var responses: [Response]
        /// The series step this assignment is, or nil for one given on its own (migration 0056).
        public var seriesStep: SeriesStep? = nil
    }

    /// Where an assignment sits in the series it belongs to.
    public struct SeriesStep: Sendable, Equatable {
        public var seriesAssignmentID: UUID
        public var seriesTitle: String
        /// 1-based, of `count`.
        public var position: Int
        public var count: Int
        /// When the partners' portal shows it (`haven_assignment_released`, the one rule).
        public var releaseAt: Date
        public var released: Bool
    }

    /// One partner's response.
    public struct Response: Sendable, Equatable {
        public var partnerID: UUID
        public var partnerName: String
        public var completion: Completion
        /// The opened text; nil when the partner wrote none.
        public var text: String?
        /// Whether the partner chose to share it with the other partner.
        public var sharedWithPartner: Bool
        public var recordedAt: Date
    }

    /// A couple's assignments with their responses, by due date (audited as `homework.list` with both
    /// partners).
    ///
    /// - Throws: `notFound` (audited as denied) for a couple out of reach.
    public func assignments(
        couple coupleID: UUID,
        today: CalendarDate,
        actor: StaffActor
    ) async throws
        -> [Assignment]
    {
        try actor.validate()
        let chart = ChartReference.couple(coupleID)
        return try await pool.readingChart(chart, action: .homeworkList, actor: actor) {
            try await pool.transaction(as: actor, prologue: [chart.reachCheck]) { connection, reach in
                let result = try await self.read(couple: coupleID, assignment: nil, today: today, on: connection)
                try await connection.commit(
                    audited: AuditEvent(
                        action: .homeworkList,
                        entityType: .couple,
                        entityID: coupleID,
                        clientIDs: try chart.clientIDs(fromReachCheck: reach[0])
                    )
                )
                return result
            }
        }
    }

    /// One assignment with its responses (audited as `homework.read` with both partners); marks the
    /// partners' answers read by the counselor (`counselor_read_at`).
    ///
    /// - Throws: `notFound` (audited as denied) for an assignment out of reach.
    public func assignment(_ assignmentID: UUID, today: CalendarDate, actor: StaffActor) async throws -> Assignment {
        try actor.validate()
        let found = try await pool.transaction(
            as: actor,
            prologue: [
                """
                SELECT a.couple_id, ARRAY[c.partner_a_id, c.partner_b_id]
                FROM homework_assignments a JOIN couples c ON c.id = a.couple_id WHERE a.id = \(assignmentID)
                """
            ]
        ) { connection, rows -> Assignment? in
            let row = try rows[0].singleRow()
            let (couple, clients) = try row.map { try $0.decode((UUID, [UUID]).self) } ?? (assignmentID, [])
            let result =
                row == nil
                ? nil
                : try await self.read(couple: couple, assignment: assignmentID, today: today, on: connection).first
            // The counselor's view of the answers marks them read: from now on a partner's answer and
            // its sharing are final (migration 0045).
            try await connection.commit(
                result == nil ? [] : ["SELECT haven_homework_mark_read(\(assignmentID))"],
                audited: AuditEvent(
                    action: .homeworkRead,
                    entityType: .homeworkAssignment,
                    entityID: assignmentID,
                    clientIDs: clients,
                    outcome: result == nil ? .denied : .success
                )
            )
            return result
        }
        guard let found else {
            throw ServiceError(.notFound, field: "assignment", "no assignment with this id in your caseload")
        }
        return found
    }

    /// The couple's assignments (or the one asked for) with their opened responses (two statements,
    /// whatever their number; the chart read calls it in its own transaction).
    func read(
        couple coupleID: UUID,
        assignment assignmentID: UUID?,
        today: CalendarDate,
        on connection: PostgresConnection
    ) async throws -> [Assignment] {
        let assignments = try await connection.query(
            """
            SELECT a.id, p.title, p.category, a.partner_id, a.session_id, a.assigned_on, a.due_on, a.recurrence,
                   array_to_string(haven_chart_names('couple', a.couple_id), ' & '),
                   (SELECT coalesce(k.preferred_name, k.legal_name) FROM clients k WHERE k.id = a.partner_id),
                   a.series_assignment_id, s.title, a.series_position::int4,
                   (SELECT count(*)::int4 FROM homework_assignments x WHERE x.series_assignment_id = a.series_assignment_id),
                   a.release_at, haven_assignment_released(a)
            FROM homework_assignments a JOIN homework_prompts p ON p.id = a.prompt_id
            LEFT JOIN homework_series_assignments sa ON sa.id = a.series_assignment_id
            LEFT JOIN homework_series s ON s.id = sa.series_id
            WHERE a.couple_id = \(coupleID) AND (\(assignmentID)::uuid IS NULL OR a.id = \(assignmentID))
            ORDER BY a.due_on, a.id
            """
        )
        let responseRows = try await connection.query(
            """
            SELECT r.assignment_id, r.id, r.partner_id, coalesce(k.preferred_name, k.legal_name, ''), r.completion,
                   r.response, r.key_subject, r.shared_with_partner, r.recorded_at
            FROM homework_responses r JOIN homework_assignments a ON a.id = r.assignment_id
            LEFT JOIN clients k ON k.id = r.partner_id
            WHERE a.couple_id = \(coupleID) AND (\(assignmentID)::uuid IS NULL OR a.id = \(assignmentID))
            ORDER BY r.recorded_at, r.id
            """
        )
        var responses: [UUID: [Response]] = [:]
        for row in responseRows {
            let (assignment, id, partner, name, completion) = try row.decode((UUID, UUID, UUID, String, String).self)
            let (sealed, subject, shared, recorded) = try row.decode((([UInt8]?), String, Bool, Date).self, from: 5)
            let text = try await sealed.asyncMap {
                try await keys.open(
                    $0,
                    at: SealedPlace(
                        subject: try KeySubject(stored: subject),
                        table: "homework_responses",
                        column: "response",
                        rowID: id
                    ),
                    on: connection
                )
            }
            guard let completion = Completion(rawValue: completion) else {
                throw ServiceError(.conflict, field: "completion", "a stored response has an unknown completion")
            }
            responses[assignment, default: []].append(
                Response(
                    partnerID: partner,
                    partnerName: name,
                    completion: completion,
                    text: text,
                    sharedWithPartner: shared,
                    recordedAt: recorded
                )
            )
        }
        return try assignments.map { row in
            let (id, title, category, partner, session) = try row.decode((UUID, String, String, UUID?, UUID).self)
            let (assigned, due, recurrence, coupleName, partnerName) = try row.decode(
                (CalendarDate, CalendarDate, String, String?, String?).self,
                from: 5
            )
            let answers = responses[id] ?? []
            let (series, seriesTitle, position, count, releaseAt, released) = try row.decode(
                (UUID?, String?, Int32?, Int32, Date?, Bool).self,
                from: 10
            )
            var step: SeriesStep?
            if let series, let seriesTitle, let position, let releaseAt {
                step = SeriesStep(
                    seriesAssignmentID: series,
                    seriesTitle: seriesTitle,
                    position: Int(position),
                    count: Int(count),
                    releaseAt: releaseAt,
                    released: released
                )
            }
            return Assignment(
                id: id,
                promptTitle: title,
                category: category,
                coupleID: coupleID,
                coupleName: coupleName ?? "",
                partnerID: partner,
                partnerName: partnerName,
                sessionID: session,
                assignedOn: assigned,
                dueOn: due,
                recurrence: recurrence,
                status: released
                    ? Self.status(of: answers, expected: partner == nil ? 2 : 1, dueOn: due, today: today) : .upcoming,
                responses: answers,
                seriesStep: step
            )
        }
    }

    /// Where an assignment stands, from its responses and due date.
    static func status(of responses: [Response], expected: Int, dueOn: CalendarDate, today: CalendarDate) -> Status {
        guard responses.count >= expected else { return dueOn < today ? .overdue : .assigned }
        if responses.allSatisfy({ $0.completion == .completed }) { return .completed }
        if responses.allSatisfy({ $0.completion == .skipped }) { return .skipped }
        return .partlyCompleted
    }
}
