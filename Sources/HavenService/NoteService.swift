import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Progress notes: write a draft on a completed session, edit it (optimistic concurrency), sign it
/// (freezes it and records a content hash), read it. Bodies and risk details are sealed for the
/// session's chart.
public struct NoteService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// The longest note body accepted, in bytes of UTF-8.
    public static let maximumBodyBytes = 64 * 1024

    /// What a counselor writes.
    public struct Draft: Sendable, Equatable {
        public var stage: Int
        public var step: Int
        /// For steps 5–7: which partner the work was with.
        public var stepPartnerID: UUID?
        public var interventions: [Intervention]
        public var tangoMoves: [TangoMove]
        public var changeEvents: [ChangeEvent]
        public var riskLevel: RiskLevel
        public var riskDetail: String?
        public var body: String

        public init(
            stage: Int,
            step: Int,
            stepPartnerID: UUID? = nil,
            interventions: [Intervention] = [],
            tangoMoves: [TangoMove] = [],
            changeEvents: [ChangeEvent] = [],
            riskLevel: RiskLevel = .none,
            riskDetail: String? = nil,
            body: String
        ) {
            self.stage = stage
            self.step = step
            self.stepPartnerID = stepPartnerID
            self.interventions = interventions
            self.tangoMoves = tangoMoves
            self.changeEvents = changeEvents
            self.riskLevel = riskLevel
            self.riskDetail = riskDetail
            self.body = body
        }
    }

    /// A note as read back (opened).
    public struct Note: Sendable, Equatable {
        public var id: UUID
        public var sessionID: UUID
        public var authorID: UUID
        public var draft: Draft
        public var signed: Bool
        public var version: Int
        public var contentHash: [UInt8]?
        /// The chart's clients: the client, or both partners of the couple.
        public var clientIDs: [UUID]
    }

    /// Checks a draft against the domain rules before anything is written.
    func validate(_ draft: Draft, partners: [UUID]) throws {
        let step: EFTStep
        do {
            step = try EFTStep(stage: draft.stage, step: draft.step)
        } catch let error as DomainError {
            throw ServiceError(.invalidInput, field: error.field, error.message)
        }
        if let partner = draft.stepPartnerID {
            guard step.recordsPartner else {
                throw ServiceError(
                    .invalidInput,
                    field: "stepPartnerID",
                    "only steps 5–7 record which partner the work was with"
                )
            }
            guard partners.contains(partner) else {
                throw ServiceError(.invalidInput, field: "stepPartnerID", "must be one of the couple's partners")
            }
        }
        let bytes = draft.body.utf8.count
        guard bytes > 0, !draft.body.allSatisfy(\.isWhitespace) else {
            throw ServiceError(.invalidInput, field: "body", "is empty; write the note text")
        }
        guard bytes <= Self.maximumBodyBytes else {
            throw ServiceError(
                .invalidInput,
                field: "body",
                "is \(bytes / 1024) KiB; the limit is \(Self.maximumBodyBytes / 1024) KiB"
            )
        }
        if let detail = draft.riskDetail, detail.utf8.count > Self.maximumBodyBytes {
            throw ServiceError(.invalidInput, field: "riskDetail", "is longer than \(Self.maximumBodyBytes / 1024) KiB")
        }
    }

    private struct SessionInfo: Sendable {
        var chartKind: String
        var chartID: UUID
        var counselorID: UUID
        var status: String
        var partners: [UUID]
        var subject: KeySubject {
            KeySubject(kind: chartKind == "couple" ? .couple : .client, id: chartID.uuidString.lowercased())
        }
    }

    private static func sessionQuery(_ sessionID: UUID) -> PostgresQuery {
        """
        SELECT CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END, coalesce(s.couple_id, s.client_id),
               s.counselor_id, s.status,
               CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id] ELSE ARRAY[c.partner_a_id, c.partner_b_id] END
        FROM therapy_sessions s LEFT JOIN couples c ON c.id = s.couple_id
        -- A session whose couple is out of reach is out of reach too.
        WHERE s.id = \(sessionID) AND (s.couple_id IS NULL OR c.id IS NOT NULL)
        """
    }

    private static func sessionInfo(from rows: PostgresRows) throws -> SessionInfo? {
        try rows.singleRow().map { row in
            let (kind, chart, counselor, status, partners) = try row.decode((String, UUID, UUID, String, [UUID]).self)
            return SessionInfo(
                chartKind: kind,
                chartID: chart,
                counselorID: counselor,
                status: status,
                partners: partners
            )
        }
    }

    private func sessionInfo(_ sessionID: UUID, on connection: PostgresConnection) async throws -> SessionInfo? {
        try Self.sessionInfo(from: try await connection.query(Self.sessionQuery(sessionID)))
    }

    /// Writes a draft note on a completed session.
    ///
    /// - Returns: the note's id and version (1).
    /// - Throws: `invalidInput` naming the field (stage/step, body, stepPartnerID, session when it is not
    ///   completed); `notFound` when the session is not in the actor's caseload (audited as denied).
    public func writeDraft(
        _ draft: Draft,
        session sessionID: UUID,
        actor: StaffActor
    ) async throws -> (id: UUID, version: Int) {
        try actor.validate()
        try validate(draft, partners: draft.stepPartnerID.map { [$0] } ?? [])
        let id = UUID()
        // Two round trips: BEGIN, the security context and the session lookup; then the guard on the
        // keys, the insert, the audit entry and COMMIT.
        let outcome: ServiceError?
        do {
            outcome = try await writeDraftTransaction(draft, id: id, session: sessionID, actor: actor)
        } catch let error as PostgresError
            where error.constraint == "data_keys_not_shredded" || error.constraint == "data_keys_subject_erased"
        {
            keys.forgetActiveKeys()
            throw Self.erased(error)
        }
        if let outcome { throw outcome }
        return (id, 1)
    }

    private func writeDraftTransaction(
        _ draft: Draft,
        id: UUID,
        session sessionID: UUID,
        actor: StaffActor
    )
        async throws -> ServiceError?
    {
        try await pool.transaction(
            as: actor,
            prologue: [Self.sessionQuery(sessionID)]
        ) { connection, rows -> ServiceError? in
            guard let session = try Self.sessionInfo(from: rows[0]) else {
                try AuditStore.appendAtCommit(
                    AuditEvent(
                        action: "note.write",
                        entityType: "session",
                        entityID: sessionID,
                        outcome: .denied
                    ),
                    on: connection
                )
                return ServiceError(.notFound, field: "session", "no session with this id in your caseload")
            }
            guard session.status == SessionStatus.completed.rawValue else {
                return ServiceError(
                    .invalidInput,
                    field: "session",
                    "notes are written on completed sessions; this one is \(session.status.replacingOccurrences(of: "_", with: " "))"
                )
            }
            try self.validate(draft, partners: session.partners)
            let sealed = try await self.seal(draft, noteID: id, subject: session.subject, actor: actor, on: connection)
            var statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([sealed.bodyKey] + (sealed.riskDetailKey.map { [$0] } ?? [])))",
                """
                INSERT INTO progress_notes (id, practice_id, session_id, author_id, counselor_id, chart_kind, chart_id,
                    stage, step, step_partner_id, interventions, tango_moves, change_events, risk_level,
                    body, body_key_id, risk_detail, risk_detail_key_id)
                VALUES (\(id), \(actor.practiceID), \(sessionID), \(actor.staffID), \(session.counselorID), \
                \(session.chartKind), \(session.chartID), \(Int16(draft.stage)), \(Int16(draft.step)), \
                \(draft.stepPartnerID), \(draft.interventions.map(\.rawValue)), \(draft.tangoMoves.map(\.rawValue)), \
                \(draft.changeEvents.map(\.rawValue)), \(draft.riskLevel.rawValue), \(sealed.body), \(sealed.bodyKey), \
                \(sealed.riskDetail), \(sealed.riskDetailKey))
                """,
            ]
            statements += AuditStore.appendStatements(
                AuditEvent(
                    action: "note.write",
                    entityType: "note",
                    entityID: id,
                    clientIDs: session.partners
                )
            )
            _ = try await connection.pipeline(statements + ["COMMIT"])
            return nil
        }
    }

    private struct SealedDraft: Sendable {
        var body: [UInt8]
        var bodyKey: UUID
        var riskDetail: [UInt8]?
        var riskDetailKey: UUID?
    }

    private func seal(
        _ draft: Draft,
        noteID: UUID,
        subject: KeySubject,
        actor: StaffActor,
        on connection: PostgresConnection
    ) async throws -> SealedDraft {
        // One key lookup for both values: the body and the risk detail share the chart's key.
        let (keyID, key) = try await keys.activeKey(practiceID: actor.practiceID, subject: subject, on: connection)
        func context(_ column: String) -> SealContext {
            SealContext(
                table: "progress_notes",
                column: column,
                rowID: noteID.uuidString.lowercased(),
                subject: subject.description
            )
        }
        var sealed = SealedDraft(
            body: try Sealer.seal(Array(draft.body.utf8), with: key, context: context("body")),
            bodyKey: keyID
        )
        if let detail = draft.riskDetail {
            sealed.riskDetail = try Sealer.seal(Array(detail.utf8), with: key, context: context("risk_detail"))
            sealed.riskDetailKey = keyID
        }
        return sealed
    }

    /// The refusal for a write whose key is gone or no longer active.
    static func erased(_ error: PostgresError) -> ServiceError {
        error.constraint == "data_keys_subject_erased"
            ? ServiceError(
                .conflict,
                field: "session",
                "this chart was erased (its keys were shredded); nothing was written"
            )
            : ServiceError(
                .conflict,
                field: "session",
                "the chart's key changed or was erased meanwhile; nothing was written, try again"
            )
    }

    /// Replaces a draft's content, if `expectedVersion` is still current.
    ///
    /// - Returns: the new version.
    /// - Throws: `conflict` when the note changed since that version (reload, merge, retry: the
    ///   caller still holds its text), or when it is signed; `notFound` outside the caseload.
    public func editDraft(_ noteID: UUID, expectedVersion: Int, draft: Draft, actor: StaffActor) async throws -> Int {
        try validate(draft, partners: draft.stepPartnerID.map { [$0] } ?? [])
        do {
            return try await editDraftTransaction(noteID, expectedVersion: expectedVersion, draft: draft, actor: actor)
        } catch let error as PostgresError
            where error.constraint == "data_keys_not_shredded" || error.constraint == "data_keys_subject_erased"
        {
            keys.forgetActiveKeys()
            throw Self.erased(error)
        }
    }

    private func editDraftTransaction(
        _ noteID: UUID,
        expectedVersion: Int,
        draft: Draft,
        actor: StaffActor
    )
        async throws -> Int
    {
        let outcome = try await pool.transaction(as: actor) { connection -> Result<Int, ServiceError> in
            guard
                let row = try await connection.query(
                    "SELECT session_id, state, version, author_id FROM progress_notes WHERE id = \(noteID) FOR UPDATE"
                ).singleRow()
            else {
                return try await self.refuse(
                    ServiceError(.notFound, field: "note", "no note with this id in your caseload"),
                    action: "note.edit",
                    note: noteID,
                    actor: actor,
                    on: connection
                )
            }
            let (sessionID, state, version, author) = try row.decode((UUID, String, Int, UUID).self)
            guard state == "draft" else {
                return .failure(ServiceError(.conflict, field: "note", "the note is signed; add an addendum instead"))
            }
            guard author == actor.staffID else {
                return try await self.refuse(
                    ServiceError(.forbidden, field: "note", "only the note's author edits a draft"),
                    action: "note.edit",
                    note: noteID,
                    actor: actor,
                    on: connection
                )
            }
            guard version == expectedVersion else {
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "version",
                        "the note changed (now version \(version)); reload it and apply your edit again"
                    )
                )
            }
            guard let session = try await self.sessionInfo(sessionID, on: connection) else {
                return .failure(ServiceError(.notFound, field: "session", "the note's session is not in your caseload"))
            }
            try self.validate(draft, partners: session.partners)
            let sealed = try await self.seal(
                draft,
                noteID: noteID,
                subject: session.subject,
                actor: actor,
                on: connection
            )
            var statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([sealed.bodyKey] + (sealed.riskDetailKey.map { [$0] } ?? [])))",
                """
                UPDATE progress_notes SET stage = \(Int16(draft.stage)), step = \(Int16(draft.step)), \
                step_partner_id = \(draft.stepPartnerID), interventions = \(draft.interventions.map(\.rawValue)), \
                tango_moves = \(draft.tangoMoves.map(\.rawValue)), change_events = \(draft.changeEvents.map(\.rawValue)), \
                risk_level = \(draft.riskLevel.rawValue), body = \(sealed.body), body_key_id = \(sealed.bodyKey), \
                risk_detail = \(sealed.riskDetail), risk_detail_key_id = \(sealed.riskDetailKey), \
                version = version + 1, updated_at = now()
                WHERE id = \(noteID)
                """,
            ]
            statements += AuditStore.appendStatements(
                AuditEvent(
                    action: "note.edit",
                    entityType: "note",
                    entityID: noteID,
                    clientIDs: session.partners
                )
            )
            _ = try await connection.pipeline(statements + ["COMMIT"])
            return .success(version + 1)
        }
        return try outcome.get()
    }

    /// Signs a draft: records the SHA-256 of its canonical content and freezes it for good.
    ///
    /// - Returns: the content hash.
    public func sign(_ noteID: UUID, expectedVersion: Int, actor: StaffActor) async throws -> [UInt8] {
        let outcome = try await pool.transaction(as: actor) { connection -> Result<[UInt8], ServiceError> in
            guard let note = try await self.load(noteID, lock: true, on: connection) else {
                return try await self.refuse(
                    ServiceError(.notFound, field: "note", "no note with this id in your caseload"),
                    action: "note.sign",
                    note: noteID,
                    actor: actor,
                    on: connection
                )
            }
            guard !note.signed else {
                return .failure(ServiceError(.conflict, field: "note", "the note is already signed"))
            }
            guard note.authorID == actor.staffID else {
                return try await self.refuse(
                    ServiceError(.forbidden, field: "note", "only the note's author signs it"),
                    action: "note.sign",
                    note: noteID,
                    clients: note.clientIDs,
                    actor: actor,
                    on: connection
                )
            }
            guard note.version == expectedVersion else {
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "version",
                        "the note changed (now version \(note.version)); review it and sign again"
                    )
                )
            }
            let hash = Self.contentHash(of: note)
            var statements: [PostgresQuery] = [
                "UPDATE progress_notes SET state = 'signed', content_hash = \(hash), signed_at = now() WHERE id = \(noteID)"
            ]
            // The entry carries the content hash: the signed content itself is then under the chain.
            statements += AuditStore.appendStatements(
                AuditEvent(
                    action: "note.sign",
                    entityType: "note",
                    entityID: noteID,
                    clientIDs: note.clientIDs,
                    digest: hash
                )
            )
            _ = try await connection.pipeline(statements + ["COMMIT"])
            return .success(hash)
        }
        return try outcome.get()
    }

    /// Reads a note (audited), in two round trips: BEGIN, context and the row; then the audit entry
    /// and COMMIT.
    ///
    /// - Throws: `integrity` for a signed note that no longer matches its content hash (audited).
    public func note(_ noteID: UUID, actor: StaffActor) async throws -> Note {
        try actor.validate()
        let found = try await pool.refusingTampered(actor: actor) {
            try await self.read(noteID, actor: actor)
        }
        guard let found else { throw ServiceError(.notFound, field: "note", "no note with this id in your caseload") }
        return found
    }

    private func read(_ noteID: UUID, actor: StaffActor) async throws -> Note? {
        try await pool.transaction(
            as: actor,
            prologue: [Self.loadQuery(noteID, lock: false)]
        ) { connection, rows -> Note? in
            let note = try await self.note(noteID, from: rows[0], on: connection)
            if let note, note.signed {
                try NoteIntegrity.check(.init(note), storedHash: note.contentHash, clientIDs: note.clientIDs)
            }
            let entry = AuditEvent(
                action: "note.read",
                entityType: "note",
                entityID: noteID,
                clientIDs: note?.clientIDs ?? [],
                outcome: note == nil ? .denied : .success
            )
            _ = try await connection.pipeline(AuditStore.appendStatements(entry) + ["COMMIT"])
            return note
        }
    }

    /// A `progress_notes` row's client ids (the client, or both partners of the couple), as SQL.
    static let clientIDsColumn: StaticString = """
        CASE WHEN chart_kind = 'client' THEN ARRAY[chart_id]
             ELSE coalesce((SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = chart_id), '{}')
        END
        """

    private static func loadQuery(_ noteID: UUID, lock: Bool) -> PostgresQuery {
        """
        SELECT session_id, author_id, stage, step, step_partner_id, interventions, tango_moves, change_events,
               risk_level, body, risk_detail, state, version, content_hash, key_subject, \(unescaped: Self.clientIDsColumn)
        FROM progress_notes WHERE id = \(noteID) \(unescaped: lock ? "FOR UPDATE OF progress_notes" : "")
        """
    }

    private func load(_ noteID: UUID, lock: Bool, on connection: PostgresConnection) async throws -> Note? {
        try await note(noteID, from: try await connection.query(Self.loadQuery(noteID, lock: lock)), on: connection)
    }

    /// Records a refused action on a note as denied in the audit log (in the caller's transaction,
    /// which then commits) and hands the refusal back.
    func refuse<Value>(
        _ error: ServiceError,
        action: String,
        note noteID: UUID,
        clients: [UUID] = [],
        actor: StaffActor,
        on connection: PostgresConnection
    ) async throws -> Result<Value, ServiceError> {
        try await AuditStore.appendAtCommit(
            AuditEvent(
                action: action,
                entityType: "note",
                entityID: noteID,
                clientIDs: clients,
                outcome: .denied
            ),
            on: connection
        )
        return .failure(error)
    }

    /// Decodes and opens a note from its row (`loadQuery`).
    private func note(_ noteID: UUID, from rows: PostgresRows, on connection: PostgresConnection) async throws -> Note?
    {
        guard let row = try rows.singleRow() else { return nil }
        let (session, author, stage, step, partner, interventions, tango, events) = try row.decode(
            (UUID, UUID, Int, Int, UUID?, [String], [String], [String]).self
        )
        let risk = try row.decode(8, as: String.self)
        let body = try row.decode(9, as: [UInt8].self)
        let detail = try row.decode(10, as: [UInt8]?.self)
        let state = try row.decode(11, as: String.self)
        let version = try row.decode(12, as: Int.self)
        let hash = try row.decode(13, as: [UInt8]?.self)
        let subject = try row.decode(14, as: String.self)
        let clients = try row.decode(15, as: [UUID].self)
        func open(_ sealed: [UInt8], column: String) async throws -> String {
            let context = SealContext(
                table: "progress_notes",
                column: column,
                rowID: noteID.uuidString.lowercased(),
                subject: subject
            )
            var plaintext = try await keys.open(sealed, context: context, on: connection)
            defer { wipe(&plaintext) }
            return String(decoding: plaintext, as: UTF8.self)
        }
        let draft = Draft(
            stage: stage,
            step: step,
            stepPartnerID: partner,
            interventions: try interventions.map(Intervention.parse),
            tangoMoves: try tango.map(TangoMove.parse),
            changeEvents: try events.map(ChangeEvent.parse),
            riskLevel: try RiskLevel.parse(risk),
            riskDetail: try await detail.asyncMap { try await open($0, column: "risk_detail") },
            body: try await open(body, column: "body")
        )
        return Note(
            id: noteID,
            sessionID: session,
            authorID: author,
            draft: draft,
            signed: state == "signed",
            version: version,
            contentHash: hash,
            clientIDs: clients
        )
    }

    /// The note's content hash (`NoteIntegrity.hash`).
    static func contentHash(of note: Note) -> [UInt8] {
        NoteIntegrity.hash(.init(note))
    }
}
