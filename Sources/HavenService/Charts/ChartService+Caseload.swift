import Foundation
import HavenCore
import HavenStore
import Postgres

extension ChartService {
    /// One line of a caseload: a client's chart with where its individual therapy stands.
    public struct ClientSummary: Sendable, Equatable {
        public var client: Client
        /// The EFT stage and step of the individual chart's latest note, by session date; nil before one.
        public var stage: Int?
        public var step: Int?
        /// The risk level of the latest individual note that records one (an individual chart's risk).
        public var riskLevel: String?
        /// The last completed and the next scheduled individual session.
        public var lastSession: Date?
        public var nextSession: Date?
    }

    /// The clients in the actor's reach with their individual charts' stage and step, latest risk
    /// level, and last (completed) and next (scheduled) individual sessions, by name; one statement.
    /// Audited as a caseload read, like `listClients`.
    public func listClientSummaries(now: Date = Date(), actor: StaffActor) async throws -> [ClientSummary] {
        // One round trip: BEGIN, the context, the list, its entry and COMMIT. The latest note is found by
        // reading the client's individual sessions newest first and stopping at the first with a note (an
        // individual chart's notes are those on its sessions), not by sorting all of them; the latest risk
        // level names the chart too, so the planner may read the chart's notes instead when few record
        // one (as haven_couple_open_risk_note_in, migration 0071).
        let rows = try await pool.readAudited(
            [
                """
                SELECT \(unescaped: Self.clientColumns), n.stage::int4, n.step::int4,
                       (SELECT pn.risk_level
                        FROM therapy_sessions s JOIN progress_notes pn ON pn.practice_id = s.practice_id AND pn.session_id = s.id
                        WHERE s.practice_id = c.practice_id AND s.client_id = c.id
                          AND pn.chart_kind = 'client' AND pn.chart_id = c.id AND pn.risk_level IS NOT NULL
                        ORDER BY s.scheduled_start DESC, pn.created_at DESC, pn.id DESC LIMIT 1),
                       (SELECT max(s.scheduled_start) FROM therapy_sessions s
                        WHERE s.practice_id = c.practice_id AND s.client_id = c.id AND s.status = 'completed'),
                       (SELECT min(s.scheduled_start) FROM therapy_sessions s
                        WHERE s.practice_id = c.practice_id AND s.client_id = c.id AND s.status = 'scheduled'
                          AND s.scheduled_start >= \(now))
                FROM clients c
                LEFT JOIN LATERAL (
                    SELECT pn.stage, pn.step
                    FROM therapy_sessions s JOIN progress_notes pn ON pn.practice_id = s.practice_id AND pn.session_id = s.id
                    WHERE s.practice_id = c.practice_id AND s.client_id = c.id
                    ORDER BY s.scheduled_start DESC, pn.created_at DESC, pn.id DESC
                    LIMIT 1
                ) n ON true
                ORDER BY c.legal_name, c.id
                """
            ],
            audited: AuditEvent(action: .clientList, entityType: .caseload, entityID: actor.staffID),
            as: actor
        )
        return try rows[0].map { row in
            let (stage, step, risk, last, next) = try row.decode(
                (Int32?, Int32?, String?, Date?, Date?).self,
                from: 9
            )
            return ClientSummary(
                client: try Self.client(from: row),
                stage: stage.map(Int.init),
                step: step.map(Int.init),
                riskLevel: risk,
                lastSession: last,
                nextSession: next
            )
        }
    }
}
