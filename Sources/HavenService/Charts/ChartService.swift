import Foundation
import HavenCore
import HavenStore
import Logging
import Postgres
import Sealing

/// Clients and couples: the charts a counselor keeps. Every method takes the acting staff member,
/// validates, authorizes, runs in one transaction as the application role (row-level security on),
/// seals clinical text, and appends its audit entry in that transaction.
public struct ChartService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    /// - Parameters:
    ///   - pool: connections as the application role.
    ///   - keys: seals and opens clinical text.
    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// What a new client chart needs.
    public struct NewClient: Sendable {
        public var legalName: String
        public var preferredName: String?
        public var pronouns: String?
        public var dateOfBirth: CalendarDate?
        public var intakeDate: CalendarDate
        public var attachmentStyle: AttachmentStyle?
        /// Defaults to the acting counselor.
        public var primaryCounselorID: UUID?

        public init(
            legalName: String,
            preferredName: String? = nil,
            pronouns: String? = nil,
            dateOfBirth: CalendarDate? = nil,
            intakeDate: CalendarDate,
            attachmentStyle: AttachmentStyle? = nil,
            primaryCounselorID: UUID? = nil
        ) {
            self.legalName = legalName
            self.preferredName = preferredName
            self.pronouns = pronouns
            self.dateOfBirth = dateOfBirth
            self.intakeDate = intakeDate
            self.attachmentStyle = attachmentStyle
            self.primaryCounselorID = primaryCounselorID
        }
    }

    /// Opens a client chart in the actor's caseload.
    ///
    /// - Throws: `ServiceError.invalidInput` naming the field; `forbidden` for a role that keeps no caseload.
    public func createClient(_ new: NewClient, actor: StaffActor) async throws -> UUID {
        try requireClinician(actor)
        let legalName = new.legalName.trimmingCharacters(in: .whitespacesAndNewlines)
        // Lengths count Unicode scalars, as PostgreSQL's length() does.
        guard (1...200).contains(legalName.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "legalName", "must be 1 to 200 characters")
        }
        if let preferred = new.preferredName, !(1...100).contains(preferred.trimmingCharacters(in: .whitespaces).count)
        {
            throw ServiceError(.invalidInput, field: "preferredName", "must be 1 to 100 characters when given")
        }
        if let birth = new.dateOfBirth, birth > new.intakeDate {
            throw ServiceError(.invalidInput, field: "dateOfBirth", "must be on or before the intake date")
        }
        let id = UUID()
        let counselor = new.primaryCounselorID ?? actor.staffID
        do {
            try await pool.transaction(as: actor) { connection in
                let statements: [PostgresQuery] = [
                    """
                    INSERT INTO clients (id, practice_id, legal_name, preferred_name, pronouns, date_of_birth, intake_date,
                                         attachment_style, primary_counselor_id)
                    VALUES (\(id), \(actor.practiceID), \(legalName), \(new.preferredName), \(new.pronouns), \
                    \(new.dateOfBirth), \(new.intakeDate), \(new.attachmentStyle?.rawValue), \(counselor))
                    """
                ]
                try await connection.commit(
                    statements,
                    audited: AuditEvent(action: .clientCreate, entityType: .client, entityID: id, clientIDs: [id])
                )
            }
        } catch let error as PostgresError where error.code == .insufficientPrivilege {
            throw ServiceError(
                .forbidden,
                field: "primaryCounselorID",
                "you can open charts only in your own or a supervisee's caseload"
            )
        } catch let error as PostgresError where error.code == .foreignKeyViolation {
            throw ServiceError(.notFound, field: "primaryCounselorID", "no such counselor in this practice")
        }
        return id
    }

    /// Opens a couple chart for two clients of the actor's caseload.
    ///
    /// - Throws: `invalidInput` (`partnerB` when it is partner A), `notFound` when a partner is not in
    ///   reach, `conflict` when a partner is already in another active couple.
    public func createCouple(
        partnerA: UUID,
        partnerB: UUID,
        startDate: CalendarDate,
        presentingConcerns: String?,
        actor: StaffActor
    ) async throws -> UUID {
        return try await pool.recordingDenials(
            action: .coupleCreate,
            entityType: .client,
            entityID: partnerB,
            actor: actor
        ) {
            try requireClinician(actor)
            guard partnerA != partnerB else {
                throw ServiceError(.invalidInput, field: "partnerB", "must be a different client from partner A")
            }
            if let concerns = presentingConcerns, concerns.utf8.count > Self.maximumTextBytes {
                throw ServiceError(
                    .invalidInput,
                    field: "presentingConcerns",
                    "is longer than \(Self.maximumTextBytes / 1024) KiB"
                )
            }
            let id = UUID()
            let keys = self.keys
            do {
                try await pool.transaction(as: actor) { connection in
                    let visible = try await connection.query(
                        "SELECT count(*) FROM clients WHERE id = ANY(\([partnerA, partnerB]))"
                    )[0].decode(0, as: Int.self)
                    guard visible == 2 else {
                        throw ServiceError(
                            .notFound,
                            field: "partnerB",
                            "both partners must be clients in your caseload"
                        )
                    }
                    var sealed: [UInt8]?
                    var keyID: UUID?
                    if let concerns = presentingConcerns {
                        let result = try await keys.seal(
                            concerns,
                            practiceID: actor.practiceID,
                            at: SealedPlace(
                                subject: KeySubject(kind: .couple, id: id.uuidString.lowercased()),
                                table: "couples",
                                column: "presenting_concerns",
                                rowID: id
                            ),
                            on: connection
                        )
                        (sealed, keyID) = (result.sealed, result.keyID)
                    }
                    let statements: [PostgresQuery] = [
                        """
                        INSERT INTO couples (id, practice_id, partner_a_id, partner_b_id, counselor_id, start_date,
                                             presenting_concerns, presenting_concerns_key_id)
                        VALUES (\(id), \(actor.practiceID), \(partnerA), \(partnerB), \(actor.staffID), \(startDate), \
                        \(sealed), \(keyID))
                        """
                    ]
                    try await connection.commit(
                        statements,
                        audited: AuditEvent(
                            action: .coupleCreate,
                            entityType: .couple,
                            entityID: id,
                            clientIDs: [partnerA, partnerB]
                        )
                    )
                }
            } catch let error as PostgresError where error.constraint == "couples_one_active_per_client" {
                throw ServiceError(
                    .conflict,
                    field: "partnerB",
                    "a partner is already in another active couple; discharge that couple first"
                )
            } catch let error as PostgresError where error.code == .foreignKeyViolation {
                throw ServiceError(.notFound, field: "partnerB", "both partners must be clients of this practice")
            }
            return id
        }
    }

    /// A couple chart as the service returns it (concerns opened).
    public struct Couple: Sendable, Equatable {
        public var id: UUID
        public var partnerA: UUID
        public var partnerB: UUID
        public var counselorID: UUID
        public var startDate: CalendarDate
        public var status: CareStatus
        public var presentingConcerns: String?
        /// The partners' preferred (else legal) names.
        public var partnerAName: String
        public var partnerBName: String
    }

    /// Reads a couple chart (audited). A chart outside the actor's reach is `notFound`, exactly like
    /// one that does not exist, and the attempt is audited as denied.
    public func couple(_ id: UUID, actor: StaffActor) async throws -> Couple {
        // One round trip after the token check: BEGIN, the context, the chart with its audit entry and
        // COMMIT. The concerns are opened afterwards, with the chart's key from memory or, when it is not
        // there, in a transaction of their own.
        let rows = try await pool.transaction(as: actor, prologue: [Self.coupleRead(id), "COMMIT"]) { _, rows in
            rows[0]
        }
        guard let row = try rows.singleRow(), let a = try row.decode(0, as: UUID?.self) else {
            throw ServiceError(.notFound, field: "couple", "no couple with this id in your caseload")
        }
        let (b, counselor, start, status, sealed, aName, bName) = try row.decode(
            (UUID, UUID, CalendarDate, String, [UInt8]?, String, String).self,
            from: 1
        )
        var concerns: String?
        if let sealed {
            let place = SealedPlace(
                subject: ChartReference.couple(id).keySubject,
                table: "couples",
                column: "presenting_concerns",
                rowID: id
            )
            if let text = try keys.openFromMemory(sealed, at: place) {
                concerns = text
            } else {
                let keys = self.keys
                concerns = try await pool.transaction(as: actor) { try await keys.open(sealed, at: place, on: $0) }
            }
        }
        return Couple(
            id: id,
            partnerA: a,
            partnerB: b,
            counselorID: counselor,
            startDate: start,
            status: try CareStatus.parse(status),
            presentingConcerns: concerns,
            partnerAName: aName,
            partnerBName: bName
        )
    }

    /// The couple chart's read and its audit entry as one statement, so the entry's outcome and client
    /// ids are what the read saw: success with both partners, or denied (the chart out of reach or not
    /// there) and then a row of NULLs.
    static func coupleRead(_ id: UUID) -> PostgresQuery {
        """
        WITH chart AS (
            SELECT c.partner_a_id, c.partner_b_id, c.counselor_id, c.start_date, c.status, c.presenting_concerns,
                   coalesce(a.preferred_name, a.legal_name, '') AS a_name,
                   coalesce(b.preferred_name, b.legal_name, '') AS b_name
            FROM couples c
            LEFT JOIN clients a ON a.id = c.partner_a_id
            LEFT JOIN clients b ON b.id = c.partner_b_id
            WHERE c.id = \(id)
        ), entry AS (
            SELECT e.seq FROM haven_audit_append(
                \(AuditEvent.Action.coupleRead.rawValue), \(AuditEvent.EntityType.couple.rawValue), \(id),
                coalesce((SELECT ARRAY[chart.partner_a_id, chart.partner_b_id] FROM chart), '{}'),
                CASE WHEN EXISTS (SELECT 1 FROM chart) THEN \(AuditEntry.Outcome.success.rawValue)
                     ELSE \(AuditEntry.Outcome.denied.rawValue) END,
                NULL::bytea) e
        )
        SELECT chart.partner_a_id, chart.partner_b_id, chart.counselor_id, chart.start_date, chart.status,
               chart.presenting_concerns, chart.a_name, chart.b_name
        FROM entry LEFT JOIN chart ON true
        """
    }

    /// One line of a caseload: a couple with where their therapy stands.
    public struct CoupleSummary: Sendable, Equatable {
        public var id: UUID
        public var partnerA: String
        public var partnerB: String
        public var status: String
        public var counselorID: UUID
        public var startDate: CalendarDate
        /// The EFT stage and step of the latest note, by session date; nil before the first note.
        public var stage: Int?
        public var step: Int?
        /// Whether that latest note records high risk (the couple's open high-risk flag).
        public var highRisk: Bool
        public var lastSession: Date?
        public var nextSession: Date?
    }

    /// The couples in the actor's reach (their own and their supervisees'), or one counselor's, with
    /// each couple's current stage and step and their last and next sessions (conjoint, or individual
    /// with either partner, as EFT assessment has both). Audited as a caseload read.
    public func listCouples(
        counselor: UUID? = nil,
        now: Date = Date(),
        actor: StaffActor
    ) async throws
        -> [CoupleSummary]
    {
        // One round trip: BEGIN, the context, the list, its entry and COMMIT. The latest note is found by
        // reading the couple's sessions newest first and stopping at the first with a note (a couple
        // chart's notes are those on its sessions; migration 0071), not by sorting all of its notes; the
        // last and next sessions are one index probe each for the couple and each partner (an OR of the
        // three would read every session of theirs).
        let rows = try await pool.readAudited(
            [
                """
                SELECT c.id, coalesce(a.preferred_name, a.legal_name), coalesce(b.preferred_name, b.legal_name), c.status,
                       c.counselor_id, c.start_date, n.stage::int4, n.step::int4, haven_couple_high_risk(c.id),
                       greatest(
                           (SELECT max(s.scheduled_start) FROM therapy_sessions s
                            WHERE s.practice_id = c.practice_id AND s.couple_id = c.id AND s.status = 'completed'),
                           (SELECT max(s.scheduled_start) FROM therapy_sessions s
                            WHERE s.practice_id = c.practice_id AND s.client_id = c.partner_a_id AND s.status = 'completed'),
                           (SELECT max(s.scheduled_start) FROM therapy_sessions s
                            WHERE s.practice_id = c.practice_id AND s.client_id = c.partner_b_id AND s.status = 'completed')),
                       least(
                           (SELECT min(s.scheduled_start) FROM therapy_sessions s
                            WHERE s.practice_id = c.practice_id AND s.couple_id = c.id AND s.status = 'scheduled'
                              AND s.scheduled_start >= \(now)),
                           (SELECT min(s.scheduled_start) FROM therapy_sessions s
                            WHERE s.practice_id = c.practice_id AND s.client_id = c.partner_a_id AND s.status = 'scheduled'
                              AND s.scheduled_start >= \(now)),
                           (SELECT min(s.scheduled_start) FROM therapy_sessions s
                            WHERE s.practice_id = c.practice_id AND s.client_id = c.partner_b_id AND s.status = 'scheduled'
                              AND s.scheduled_start >= \(now)))
                FROM couples c
                JOIN clients a ON a.id = c.partner_a_id
                JOIN clients b ON b.id = c.partner_b_id
                LEFT JOIN LATERAL (
                    SELECT pn.stage, pn.step
                    FROM therapy_sessions s JOIN progress_notes pn ON pn.practice_id = s.practice_id AND pn.session_id = s.id
                    WHERE s.practice_id = c.practice_id AND s.couple_id = c.id
                    ORDER BY s.scheduled_start DESC, pn.created_at DESC, pn.id DESC
                    LIMIT 1
                ) n ON true
                WHERE \(counselor)::uuid IS NULL OR c.counselor_id = \(counselor)
                ORDER BY c.start_date, c.id
                """
            ],
            audited: AuditEvent(action: .coupleList, entityType: .caseload, entityID: counselor ?? actor.staffID),
            as: actor
        )
        return try rows[0].map { row in
            let (id, a, b, status, counselorID, start, stage, step, highRisk) = try row.decode(
                (UUID, String, String, String, UUID, CalendarDate, Int32?, Int32?, Bool).self
            )
            let (last, next) = try row.decode((Date?, Date?).self, from: 9)
            return CoupleSummary(
                id: id,
                partnerA: a,
                partnerB: b,
                status: status,
                counselorID: counselorID,
                startDate: start,
                stage: stage.map(Int.init),
                step: step.map(Int.init),
                highRisk: highRisk,
                lastSession: last,
                nextSession: next
            )
        }
    }

    /// The longest clinical free text accepted, in bytes.
    public static let maximumTextBytes = 64 * 1024

    private func requireClinician(_ actor: StaffActor) throws {
        guard actor.roles.contains(.counselor) || actor.roles.contains(.supervisor) else {
            throw ServiceError(.forbidden, "only counselors and supervisors keep charts")
        }
    }
}
