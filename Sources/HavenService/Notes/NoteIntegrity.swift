import Foundation
import HavenStore
import Postgres
import Sealing

/// The one rule for signed notes: a signed note is shown, listed with its body, reported or exported
/// only while it is exactly what its author signed.
///
/// Signing stores the SHA-256 of the note's canonical content (docs/security.md, "Notes") in the note
/// and, as the `note.sign` audit entry's digest, in the hash chain. Every read of a signed note
/// recomputes it from the stored plain fields and the opened body and risk detail; a mismatch (a
/// sealed or plain column changed outside Haven) refuses the read, audited as `note.integrity`
/// failed. `haven keys verify` also compares each signed note with its `note.sign` entry, which
/// catches a note and its stored hash changed together.
public enum NoteIntegrity {
    /// What the content hash covers, as plain values.
    public struct Content: Sendable, Equatable {
        public var noteID: UUID
        public var sessionID: UUID
        public var authorID: UUID
        public var stage: Int
        public var step: Int
        public var stepPartnerID: UUID?
        public var interventions: [String]
        public var tangoMoves: [String]
        public var changeEvents: [String]
        public var riskLevel: String
        public var riskDetail: String?
        public var body: String

        public init(
            noteID: UUID,
            sessionID: UUID,
            authorID: UUID,
            stage: Int,
            step: Int,
            stepPartnerID: UUID?,
            interventions: [String],
            tangoMoves: [String],
            changeEvents: [String],
            riskLevel: String,
            riskDetail: String?,
            body: String
        ) {
            self.noteID = noteID
            self.sessionID = sessionID
            self.authorID = authorID
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

        /// The content of a decoded note.
        init(_ note: NoteService.Note) {
            self.init(
                noteID: note.id,
                sessionID: note.sessionID,
                authorID: note.authorID,
                stage: note.draft.stage,
                step: note.draft.step,
                stepPartnerID: note.draft.stepPartnerID,
                interventions: note.draft.interventions.map(\.rawValue),
                tangoMoves: note.draft.tangoMoves.map(\.rawValue),
                changeEvents: note.draft.changeEvents.map(\.rawValue),
                riskLevel: note.draft.riskLevel?.rawValue ?? "",
                riskDetail: note.draft.riskDetail,
                body: note.draft.body
            )
        }
    }

    /// SHA-256 over the canonical content: a label, then ids, stage and step, the tags, the risk level
    /// and the plaintext risk detail and body, each length-prefixed.
    public static func hash(_ content: Content) -> [UInt8] {
        var out = Array("haven-note-v1".utf8)
        func field(_ text: String) { appendLengthPrefixed(Array(text.utf8), to: &out) }
        field(content.noteID.uuidString.lowercased())
        field(content.sessionID.uuidString.lowercased())
        field(content.authorID.uuidString.lowercased())
        field("\(content.stage).\(content.step)")
        field(content.stepPartnerID?.uuidString.lowercased() ?? "")
        field(content.interventions.joined(separator: ","))
        field(content.tangoMoves.joined(separator: ","))
        field(content.changeEvents.joined(separator: ","))
        field(content.riskLevel)
        field(content.riskDetail ?? "")
        field(content.body)
        return SHA256.hash(out)
    }

    /// A signed note that no longer matches its content hash.
    public struct Mismatch: Error, Sendable, Equatable {
        public var noteID: UUID
        /// The chart's clients, for the audit entry.
        public var clientIDs: [UUID]
    }

    /// Checks a signed note's content against the hash stored when it was signed.
    ///
    /// - Throws: `Mismatch` when they differ (or the hash is missing).
    public static func check(_ content: Content, storedHash: [UInt8]?, clientIDs: [UUID]) throws {
        guard let storedHash, storedHash == hash(content) else {
            throw Mismatch(noteID: content.noteID, clientIDs: clientIDs)
        }
    }

    /// The error a user sees for a note that failed its check: a system problem, never their input.
    static func refusal(_ mismatch: Mismatch) -> ServiceError {
        ServiceError(
            .integrity,
            field: "note",
            "signed note \(mismatch.noteID.uuidString.lowercased()) no longer matches what was signed (it was "
                + "changed outside Haven); nothing was shown: ask an operator to investigate"
        )
    }
}

extension ConnectionPool {
    /// Runs a read that includes signed notes; a note that fails its check is audited
    /// (`note.integrity`, failed, in a transaction of its own) and the read refused.
    ///
    /// - Throws: `ServiceError` of kind `integrity` naming the note.
    func refusingTampered<Value: Sendable>(
        actor: StaffActor,
        _ read: () async throws -> Value
    ) async throws -> Value {
        do {
            return try await read()
        } catch let mismatch as NoteIntegrity.Mismatch {
            try await transaction(context: actor) { connection in
                try AuditStore.appendAtCommit(
                    AuditEvent(
                        action: .noteIntegrity,
                        entityType: .note,
                        entityID: mismatch.noteID,
                        clientIDs: mismatch.clientIDs,
                        outcome: .failed
                    ),
                    on: connection
                )
            }
            throw NoteIntegrity.refusal(mismatch)
        }
    }
}

extension NoteIntegrity {
    /// A signed note that failed the operator's check.
    public struct Failure: Sendable, Equatable {
        public var noteID: UUID
        /// `content hash mismatch`, `signing entry mismatch` or `cannot open`.
        public var reason: String

        public init(noteID: UUID, reason: String) {
            self.noteID = noteID
            self.reason = reason
        }
    }

    /// What `verifyAll` found.
    public struct Report: Sendable, Equatable {
        /// Signed notes checked.
        public var checked = 0
        /// Of those, how many were also matched against the digest of their `note.sign` audit entry
        /// (notes signed before that entry carried the hash have none to compare).
        public var matchedToChain = 0
        public var failures: [Failure] = []
    }

    /// Checks every signed note of every practice (owner role, with the master key): its content
    /// against its stored hash, and the stored hash against its `note.sign` entry's digest (the
    /// author's own entry, never one with a partner actor), which catches a note and its hash changed
    /// together. Never returns or logs plaintext.
    public static func verifyAll(pool: ConnectionPool, keys: KeyManager, batchSize: Int = 200) async throws -> Report {
        var report = Report()
        var after = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        while true {
            let cursor = after
            let rows = try await pool.query(
                """
                SELECT n.id, n.session_id, n.author_id, n.stage::int4, n.step::int4, n.step_partner_id, n.interventions,
                       n.tango_moves, n.change_events, n.risk_level, n.risk_detail, n.body, n.key_subject, n.content_hash,
                       (SELECT a.digest FROM audit_log a
                        WHERE a.practice_id = n.practice_id AND a.action = 'note.sign' AND a.entity_id = n.id
                          AND a.outcome = 'success' AND a.staff_id = n.author_id AND a.partner_client_id IS NULL
                        ORDER BY a.seq DESC NULLS FIRST, a.occurred_at DESC, a.id DESC LIMIT 1)
                FROM progress_notes n WHERE n.state = 'signed' AND n.id > \(cursor) ORDER BY n.id LIMIT \(batchSize)
                """
            )
            if rows.isEmpty { break }
            for row in rows {
                let (id, session, author, stage, step, partner, interventions, tango) = try row.decode(
                    (UUID, UUID, UUID, Int32, Int32, UUID?, [String], [String]).self
                )
                let (events, risk, detail, body, subject, stored, signedDigest) = try row.decode(
                    ([String], String, [UInt8]?, [UInt8], String, [UInt8]?, [UInt8]?).self,
                    from: 8
                )
                report.checked += 1
                after = id
                func open(_ sealed: [UInt8], _ column: String) async throws -> String {
                    let subject = try KeySubject(stored: subject)
                    return try await pool.withConnection {
                        try await keys.open(
                            sealed,
                            at: SealedPlace(subject: subject, table: "progress_notes", column: column, rowID: id),
                            on: $0
                        )
                    }
                }
                let content: Content
                do {
                    content = Content(
                        noteID: id,
                        sessionID: session,
                        authorID: author,
                        stage: Int(stage),
                        step: Int(step),
                        stepPartnerID: partner,
                        interventions: interventions,
                        tangoMoves: tango,
                        changeEvents: events,
                        riskLevel: risk,
                        riskDetail: try await detail.asyncMap { try await open($0, "risk_detail") },
                        body: try await open(body, "body")
                    )
                } catch is SealingError {
                    report.failures.append(Failure(noteID: id, reason: "cannot open"))
                    continue
                }
                guard let stored, stored == hash(content) else {
                    report.failures.append(Failure(noteID: id, reason: "content hash mismatch"))
                    continue
                }
                if let signedDigest {
                    report.matchedToChain += 1
                    if signedDigest != stored {
                        report.failures.append(Failure(noteID: id, reason: "signing entry mismatch"))
                    }
                }
            }
        }
        return report
    }
}
