import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

extension NoteService {
    /// A correction to a signed note.
    public struct Addendum: Sendable, Equatable {
        public var id: UUID
        public var authorID: UUID
        /// The author's display name (read in the same query).
        public var authorName: String
        public var createdAt: Date
        public var reason: String
        public var text: String
    }

    /// Adds an addendum to a signed note (drafts are edited instead). The reason and text are
    /// sealed for the note's chart.
    ///
    /// - Throws: `invalidInput` naming `reason` or `text`; `conflict` for a draft; `notFound` outside
    ///   the caseload.
    public func addAddendum(to noteID: UUID, reason: String, text: String, actor: StaffActor) async throws -> UUID {
        try actor.validate()
        let trimmedReason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(trimmedReason.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "reason", "must be 1 to 500 characters")
        }
        try Self.checkText(text, field: "text", ifEmpty: "is empty; write the correction")
        let id = UUID()
        let keys = self.keys
        return try await pool.auditedTransaction(as: actor) { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT state, counselor_id, key_subject, \(unescaped: ChartReference.clientIDsColumn)
                    FROM progress_notes WHERE id = \(noteID)
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "note", "no note with this id in your caseload"),
                    audited: AuditEvent(action: .noteAddend, entityType: .note, entityID: noteID)
                )
            }
            let (state, counselor, subjectText, clients) = try row.decode((String, UUID, String, [UUID]).self)
            guard state == "signed" else {
                return .failure(
                    ServiceError(
                        .conflict,
                        field: "note",
                        "the note is a draft; edit it instead of adding an addendum"
                    )
                )
            }
            guard let subject = KeySubject(parsing: subjectText) else {
                throw ServiceError(.conflict, field: "note", "the note's chart is not recognised")
            }
            let reason = SealedPlace(subject: subject, table: "note_addenda", column: "reason", rowID: id)
            let (sealed, keyID) = try await keys.seal(
                [(trimmedReason, reason), (text, reason.column("body"))],
                practiceID: actor.practiceID,
                on: connection
            )
            let (sealedReason, sealedText) = (sealed[0], sealed[1])
            let statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([keyID]))",
                """
                INSERT INTO note_addenda (id, practice_id, note_id, author_id, counselor_id, key_subject,
                                          reason, reason_key_id, body, body_key_id)
                VALUES (\(id), \(actor.practiceID), \(noteID), \(actor.staffID), \(counselor), \(subjectText), \
                \(sealedReason), \(keyID), \(sealedText), \(keyID))
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .noteAddend, entityType: .note, entityID: noteID, clientIDs: clients)
            )
            return .success(id)
        }
    }

    /// The addenda of a note, oldest first (audited as `note.read_addenda` with the note's clients).
    /// The note is read first, in the same round trip: row-level security hides a note out of reach,
    /// which is then "not found" and audited as denied, never an empty list.
    ///
    /// - Throws: `notFound` (audited as denied) for a note that does not exist or is out of reach.
    public func addenda(of noteID: UUID, actor: StaffActor) async throws -> [Addendum] {
        try actor.validate()
        let keys = self.keys
        let found = try await pool.transaction(
            as: actor,
            prologue: [
                "SELECT \(unescaped: ChartReference.clientIDsColumn) FROM progress_notes WHERE id = \(noteID)",
                """
                SELECT a.id, a.author_id, a.created_at, a.key_subject, a.reason, a.body,
                       (SELECT st.display_name FROM staff st WHERE st.id = a.author_id)
                FROM note_addenda a WHERE a.note_id = \(noteID) ORDER BY a.created_at, a.id
                """,
            ]
        ) { connection, rows -> [Addendum]? in
            let note = try rows[0].singleRow()
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: .noteReadAddenda,
                    entityType: .note,
                    entityID: noteID,
                    clientIDs: try note?.decode(0, as: [UUID].self) ?? [],
                    outcome: note == nil ? .denied : .success
                ),
                on: connection
            )
            guard note != nil else { return nil }
            var result: [Addendum] = []
            for row in rows[1] {
                let (id, author, created, storedSubject, reason, body) = try row.decode(
                    (UUID, UUID, Date, String, [UInt8], [UInt8]).self
                )
                let authorName = try row.decode(6, as: String?.self) ?? ""
                let subject = try KeySubject(stored: storedSubject)
                func open(_ sealed: [UInt8], _ column: String) async throws -> String {
                    try await keys.open(
                        sealed,
                        at: SealedPlace(subject: subject, table: "note_addenda", column: column, rowID: id),
                        on: connection
                    )
                }
                result.append(
                    Addendum(
                        id: id,
                        authorID: author,
                        authorName: authorName,
                        createdAt: created,
                        reason: try await open(reason, "reason"),
                        text: try await open(body, "body")
                    )
                )
            }
            return result
        }
        guard let found else { throw ServiceError(.notFound, field: "note", "no note with this id in your caseload") }
        return found
    }

    /// Co-signs a signed note as a supervisor of its counselor, vouching for its content hash.
    ///
    /// - Throws: `forbidden` unless the actor supervises the note's counselor (and is not its
    ///   author); `conflict` for a draft or a note already co-signed.
    public func cosign(_ noteID: UUID, actor: StaffActor) async throws {
        try await pool.recordingDenials(action: .noteCosign, entityType: .note, entityID: noteID, actor: actor) {
            try actor.validate()
            guard actor.roles.contains(.supervisor) else {
                throw ServiceError(.forbidden, field: "note", "only a supervisor co-signs notes")
            }
            try await pool.auditedTransaction(as: actor) { connection -> Result<Void, ServiceError> in
                guard
                    let row = try await connection.query(
                        """
                        SELECT state, counselor_id, author_id, content_hash, \(unescaped: ChartReference.clientIDsColumn)
                        FROM progress_notes WHERE id = \(noteID)
                        """
                    ).singleRow()
                else {
                    return .failure(ServiceError(.notFound, field: "note", "no note with this id in your caseload"))
                }
                let (state, counselor, author, hash, clients) = try row.decode(
                    (String, UUID, UUID, [UInt8]?, [UUID]).self
                )
                guard state == "signed", let hash else {
                    return .failure(
                        ServiceError(
                            .conflict,
                            field: "note",
                            "the note is not signed yet; its author signs it first"
                        )
                    )
                }
                guard author != actor.staffID, counselor != actor.staffID else {
                    return .failure(
                        ServiceError(
                            .forbidden,
                            field: "note",
                            "a co-signature comes from the counselor's supervisor, not the author"
                        )
                    )
                }
                let statements: [PostgresQuery] = [
                    """
                    INSERT INTO note_cosignatures (practice_id, note_id, supervisor_id, counselor_id, content_hash)
                    VALUES (\(actor.practiceID), \(noteID), \(actor.staffID), \(counselor), \(hash))
                    """
                ]
                do {
                    try await connection.commit(
                        statements,
                        audited: AuditEvent(
                            action: .noteCosign,
                            entityType: .note,
                            entityID: noteID,
                            clientIDs: clients
                        )
                    )
                } catch let error as PostgresError where error.code == .uniqueViolation {
                    // Thrown, not returned: the failed statement aborted the transaction.
                    throw ServiceError(.conflict, field: "note", "the note is already co-signed")
                } catch let error as PostgresError where error.constraint == "note_cosignatures_by_supervisor" {
                    throw ServiceError(.forbidden, field: "note", "only a supervisor of the note's counselor co-signs")
                }
                return .success(())
            }
        }
    }
}
