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

    /// The rule for a clinical free text a use case seals whole (a psychotherapy note, an addendum, an
    /// injury's or goal's description): not blank, at most `maximumBodyBytes`.
    ///
    /// - Throws: `invalidInput` naming `field`: `ifEmpty` when blank, the limit when too long.
    static func checkText(_ text: String, field: String, ifEmpty: String = "is empty") throws {
        guard !text.allSatisfy(\.isWhitespace) else { throw ServiceError(.invalidInput, field: field, ifEmpty) }
        guard text.utf8.count <= maximumBodyBytes else {
            throw ServiceError(.invalidInput, field: field, "is longer than \(maximumBodyBytes / 1024) KiB")
        }
    }

    /// What a counselor writes.
    public struct Draft: Sendable, Equatable {
        public var stage: Int
        public var step: Int
        /// For steps 5–7: which partner the work was with.
        public var stepPartnerID: UUID?
        public var interventions: [Intervention]
        public var tangoMoves: [TangoMove]
        public var changeEvents: [ChangeEvent]
        /// The risk screen's level; a draft may lack it, a note is signed only with one (`sign`).
        public var riskLevel: RiskLevel?
        public var riskDetail: String?
        public var body: String

        public init(
            stage: Int,
            step: Int,
            stepPartnerID: UUID? = nil,
            interventions: [Intervention] = [],
            tangoMoves: [TangoMove] = [],
            changeEvents: [ChangeEvent] = [],
            riskLevel: RiskLevel? = RiskLevel.none,
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
        /// The author's display name (read in the same query as the note).
        public var authorName: String = ""
        /// When the note was signed; nil on a draft.
        public var signedAt: Date?
        /// The supervisor's co-signature, if any.
        public var cosignature: Cosignature?
    }

    /// A supervisor's co-signature on a signed note: who, and when.
    public struct Cosignature: Sendable, Equatable {
        public var supervisorID: UUID
        public var supervisorName: String
        public var cosignedAt: Date
    }

    /// The refusal of a step partner who is not one of the chart's clients (checked here for an edit,
    /// by `haven_note_write_draft` for a new draft).
    static let stepPartnerNotInChart = ServiceError(
        .invalidInput,
        field: "stepPartnerID",
        "must be one of the couple's partners"
    )

    /// Checks a draft against the domain rules before anything is written.
    func validate(_ draft: Draft, partners: [UUID]) throws {
        let step: EFTStep
        do {
            step = try EFTStep(stage: draft.stage, step: draft.step)
        } catch let error as DomainError {
            throw ServiceError(error)
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
                throw Self.stepPartnerNotInChart
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

    /// Reads a note (audited) in one round trip: BEGIN, the context, `haven_note_read` (the row and its
    /// audit entry, migration 0049) and COMMIT. The note is opened with its key from memory or, when
    /// the key is not there, in a transaction of its own that reads it.
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
        let rows = try await pool.transaction(
            as: actor,
            prologue: ["SELECT * FROM haven_note_read(\(noteID))", "COMMIT"]
        ) { _, rows in rows[0] }
        let note: Note?
        do {
            note = try await self.note(noteID, from: rows, on: nil)
        } catch is KeyNotInMemory {
            note = try await pool.transaction(as: actor) { connection in
                try await self.note(noteID, from: rows, on: connection)
            }
        }
        if let note, note.signed {
            try NoteIntegrity.check(.init(note), storedHash: note.contentHash, clientIDs: note.clientIDs)
        }
        return note
    }

    /// A sealed value's key (or the format floor) was not in memory, and no connection was given to
    /// read it: open the note again inside a transaction.
    private struct KeyNotInMemory: Error {}

    static func loadQuery(_ noteID: UUID, lock: Bool) -> PostgresQuery {
        """
        SELECT session_id, author_id, stage, step, step_partner_id, interventions, tango_moves, change_events,
               risk_level, body, risk_detail, state, version, content_hash, key_subject, \(unescaped: ChartReference.clientIDsColumn),
               signed_at, (SELECT st.display_name FROM staff st WHERE st.id = progress_notes.author_id),
               (SELECT c.supervisor_id FROM note_cosignatures c WHERE c.note_id = progress_notes.id),
               (SELECT st.display_name FROM note_cosignatures c JOIN staff st ON st.id = c.supervisor_id
                WHERE c.note_id = progress_notes.id),
               (SELECT c.cosigned_at FROM note_cosignatures c WHERE c.note_id = progress_notes.id)
        FROM progress_notes WHERE id = \(noteID) \(unescaped: lock ? "FOR UPDATE OF progress_notes" : "")
        """
    }

    func load(_ noteID: UUID, lock: Bool, on connection: PostgresConnection) async throws -> Note? {
        try await note(noteID, from: try await connection.query(Self.loadQuery(noteID, lock: lock)), on: connection)
    }

    /// Records a refused action on a note as denied in the audit log (in the caller's transaction,
    /// which then commits) and hands the refusal back.
    func refuse<Value: Sendable>(
        _ error: ServiceError,
        action: AuditEvent.Action,
        note noteID: UUID,
        clients: [UUID] = [],
        actor: StaffActor,
        on connection: PostgresConnection
    ) async throws -> Result<Value, ServiceError> {
        return try await connection.refuse(
            error,
            audited: AuditEvent(action: action, entityType: .note, entityID: noteID, clientIDs: clients)
        )
    }

    /// Decodes and opens a note from its row (`loadQuery`, `haven_note_read`); with no connection, only
    /// with keys in memory (`KeyNotInMemory` otherwise).
    func note(_ noteID: UUID, from rows: PostgresRows, on connection: PostgresConnection?) async throws -> Note? {
        guard let row = try rows.singleRow() else { return nil }
        let (session, author, stage, step, partner, interventions, tango, events) = try row.decode(
            (UUID, UUID, Int, Int, UUID?, [String], [String], [String]).self
        )
        let risk = try row.decode(8, as: String?.self)
        let body = try row.decode(9, as: [UInt8].self)
        let detail = try row.decode(10, as: [UInt8]?.self)
        let state = try row.decode(11, as: String.self)
        let version = try row.decode(12, as: Int.self)
        let hash = try row.decode(13, as: [UInt8]?.self)
        let subject = try KeySubject(stored: try row.decode(14, as: String.self))
        let clients = try row.decode(15, as: [UUID].self)
        let (signedAt, authorName, supervisor, supervisorName, cosignedAt) = try row.decode(
            (Date?, String?, UUID?, String?, Date?).self,
            from: 16
        )
        func open(_ sealed: [UInt8], column: String) async throws -> String {
            let place = SealedPlace(subject: subject, table: "progress_notes", column: column, rowID: noteID)
            guard let connection else {
                guard let text = try keys.openFromMemory(sealed, at: place) else { throw KeyNotInMemory() }
                return text
            }
            return try await keys.open(sealed, at: place, on: connection)
        }
        let draft = Draft(
            stage: stage,
            step: step,
            stepPartnerID: partner,
            interventions: try interventions.map(Intervention.parse),
            tangoMoves: try tango.map(TangoMove.parse),
            changeEvents: try events.map(ChangeEvent.parse),
            riskLevel: try risk.map(RiskLevel.parse),
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
            clientIDs: clients,
            authorName: authorName ?? "",
            signedAt: signedAt,
            cosignature: zip3(supervisor, supervisorName, cosignedAt).map {
                Cosignature(supervisorID: $0, supervisorName: $1, cosignedAt: $2)
            }
        )
    }

    private func zip3<A, B, C>(_ a: A?, _ b: B?, _ c: C?) -> (A, B, C)? {
        guard let a, let b, let c else { return nil }
        return (a, b, c)
    }

    /// The note's content hash (`NoteIntegrity.hash`).
    static func contentHash(of note: Note) -> [UInt8] {
        NoteIntegrity.hash(.init(note))
    }
}
