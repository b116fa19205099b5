import Foundation
import HavenCore
import HavenStore
import Postgres

extension SessionService {
    /// A session as a schedule shows it.
    public struct Listing: Sendable, Equatable {
        public var id: UUID
        public var chart: ChartReference
        public var counselorID: UUID
        public var start: Date
        public var durationMinutes: Int
        public var format: String
        /// The session type's stored value (`SessionType`).
        public var sessionType: String
        /// The billing code, when one was given.
        public var serviceCode: String?
        public var status: String
        /// Whether a progress note exists for it (false wherever notes are out of reach: the calendar).
        public var noted: Bool
        /// The chart's clients' preferred (else legal) names: one for a client, two for a couple.
        public var names: [String] = []
        /// The counselor's display name.
        public var counselorName: String? = nil

        /// The chart's name for people: "A & B" (preferred names) for a couple, the client's for an
        /// individual chart.
        public var chartName: String { names.joined(separator: " & ") }
    }

    /// The select-list tail every schedule read ends with: the chart's names (through the calendar for
    /// a scheduler, through the caller's own reach otherwise), the counselor's display name, and the
    /// chart's client ids for the audit entry. `s` is the session row.
    static let namesColumns: StaticString = """
        coalesce((SELECT chart_names FROM haven_calendar_chart(CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END,
                                                               coalesce(s.couple_id, s.client_id))),
                 haven_chart_names(CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END,
                                   coalesce(s.couple_id, s.client_id))),
        (SELECT st.display_name FROM staff st WHERE st.id = s.counselor_id),
        coalesce(CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id]
                      ELSE (SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = s.couple_id)
                 END,
                 (SELECT chart_clients FROM haven_calendar_chart('couple', s.couple_id)))
        """

    /// The columns of a schedule line, in the order `listing(_:)` reads them (`s` is the session row).
    static let listingColumns: StaticString = """
        s.id, s.couple_id, s.client_id, s.counselor_id, s.scheduled_start, s.duration_minutes, s.format,
        s.session_type, s.service_code, s.status, EXISTS (SELECT 1 FROM progress_notes n WHERE n.session_id = s.id)
        """

    /// A schedule line from a row of `listingColumns` then `namesColumns`.
    static func listing(_ row: PostgresRow) throws -> Listing {
        let (id, couple, client, counselor, start, minutes, format, type, code, status, noted) = try row.decode(
            (UUID, UUID?, UUID?, UUID, Date, Int32, String, String, String?, String, Bool).self
        )
        let (names, counselorName) = try row.decode(([String], String?).self, from: 11)
        return Listing(
            id: id,
            chart: couple.map(ChartReference.couple) ?? .client(client ?? id),
            counselorID: counselor,
            start: start,
            durationMinutes: Int(minutes),
            format: format,
            sessionType: type,
            serviceCode: code,
            status: status,
            noted: noted,
            names: names,
            counselorName: counselorName
        )
    }

    /// Sessions in the actor's reach: of one chart, and/or starting in `[from, to)`, by start time,
    /// with the chart's names and the counselor's. Audited as a schedule read, naming the chart's
    /// clients when one chart is asked for. Without a chart this is the calendar: a scheduler sees
    /// every counselor's sessions (names, times, status; nothing clinical).
    public func list(
        chart: ChartReference? = nil,
        from: Date? = nil,
        to: Date? = nil,
        actor: StaffActor
    ) async throws -> [Listing] {
        guard let chart else { return try await listInReach(chart: nil, from: from, to: to, actor: actor) }
        return try await pool.readingChart(chart, action: .sessionList, actor: actor) {
            try await listInReach(chart: chart, from: from, to: to, actor: actor)
        }
    }

    private func listInReach(
        chart: ChartReference?,
        from: Date?,
        to: Date?,
        actor: StaffActor
    ) async throws -> [Listing] {
        let couple: UUID? = if case .couple(let id) = chart { id } else { nil }
        let client: UUID? = if case .client(let id) = chart { id } else { nil }
        let check: [PostgresQuery] = chart.map { [$0.reachCheck] } ?? []
        return try await pool.transaction(
            as: actor,
            reach: chart == nil ? .calendar : .clinical,
            prologue: check
        ) { connection, reach in
            let rows = try await connection.commit(
                [
                    """
                    SELECT \(unescaped: Self.listingColumns), \(unescaped: Self.namesColumns)
                    FROM therapy_sessions s
                    WHERE (\(couple)::uuid IS NULL OR s.couple_id = \(couple))
                      AND (\(client)::uuid IS NULL OR s.client_id = \(client))
                      AND (\(from)::timestamptz IS NULL OR s.scheduled_start >= \(from))
                      AND (\(to)::timestamptz IS NULL OR s.scheduled_start < \(to))
                    ORDER BY s.scheduled_start, s.id
                    """
                ],
                audited: AuditEvent(
                    action: .sessionList,
                    entityType: chart?.entityType ?? .caseload,
                    entityID: chart?.id ?? actor.staffID,
                    clientIDs: try chart?.clientIDs(fromReachCheck: reach[0]) ?? []
                )
            )
            return try rows[0].map(Self.listing)
        }
    }
}
