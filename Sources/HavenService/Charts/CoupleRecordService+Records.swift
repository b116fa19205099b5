import Foundation
import HavenStore
import Postgres

/// What attachment injuries and treatment goals share, written once: a description sealed for the
/// couple, the caseload wall (a couple or record out of reach is "not found", audited as denied), and
/// audit entries that name both partners.
extension CoupleRecordService {
    /// What one kind of couple record differs in.
    struct Record: Sendable {
        let table: String
        let entity: AuditEvent.EntityType
        let added: AuditEvent.Action
        let updated: AuditEvent.Action
        let listed: AuditEvent.Action

        static let injury = Record(
            table: "attachment_injuries",
            entity: .injury,
            added: .injuryRecord,
            updated: .injuryUpdate,
            listed: .injuryList
        )
        static let goal = Record(
            table: "treatment_goals",
            entity: .goal,
            added: .goalAdd,
            updated: .goalUpdate,
            listed: .goalList
        )

        /// Where a record's description is sealed.
        func description(of id: UUID, subject: KeySubject) -> SealedPlace {
            SealedPlace(subject: subject, table: table, column: "description", rowID: id)
        }
    }

    /// A couple in the actor's reach, as a new record needs it.
    struct Couple: Sendable {
        var partners: [UUID]
        var counselor: UUID
    }

    /// The couple's partners of a record row (it has `couple_id`), as SQL for a RETURNING clause.
    static let partnersColumn: StaticString =
        "(SELECT ARRAY[partner_a_id, partner_b_id] FROM couples WHERE couples.id = couple_id)"

    /// Adds a record to a couple's chart: checks the description, finds the couple in reach, runs
    /// `check`, seals the description and sends `insert`'s statement with the audit entry and COMMIT.
    ///
    /// - Throws: `invalidInput` naming `description` (or what `check` refuses); `notFound` (audited)
    ///   for a couple out of reach.
    func add(
        _ record: Record,
        couple coupleID: UUID,
        description: String,
        actor: StaffActor,
        check: @Sendable @escaping (Couple) -> ServiceError? = { _ in nil },
        insert: @Sendable @escaping (UUID, Couple, (sealed: [UInt8], keyID: UUID)) -> PostgresQuery
    ) async throws -> UUID {
        try actor.validate()
        try NoteService.checkText(description, field: "description")
        let id = UUID()
        let keys = self.keys
        return try await pool.auditedTransaction(as: actor) { connection in
            guard
                let row = try await connection.query(
                    "SELECT partner_a_id, partner_b_id, counselor_id FROM couples WHERE id = \(coupleID)"
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "couple", "no couple with this id in your caseload"),
                    audited: AuditEvent(action: record.added, entityType: .couple, entityID: coupleID)
                )
            }
            let (a, b, counselor) = try row.decode((UUID, UUID, UUID).self)
            let couple = Couple(partners: [a, b], counselor: counselor)
            if let refusal = check(couple) { return .failure(refusal) }
            let subject = ChartReference.couple(coupleID).keySubject
            let sealed = try await keys.seal(
                description,
                practiceID: actor.practiceID,
                at: record.description(of: id, subject: subject),
                on: connection
            )
            try await connection.commit(
                ["SELECT haven_require_live_keys(\([sealed.keyID]))", insert(id, couple, sealed)],
                audited: AuditEvent(action: record.added, entityType: record.entity, entityID: id, clientIDs: [a, b])
            )
            return .success(id)
        }
    }

    /// Changes a record with `statement` (an UPDATE of the one row that returns `partnersColumn`),
    /// audited with the couple's partners.
    ///
    /// - Parameter refusing: the refusal for each constraint the statement may break.
    /// - Throws: those refusals; `notFound` (audited) for a record out of reach.
    func update(
        _ record: Record,
        _ id: UUID,
        actor: StaffActor,
        _ statement: PostgresQuery,
        refusing: [String: ServiceError] = [:]
    ) async throws {
        try actor.validate()
        try await pool.auditedTransaction(as: actor) { connection -> UseCaseResult<Void> in
            let updated: PostgresRow?
            do {
                updated = try await connection.query(statement).singleRow()
            } catch let error as PostgresError {
                // Thrown, not returned: the failed statement aborted the transaction.
                throw error.constraint.flatMap { refusing[$0] } ?? error
            }
            let entry = AuditEvent(action: record.updated, entityType: record.entity, entityID: id)
            guard let updated else {
                let field = record.entity.rawValue
                return try connection.refuse(
                    ServiceError(.notFound, field: field, "no \(field) with this id in your caseload"),
                    audited: entry
                )
            }
            var success = entry
            success.clientIDs = try updated.decode(0, as: [UUID]?.self) ?? []
            try await connection.commit(audited: success)
            return .success(())
        }
    }

    /// A couple's records, read with `query` (its first columns `id, description, key_subject`),
    /// each built by `item` from its id, opened description and row; the read is audited with the
    /// couple's partners.
    ///
    /// - Throws: `notFound` (audited) for a couple out of reach.
    func list<Item: Sendable>(
        _ record: Record,
        couple coupleID: UUID,
        actor: StaffActor,
        _ query: PostgresQuery,
        item: @Sendable @escaping (UUID, String, PostgresRow) throws -> Item
    ) async throws -> [Item] {
        try actor.validate()
        let chart = ChartReference.couple(coupleID)
        let keys = self.keys
        return try await pool.readingChart(chart, action: record.listed, actor: actor) {
            try await pool.transaction(as: actor, prologue: [chart.reachCheck]) { connection, reach in
                var result: [Item] = []
                for row in try await connection.query(query) {
                    let (id, sealed, subject) = try row.decode((UUID, [UInt8], String).self)
                    let description = try await keys.open(
                        sealed,
                        at: record.description(of: id, subject: try KeySubject(stored: subject)),
                        on: connection
                    )
                    result.append(try item(id, description, row))
                }
                try await connection.commit(
                    audited: AuditEvent(
                        action: record.listed,
                        entityType: .couple,
                        entityID: coupleID,
                        clientIDs: try chart.clientIDs(fromReachCheck: reach[0])
                    )
                )
                return result
            }
        }
    }
}
