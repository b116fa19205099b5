import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

extension HomeworkService {
    /// How a partner did with an assignment.
    public enum Completion: String, Sendable {
        case completed
        case partlyCompleted = "partly_completed"
        case skipped
    }

    /// Where an assignment stands.
    public enum Status: String, Sendable {
        case assigned
        case completed
        case partlyCompleted = "partly_completed"
        case skipped
        /// Past its due date with no response.
        case overdue
        /// A series step not released yet: the partners do not see it (migration 0056).
        case upcoming
    }

    /// Records one partner's response (completion and optional text, sealed; private to the counselor
    /// unless `shareWithPartner`). Recording again replaces that partner's earlier response.
    ///
    /// - Throws: `invalidInput` naming `partnerID` or `text`; `notFound` outside the caseload.
    public func recordResponse(
        assignment assignmentID: UUID,
        partner partnerID: UUID,
        completion: Completion,
        text: String? = nil,
        shareWithPartner: Bool = false,
        actor: StaffActor
    ) async throws {
        try actor.validate()
        if let text, text.utf8.count > NoteService.maximumBodyBytes {
            throw ServiceError(
                .invalidInput,
                field: "text",
                "is longer than \(NoteService.maximumBodyBytes / 1024) KiB"
            )
        }
        let keys = self.keys
        try await pool.auditedTransaction(as: actor) { connection -> Result<Void, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT a.couple_id, a.partner_id, c.partner_a_id, c.partner_b_id, a.counselor_id
                    FROM homework_assignments a JOIN couples c ON c.id = a.couple_id WHERE a.id = \(assignmentID)
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "assignment", "no assignment with this id in your caseload"),
                    audited: AuditEvent(
                        action: .homeworkRespond,
                        entityType: .homeworkAssignment,
                        entityID: assignmentID
                    )
                )
            }
            let (couple, assignedPartner, a, b, counselor) = try row.decode((UUID, UUID?, UUID, UUID, UUID).self)
            guard partnerID == a || partnerID == b, assignedPartner == nil || assignedPartner == partnerID else {
                return .failure(
                    ServiceError(
                        .invalidInput,
                        field: "partnerID",
                        "must be the partner (or a partner) the homework was assigned to"
                    )
                )
            }
            let id = UUID()
            let subject = KeySubject(kind: .couple, id: couple.uuidString.lowercased())
            var sealed: [UInt8]?
            var keyID: UUID?
            if let text, !text.allSatisfy(\.isWhitespace) {
                (sealed, keyID) = try await keys.seal(
                    text,
                    practiceID: actor.practiceID,
                    at: SealedPlace(subject: subject, table: "homework_responses", column: "response", rowID: id),
                    on: connection
                )
            }
            var statements: [PostgresQuery] = []
            if let keyID { statements.append("SELECT haven_require_live_keys(\([keyID]))") }
            statements += [
                "DELETE FROM homework_responses WHERE assignment_id = \(assignmentID) AND partner_id = \(partnerID)",
                """
                INSERT INTO homework_responses (id, practice_id, assignment_id, partner_id, counselor_id, key_subject,
                                                completion, response, response_key_id, shared_with_partner)
                VALUES (\(id), \(actor.practiceID), \(assignmentID), \(partnerID), \(counselor), \(subject.description), \
                \(completion.rawValue), \(sealed), \(keyID), \(shareWithPartner))
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: .homeworkRespond,
                    entityType: .homeworkAssignment,
                    entityID: assignmentID,
                    clientIDs: [partnerID]
                )
            )
            return .success(())
        }
    }

    /// One line of the open-homework list.
    public struct OpenAssignment: Sendable, Equatable {
        public var id: UUID
        public var promptTitle: String
        public var coupleID: UUID
        /// "A & B" (preferred names), read in the same query.
        public var coupleName: String
        public var partnerID: UUID?
        /// The partner it was given to, by name; nil when given to both.
        public var partnerName: String?
        public var dueOn: CalendarDate
        public var status: Status
    }

    /// Assignments of the actor's caseload not yet answered by everyone they were given to, with
    /// `overdue` derived from the due date; a series step only once released (it is not out yet).
    public func openAssignments(today: CalendarDate, actor: StaffActor) async throws -> [OpenAssignment] {
        try actor.validate()
        return try await pool.transaction(as: actor) { connection in
            try await connection.query(
                """
                SELECT a.id, p.title, a.couple_id, a.partner_id, a.due_on,
                       array_to_string(haven_chart_names('couple', a.couple_id), ' & '),
                       (SELECT coalesce(k.preferred_name, k.legal_name) FROM clients k WHERE k.id = a.partner_id)
                FROM homework_assignments a JOIN homework_prompts p ON p.id = a.prompt_id
                WHERE \(unescaped: Self.openCondition) AND haven_assignment_released(a)
                ORDER BY a.due_on, a.id
                """
            ).map { row in
                let (id, title, couple, partner, due, coupleName, partnerName) = try row.decode(
                    (UUID, String, UUID, UUID?, CalendarDate, String?, String?).self
                )
                return OpenAssignment(
                    id: id,
                    promptTitle: title,
                    coupleID: couple,
                    coupleName: coupleName ?? "",
                    partnerID: partner,
                    partnerName: partnerName,
                    dueOn: due,
                    status: due < today ? .overdue : .assigned
                )
            }
        }
    }
}
