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

    private func checkText(_ text: String, field: String) throws {
        guard !text.allSatisfy(\.isWhitespace) else { throw ServiceError(.invalidInput, field: field, "is empty") }
        guard text.utf8.count <= NoteService.maximumBodyBytes else {
            throw ServiceError(.invalidInput, field: field, "is longer than \(NoteService.maximumBodyBytes / 1024) KiB")
        }
    }

    private func sealed(
        _ text: String,
        table: String,
        rowID: UUID,
        couple: UUID,
        actor: StaffActor,
        on connection: PostgresConnection
    ) async throws -> (bytes: [UInt8], keyID: UUID) {
        let result = try await keys.seal(
            text,
            practiceID: actor.practiceID,
            subject: KeySubject(kind: .couple, id: couple.uuidString.lowercased()),
            table: table,
            column: "description",
            rowID: rowID,
            on: connection
        )
        return (result.sealed, result.keyID)
    }

    private func opened(
        _ bytes: [UInt8],
        table: String,
        rowID: UUID,
        subject: String,
        on connection: PostgresConnection
    )
        async throws -> String
    {
        try await keys.open(
            bytes,
            subject: try KeySubject(stored: subject),
            table: table,
            column: "description",
            rowID: rowID,
            on: connection
        )
    }

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
        try actor.validate()
        try checkText(description, field: "description")
        let id = UUID()
        return try await pool.auditedTransaction(as: actor) { connection -> Result<UUID, ServiceError> in
            guard
                let row = try await connection.query(
                    "SELECT partner_a_id, partner_b_id, counselor_id FROM couples WHERE id = \(coupleID)"
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "couple", "no couple with this id in your caseload"),
                    audited: AuditEvent(action: .injuryRecord, entityType: .couple, entityID: coupleID)
                )
            }
            let (a, b, counselor) = try row.decode((UUID, UUID, UUID).self)
            guard partnerID == a || partnerID == b else {
                return .failure(
                    ServiceError(.invalidInput, field: "injuredPartnerID", "must be one of the couple's partners")
                )
            }
            let text = try await self.sealed(
                description,
                table: "attachment_injuries",
                rowID: id,
                couple: coupleID,
                actor: actor,
                on: connection
            )
            let statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([text.keyID]))",
                """
                INSERT INTO attachment_injuries (id, practice_id, couple_id, counselor_id, injured_partner_id,
                                                 description, description_key_id, identified_on)
                VALUES (\(id), \(actor.practiceID), \(coupleID), \(counselor), \(partnerID), \(text.bytes), \
                \(text.keyID), \(identifiedOn))
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .injuryRecord, entityType: .injury, entityID: id, clientIDs: [a, b])
            )
            return .success(id)
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
        try actor.validate()
        guard (1...8).contains(step) else {
            throw ServiceError(.invalidInput, field: "resolutionStep", "must be 1 to 8")
        }
        guard (status == .resolved) == (resolvedOn != nil) else {
            throw ServiceError(.invalidInput, field: "resolvedOn", "is given exactly when the status is resolved")
        }
        try await pool.auditedTransaction(as: actor) { connection -> Result<Void, ServiceError> in
            let updated: PostgresRow?
            do {
                updated = try await connection.query(
                    """
                    UPDATE attachment_injuries SET resolution_step = \(Int16(step)), status = \(status.rawValue), \
                    resolved_on = \(resolvedOn) WHERE id = \(id)
                    RETURNING (SELECT ARRAY[partner_a_id, partner_b_id] FROM couples WHERE couples.id = couple_id)
                    """
                ).singleRow()
            } catch let error as PostgresError where error.constraint == "attachment_injuries_resolved_after" {
                throw ServiceError(.invalidInput, field: "resolvedOn", "is before the day the injury was identified")
            }
            guard let updated else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "injury", "no injury with this id in your caseload"),
                    audited: AuditEvent(action: .injuryUpdate, entityType: .injury, entityID: id)
                )
            }
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: .injuryUpdate,
                    entityType: .injury,
                    entityID: id,
                    clientIDs: try updated.decode(0, as: [UUID]?.self) ?? []
                ),
                on: connection
            )
            return .success(())
        }
    }

    /// A couple's injuries, oldest first (audited).
    public func injuries(couple coupleID: UUID, actor: StaffActor) async throws -> [Injury] {
        try actor.validate()
        let chart = ChartReference.couple(coupleID)
        return try await pool.readingChart(chart, action: .injuryList, actor: actor) {
            try await pool.transaction(as: actor, prologue: [chart.reachCheck]) { connection, reach in
                let rows = try await connection.query(
                    """
                    SELECT id, injured_partner_id, description, identified_on, status, resolution_step, resolved_on, key_subject
                    FROM attachment_injuries WHERE couple_id = \(coupleID) ORDER BY identified_on, id
                    """
                )
                var result: [Injury] = []
                for row in rows {
                    let (id, partner, sealed, identified, status, step, resolved, subject) = try row.decode(
                        (UUID, UUID, [UInt8], CalendarDate, String, Int, CalendarDate?, String).self
                    )
                    result.append(
                        Injury(
                            id: id,
                            injuredPartnerID: partner,
                            description: try await self.opened(
                                sealed,
                                table: "attachment_injuries",
                                rowID: id,
                                subject: subject,
                                on: connection
                            ),
                            identifiedOn: identified,
                            status: try InjuryStatus.parse(status),
                            resolutionStep: step,
                            resolvedOn: resolved
                        )
                    )
                }
                try AuditStore.appendAtCommit(
                    AuditEvent(
                        action: .injuryList,
                        entityType: .couple,
                        entityID: coupleID,
                        clientIDs: try chart.clientIDs(fromReachCheck: reach[0])
                    ),
                    on: connection
                )
                return result
            }
        }
    }

    /// Adds a treatment goal to a couple's chart.
    public func addGoal(couple coupleID: UUID, description: String, actor: StaffActor) async throws -> UUID {
        try actor.validate()
        try checkText(description, field: "description")
        let id = UUID()
        return try await pool.auditedTransaction(as: actor) { connection -> Result<UUID, ServiceError> in
            guard
                let row = try await connection.query(
                    "SELECT partner_a_id, partner_b_id, counselor_id FROM couples WHERE id = \(coupleID)"
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "couple", "no couple with this id in your caseload"),
                    audited: AuditEvent(action: .goalAdd, entityType: .couple, entityID: coupleID)
                )
            }
            let (a, b, counselor) = try row.decode((UUID, UUID, UUID).self)
            let text = try await self.sealed(
                description,
                table: "treatment_goals",
                rowID: id,
                couple: coupleID,
                actor: actor,
                on: connection
            )
            let statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([text.keyID]))",
                """
                INSERT INTO treatment_goals (id, practice_id, couple_id, counselor_id, description, description_key_id)
                VALUES (\(id), \(actor.practiceID), \(coupleID), \(counselor), \(text.bytes), \(text.keyID))
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .goalAdd, entityType: .goal, entityID: id, clientIDs: [a, b])
            )
            return .success(id)
        }
    }

    /// Sets a goal's status (`open`, `in_progress`, `met`, `discontinued`).
    public func setGoalStatus(_ id: UUID, status: String, actor: StaffActor) async throws {
        try actor.validate()
        guard Self.goalStatuses.contains(status) else {
            throw ServiceError(
                .invalidInput,
                field: "status",
                "must be one of: \(Self.goalStatuses.joined(separator: ", "))"
            )
        }
        try await pool.auditedTransaction(as: actor) { connection -> Result<Void, ServiceError> in
            let updated = try await connection.query(
                """
                UPDATE treatment_goals SET status = \(status), updated_at = now() WHERE id = \(id)
                RETURNING (SELECT ARRAY[partner_a_id, partner_b_id] FROM couples WHERE couples.id = couple_id)
                """
            ).singleRow()
            guard let updated else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "goal", "no goal with this id in your caseload"),
                    audited: AuditEvent(action: .goalUpdate, entityType: .goal, entityID: id)
                )
            }
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: .goalUpdate,
                    entityType: .goal,
                    entityID: id,
                    clientIDs: try updated.decode(0, as: [UUID]?.self) ?? []
                ),
                on: connection
            )
            return .success(())
        }
    }

    /// A couple's goals, oldest first (audited).
    public func goals(couple coupleID: UUID, actor: StaffActor) async throws -> [Goal] {
        try actor.validate()
        let chart = ChartReference.couple(coupleID)
        return try await pool.readingChart(chart, action: .goalList, actor: actor) {
            try await pool.transaction(as: actor, prologue: [chart.reachCheck]) { connection, reach in
                let rows = try await connection.query(
                    "SELECT id, description, status, key_subject FROM treatment_goals WHERE couple_id = \(coupleID) ORDER BY created_at, id"
                )
                var result: [Goal] = []
                for row in rows {
                    let (id, sealed, status, subject) = try row.decode((UUID, [UInt8], String, String).self)
                    result.append(
                        Goal(
                            id: id,
                            description: try await self.opened(
                                sealed,
                                table: "treatment_goals",
                                rowID: id,
                                subject: subject,
                                on: connection
                            ),
                            status: status
                        )
                    )
                }
                try AuditStore.appendAtCommit(
                    AuditEvent(
                        action: .goalList,
                        entityType: .couple,
                        entityID: coupleID,
                        clientIDs: try chart.clientIDs(fromReachCheck: reach[0])
                    ),
                    on: connection
                )
                return result
            }
        }
    }
}
