import Foundation
import HavenCore
import HavenStore
import Postgres

extension NoteService {
    /// A note as a chart's list shows it: no text.
    public struct Listing: Sendable, Equatable {
        public var id: UUID
        public var sessionID: UUID
        public var sessionStart: Date
        public var authorID: UUID
        public var stage: Int
        public var step: Int
        /// `nil` on a draft whose risk level is not recorded yet.
        public var riskLevel: String?
        public var signed: Bool
        public var version: Int
        public var addenda: Int
        public var cosigned: Bool
    }

    /// The notes on one chart, by session date. Audited with the chart's id.
    public func list(chart: ChartReference, actor: StaffActor) async throws -> [Listing] {
        try actor.validate()
        return try await pool.readingChart(chart, action: .noteList, actor: actor) {
            try await listInReach(chart: chart, actor: actor)
        }
    }

    private func listInReach(chart: ChartReference, actor: StaffActor) async throws -> [Listing] {
        try await pool.transaction(as: actor, prologue: [chart.reachCheck]) { connection, reach in
            let rows = try await connection.commit(
                [
                    """
                    SELECT n.id, n.session_id, s.scheduled_start, n.author_id, n.stage::int4, n.step::int4, n.risk_level,
                           n.state = 'signed', n.version,
                           (SELECT count(*) FROM note_addenda a WHERE a.note_id = n.id)::int4,
                           EXISTS (SELECT 1 FROM note_cosignatures c WHERE c.note_id = n.id)
                    FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
                    WHERE n.chart_kind = \(chart.kind) AND n.chart_id = \(chart.id)
                    ORDER BY s.scheduled_start, n.created_at, n.id
                    """
                ],
                audited: AuditEvent(
                    action: .noteList,
                    entityType: chart.entityType,
                    entityID: chart.id,
                    clientIDs: try chart.clientIDs(fromReachCheck: reach[0])
                )
            )
            return try rows[0].map { row in
                let (id, session, start, author, stage, step, risk, signed, version) = try row.decode(
                    (UUID, UUID, Date, UUID, Int32, Int32, String?, Bool, Int32).self
                )
                let (addenda, cosigned) = try row.decode((Int32, Bool).self, from: 9)
                return Listing(
                    id: id,
                    sessionID: session,
                    sessionStart: start,
                    authorID: author,
                    stage: Int(stage),
                    step: Int(step),
                    riskLevel: risk,
                    signed: signed,
                    version: Int(version),
                    addenda: Int(addenda),
                    cosigned: cosigned
                )
            }
        }
    }
}
