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
        // Two round trips: BEGIN, the security context and the session lookup; then the guard on the
        // keys, the insert, the audit entry and COMMIT.
        do {
            try await writeDraftTransaction(draft, id: id, session: sessionID, actor: actor)
        } catch let error as PostgresError
            where error.constraint == "data_keys_not_shredded" || error.constraint == "data_keys_subject_erased"
        {
            keys.forgetActiveKeys()
            throw Self.erased(error)
        }
        return (id, 1)
    }

    private func writeDraftTransaction(
        _ draft: Draft,
        id: UUID,
        session sessionID: UUID,
        actor: StaffActor
    )
        async throws
    {
        try await pool.auditedTransaction(
            as: actor,
            prologue: [
                Self.sessionQuery(sessionID),
                """
                SELECT id FROM progress_notes
                WHERE session_id = \(sessionID) AND author_id = \(actor.staffID) AND state = 'signed' LIMIT 1
                """,
            ]
        ) { connection, rows -> Result<Void, ServiceError> in
            guard let session = try Self.sessionInfo(from: rows[0]) else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "session", "no session with this id in your caseload"),
                    audited: AuditEvent(action: .noteWrite, entityType: .session, entityID: sessionID)
                )
            }
            guard session.status == SessionStatus.completed.rawValue else {
                return .failure(
                    ServiceError(
                        .invalidInput,
                        field: "session",
                        reason: "session-not-completed",
                        "notes are written on completed sessions; this one is \(session.status.replacingOccurrences(of: "_", with: " "))"
                    )
                )
            }
            // One signed progress note per author and session: what comes later is an addendum to it.
            if let signed = try rows[1].singleRow()?.decode(0, as: UUID.self) {
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "session",
                        reason: Self.signedNoteExists,
                        "you signed note \(signed.uuidString.lowercased().prefix(8)) on this session already; a correction or late entry is an addendum to it"
                    )
                )
            }
            try self.validate(draft, partners: session.partners)
            let sealed = try await self.seal(draft, noteID: id, subject: session.subject, actor: actor, on: connection)
            let statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([sealed.bodyKey] + (sealed.riskDetailKey.map { [$0] } ?? [])))",
                """
                INSERT INTO progress_notes (id, practice_id, session_id, author_id, counselor_id, chart_kind, chart_id,
                    stage, step, step_partner_id, interventions, tango_moves, change_events, risk_level,
                    body, body_key_id, risk_detail, risk_detail_key_id)
                VALUES (\(id), \(actor.practiceID), \(sessionID), \(actor.staffID), \(session.counselorID), \
                \(session.chartKind), \(session.chartID), \(Int16(draft.stage)), \(Int16(draft.step)), \
                \(draft.stepPartnerID), \(draft.interventions.map(\.rawValue)), \(draft.tangoMoves.map(\.rawValue)), \
                \(draft.changeEvents.map(\.rawValue)), \(draft.riskLevel?.rawValue), \(sealed.body), \(sealed.bodyKey), \
                \(sealed.riskDetail), \(sealed.riskDetailKey))
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .noteWrite, entityType: .note, entityID: id, clientIDs: session.partners)
            )
            return .success(())
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
        let body = SealedPlace(subject: subject, table: "progress_notes", column: "body", rowID: noteID)
        let (values, keyID) = try await keys.seal(
            [(draft.body, body)] + (draft.riskDetail.map { [($0, body.column("risk_detail"))] } ?? []),
            practiceID: actor.practiceID,
            on: connection
        )
        return SealedDraft(
            body: values[0],
            bodyKey: keyID,
            riskDetail: values.count > 1 ? values[1] : nil,
            riskDetailKey: values.count > 1 ? keyID : nil
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
