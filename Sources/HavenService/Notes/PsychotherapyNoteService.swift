import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Psychotherapy notes: a counselor's private process notes on a chart, readable by their author
/// alone, sealed under a data key of their own (per author per chart).
public struct PsychotherapyNoteService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// A chart: a couple or a client.
    public typealias Chart = ChartReference

    /// The key subject of one author's psychotherapy notes on one chart.
    static func subject(chart: UUID, author: UUID) -> KeySubject {
        KeySubject(kind: .psychotherapy, id: "\(chart.uuidString.lowercased()):\(author.uuidString.lowercased())")
    }

    /// Writes a psychotherapy note on a chart of the actor's caseload.
    ///
    /// - Throws: `invalidInput` naming `body`; `notFound` when the chart is not in reach.
    public func write(_ body: String, chart: Chart, actor: StaffActor) async throws -> UUID {
        return try await pool.recordingDenials(
            action: .psychotherapyNoteWrite,
            entityType: chart.entityType,
            entityID: chart.id,
            actor: actor
        ) {
            try actor.validate()
            try NoteService.checkText(body, field: "body", ifEmpty: "is empty; write the note text")
            let id = UUID()
            let keys = self.keys
            let subject = Self.subject(chart: chart.id, author: actor.staffID)
            do {
                try await pool.transaction(as: actor, prologue: [chart.reachCheck]) { connection, reach in
                    let (sealed, keyID) = try await keys.seal(
                        body,
                        practiceID: actor.practiceID,
                        at: SealedPlace(subject: subject, table: "psychotherapy_notes", column: "body", rowID: id),
                        on: connection
                    )
                    let statements: [PostgresQuery] = [
                        "SELECT haven_require_live_keys(\([keyID]))",
                        """
                        INSERT INTO psychotherapy_notes (id, practice_id, author_id, chart_kind, chart_id, body, body_key_id)
                        VALUES (\(id), \(actor.practiceID), \(actor.staffID), \(chart.kind), \(chart.id), \
                        \(sealed), \(keyID))
                        """,
                    ]
                    try await connection.commit(
                        statements,
                        audited: AuditEvent(
                            action: .psychotherapyNoteWrite,
                            entityType: .psychotherapyNote,
                            entityID: id,
                            clientIDs: try chart.clientIDs(fromReachCheck: reach[0])
                        )
                    )
                }
            } catch let error as PostgresError where error.code == .insufficientPrivilege || error.sqlState == "P0002" {
                throw ServiceError(.notFound, field: "chart", "no such couple or client in your caseload")
            }
            return id
        }
    }

    /// Reads a psychotherapy note: only its author can; anyone else gets `notFound` (audited).
    public func read(_ id: UUID, actor: StaffActor) async throws -> String {
        try actor.validate()
        let keys = self.keys
        let found = try await pool.transaction(as: actor) { connection -> String? in
            guard
                let row = try await connection.query(
                    """
                    SELECT key_subject_id, body, \(unescaped: ChartReference.clientIDsColumn)
                    FROM psychotherapy_notes WHERE id = \(id)
                    """
                ).singleRow()
            else {
                try AuditStore.appendAtCommit(
                    AuditEvent(
                        action: .psychotherapyNoteRead,
                        entityType: .psychotherapyNote,
                        entityID: id,
                        outcome: .denied
                    ),
                    on: connection
                )
                return nil
            }
            let (subjectID, sealed, clients) = try row.decode((String, [UInt8], [UUID]).self)
            let body = try await keys.open(
                sealed,
                at: SealedPlace(
                    subject: KeySubject(kind: .psychotherapy, id: subjectID),
                    table: "psychotherapy_notes",
                    column: "body",
                    rowID: id
                ),
                on: connection
            )
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: .psychotherapyNoteRead,
                    entityType: .psychotherapyNote,
                    entityID: id,
                    clientIDs: clients
                ),
                on: connection
            )
            return body
        }
        guard let found else {
            throw ServiceError(.notFound, field: "psychotherapyNote", "no psychotherapy note of yours with this id")
        }
        return found
    }
}
