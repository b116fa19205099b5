import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Drafts: writing one on a completed session, and replacing its content under optimistic
/// concurrency (the version the writer read must still be current).
extension NoteService {
    struct SessionInfo: Sendable {
        var chartKind: String
        var chartID: UUID
        var counselorID: UUID
        var status: String
        var partners: [UUID]
        var subject: KeySubject {
            KeySubject(kind: chartKind == "couple" ? .couple : .client, id: chartID.uuidString.lowercased())
        }
    }

    static func sessionQuery(_ sessionID: UUID) -> PostgresQuery {
        """
        SELECT CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END, coalesce(s.couple_id, s.client_id),
               s.counselor_id, s.status,
               CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id] ELSE ARRAY[c.partner_a_id, c.partner_b_id] END
        FROM therapy_sessions s LEFT JOIN couples c ON c.id = s.couple_id
        -- A session whose couple is out of reach is out of reach too.
        WHERE s.id = \(sessionID) AND (s.couple_id IS NULL OR c.id IS NOT NULL)
        """
    }

    static func sessionInfo(from rows: PostgresRows) throws -> SessionInfo? {
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

    func sessionInfo(_ sessionID: UUID, on connection: PostgresConnection) async throws -> SessionInfo? {
        try Self.sessionInfo(from: try await connection.query(Self.sessionQuery(sessionID)))
    }

    /// The `ServiceError.reason` of a second progress note by the author of a signed one.
    public static let signedNoteExists = "signed-note-exists"

    /// Writes a draft note on a completed session.
    ///
    /// One round trip when this process knows the session's chart and holds its active key (every
    /// write on a session after the first): the draft is sealed first, then BEGIN, the context,
    /// `haven_note_write_draft` (checks, key guard, insert and audit entry in one call, migration 0049)
    /// and COMMIT go in one pipeline. Otherwise two: the function's checks with nothing sealed, which
    /// name the session's chart; then the sealed write and COMMIT.
    ///
    /// - Returns: the note's id and version (1).
    /// - Throws: `invalidInput` naming the field (stage/step, body, stepPartnerID, session when it is not
    ///   completed); `conflict` (reason `signed-note-exists`) when the actor signed a note on the session
    ///   already; `notFound` when the session is not in the actor's caseload (audited as denied).
    public func writeDraft(
        _ draft: Draft,
        session sessionID: UUID,
        actor: StaffActor
    ) async throws -> (id: UUID, version: Int) {
        try actor.validate()
        try validate(draft, partners: draft.stepPartnerID.map { [$0] } ?? [])
        let id = UUID()
        do {
            if let subject = keys.sessionCharts.get(sessionID),
                let sealed = try sealWithCachedKey(draft, noteID: id, subject: subject, practiceID: actor.practiceID)
            {
                let call = Self.writeDraftCall(draft, id: id, session: sessionID, sealed: sealed)
                let outcome = try await pool.transaction(as: actor, prologue: [call, "COMMIT"]) { _, rows in
                    try DraftWriteOutcome(rows[0])
                }
                if case .chart = outcome {
                    keys.sessionCharts.remove(sessionID)
                } else {
                    try outcome.result.get()
                    return (id, 1)
                }
            }
            try await writeDraftLearningChart(draft, id: id, session: sessionID, actor: actor)
        } catch let error as PostgresError
            where error.constraint == "data_keys_not_shredded" || error.constraint == "data_keys_subject_erased"
        {
            keys.forgetActiveKeys()
            throw Self.erased(error)
        }
        return (id, 1)
    }

    /// The write in two round trips: the function's checks with nothing sealed name the session's
    /// chart (or refuse: a denial's entry commits with the transaction); then the draft, sealed for
    /// that chart inside the transaction (its key read or created), is written with COMMIT.
    private func writeDraftLearningChart(
        _ draft: Draft,
        id: UUID,
        session sessionID: UUID,
        actor: StaffActor
    )
        async throws
    {
        try await pool.auditedTransaction(
            as: actor,
            prologue: [Self.writeDraftCall(draft, id: id, session: sessionID, sealed: nil)]
        ) { connection, rows -> UseCaseResult<Void> in
            let outcome = try DraftWriteOutcome(rows[0])
            guard case .chart(let subject) = outcome else { return outcome.result }
            self.keys.sessionCharts.put(subject, session: sessionID)
            let sealed = try await self.seal(draft, noteID: id, subject: subject, actor: actor, on: connection)
            let written = try await connection.pipeline([
                Self.writeDraftCall(draft, id: id, session: sessionID, sealed: sealed), "COMMIT",
            ])
            return try DraftWriteOutcome(written[0]).result
        }
    }

    /// `haven_note_write_draft`'s call: nothing sealed (`sealed` nil) asks for the session's chart.
    static func writeDraftCall(
        _ draft: Draft,
        id: UUID,
        session sessionID: UUID,
        sealed: SealedDraft?
    )
        -> PostgresQuery
    {
        """
        SELECT outcome, detail FROM haven_note_write_draft(\(id), \(sessionID), \(sealed?.subject.description), \
        \(Int16(draft.stage)), \(Int16(draft.step)), \(draft.stepPartnerID), \(draft.interventions.map(\.rawValue)), \
        \(draft.tangoMoves.map(\.rawValue)), \(draft.changeEvents.map(\.rawValue)), \(draft.riskLevel?.rawValue), \
        \(sealed?.body), \(sealed?.bodyKey), \(sealed?.riskDetail), \(sealed?.riskDetailKey))
        """
    }

    /// What `haven_note_write_draft` answered.
    enum DraftWriteOutcome: Equatable {
        case written
        case notFound
        case notCompleted(status: String)
        case signedNoteExists(UUID)
        case stepPartnerNotInChart
        /// The values were not sealed for the session's chart, named here: nothing was written.
        case chart(KeySubject)

        init(_ rows: PostgresRows) throws {
            guard let row = try rows.singleRow() else {
                throw PostgresError(.invalidValue, message: "haven_note_write_draft answered no row")
            }
            let (outcome, detail) = try row.decode((String, String?).self)
            switch (outcome, detail) {
            case ("written", _): self = .written
            case ("not-found", _): self = .notFound
            case ("not-completed", let status?): self = .notCompleted(status: status)
            case ("signed-note-exists", let id?) where UUID(uuidString: id) != nil:
                self = .signedNoteExists(UUID(uuidString: id)!)
            case ("step-partner", _): self = .stepPartnerNotInChart
            case ("chart", let subject?) where KeySubject(parsing: subject) != nil:
                self = .chart(KeySubject(parsing: subject)!)
            default:
                throw PostgresError(.invalidValue, message: "haven_note_write_draft answered \(outcome)")
            }
        }

        /// The use case's result: success, or the refusal the service answers.
        var result: UseCaseResult<Void> {
            switch self {
            case .written:
                return .success(())
            case .notFound:
                return .failure(ServiceError(.notFound, field: "session", "no session with this id in your caseload"))
            case .notCompleted(let status):
                return .failure(
                    ServiceError(
                        .invalidInput,
                        field: "session",
                        reason: "session-not-completed",
                        "notes are written on completed sessions; this one is \(status.replacingOccurrences(of: "_", with: " "))"
                    )
                )
            case .signedNoteExists(let signed):
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "session",
                        reason: NoteService.signedNoteExists,
                        "you signed note \(signed.uuidString.lowercased().prefix(8)) on this session already; a correction or late entry is an addendum to it"
                    )
                )
            case .stepPartnerNotInChart:
                return .failure(NoteService.stepPartnerNotInChart)
            case .chart:
                // Sealed for the chart the database named in this very transaction: it cannot change.
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "session",
                        "the session's chart changed meanwhile; nothing was written"
                    )
                )
            }
        }
    }

    struct SealedDraft: Sendable {
        var subject: KeySubject
        var body: [UInt8]
        var bodyKey: UUID
        var riskDetail: [UInt8]?
        var riskDetailKey: UUID?

        init(subject: KeySubject, values: [[UInt8]], keyID: UUID) {
            self.subject = subject
            body = values[0]
            bodyKey = keyID
            riskDetail = values.count > 1 ? values[1] : nil
            riskDetailKey = values.count > 1 ? keyID : nil
        }
    }

    /// The draft's sealed values and their places: the body and the risk detail share the chart's key.
    private static func places(
        _ draft: Draft,
        noteID: UUID,
        subject: KeySubject
    ) -> [(text: String, place: SealedPlace)] {
        let body = SealedPlace(subject: subject, table: "progress_notes", column: "body", rowID: noteID)
        return [(draft.body, body)] + (draft.riskDetail.map { [($0, body.column("risk_detail"))] } ?? [])
    }

    private func seal(
        _ draft: Draft,
        noteID: UUID,
        subject: KeySubject,
        actor: StaffActor,
        on connection: PostgresConnection
    ) async throws -> SealedDraft {
        let (values, keyID) = try await keys.seal(
            Self.places(draft, noteID: noteID, subject: subject),
            practiceID: actor.practiceID,
            on: connection
        )
        return SealedDraft(subject: subject, values: values, keyID: keyID)
    }

    /// As `seal(_:noteID:subject:actor:on:)` with the chart's active key from memory; nil when it is not
    /// there.
    private func sealWithCachedKey(
        _ draft: Draft,
        noteID: UUID,
        subject: KeySubject,
        practiceID: UUID
    ) throws
        -> SealedDraft?
    {
        try keys.sealWithCachedKey(Self.places(draft, noteID: noteID, subject: subject), practiceID: practiceID).map {
            SealedDraft(subject: subject, values: $0.sealed, keyID: $0.keyID)
        }
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
                    action: .noteEdit,
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
                    action: .noteEdit,
                    note: noteID,
                    actor: actor,
                    on: connection
                )
            }
            guard version == expectedVersion else {
                return .failure(
                    ServiceError.staleVersion(current: version, "reload it and apply your edit again")
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
            let statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([sealed.bodyKey] + (sealed.riskDetailKey.map { [$0] } ?? [])))",
                """
                UPDATE progress_notes SET stage = \(Int16(draft.stage)), step = \(Int16(draft.step)), \
                step_partner_id = \(draft.stepPartnerID), interventions = \(draft.interventions.map(\.rawValue)), \
                tango_moves = \(draft.tangoMoves.map(\.rawValue)), change_events = \(draft.changeEvents.map(\.rawValue)), \
                risk_level = \(draft.riskLevel?.rawValue), body = \(sealed.body), body_key_id = \(sealed.bodyKey), \
                risk_detail = \(sealed.riskDetail), risk_detail_key_id = \(sealed.riskDetailKey), \
                version = version + 1, updated_at = now()
                WHERE id = \(noteID)
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .noteEdit, entityType: .note, entityID: noteID, clientIDs: session.partners)
            )
            return .success(version + 1)
        }
        return try outcome.get()
    }

}
