import Foundation
import HavenCore
import HavenStore
import Postgres

/// The counselor's day (`haven today`, `GET /v1/me/today`): today's and tomorrow's sessions with
/// names, and what needs doing — sessions past their time not yet marked, drafts, co-signatures,
/// overdue homework, couples with an open high-risk flag, measures due. One transaction, one round
/// trip, one audit entry; no clinical text.
public struct TodayService: Sendable {
    let pool: ConnectionPool

    /// - Parameter pool: connections as the application role.
    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// A partner or client seen today or tomorrow with no CSI (CSI-4, -16 or -32) within this many
    /// days is due one: the CSI's authors suggest repeated administration across treatment, and four
    /// weeks keeps a couple seen weekly or fortnightly on a monthly series.
    public static let measureInterval = 28

    /// The actor's day, in the practice's time zone, by the database's clock. Audited as a caseload
    /// read (`day.read`).
    public func day(actor: StaffActor) async throws -> Day {
        try actor.validate()
        return try await pool.transaction(as: actor) { connection in
            let rows = try await connection.commit(
                [
                    Self.header,
                    Self.appointments,
                    Self.unfinished,
                    Self.notes(queue: "drafts"),
                    Self.notes(queue: "to-cosign"),
                    Self.notes(queue: "awaiting-cosignature"),
                    Self.overdueHomework,
                    Self.highRisk,
                    Self.measuresDue(interval: Self.measureInterval),
                ],
                audited: AuditEvent(action: .dayRead, entityType: .caseload, entityID: actor.staffID)
            )
            guard let header = rows[0].first else {
                throw ServiceError(.notFound, field: "practice", "the practice is not in reach")
            }
            let (date, timeZone) = try header.decode((CalendarDate, String).self)
            return Day(
                date: date,
                timeZone: timeZone,
                appointments: try rows[1].map(Self.appointment),
                unfinished: try rows[2].map(Self.appointment),
                drafts: try rows[3].map(Self.noteItem),
                toCosign: try rows[4].map(Self.noteItem),
                awaitingCosignature: try rows[5].map(Self.noteItem),
                overdueHomework: try rows[6].map(Self.homework),
                highRisk: try rows[7].map { try Self.chart($0, from: 0) },
                measuresDue: try rows[8].map(Self.measureDue)
            )
        }
    }

    // MARK: - Statements

    /// Today in the practice's time zone, and that zone.
    static let header: PostgresQuery = """
        SELECT (now() AT TIME ZONE p.time_zone)::date, p.time_zone
        FROM practices p WHERE p.id = haven_current_practice()
        """

    static let appointments: PostgresQuery = """
        WITH day AS (
            SELECT (now() AT TIME ZONE p.time_zone)::date AS today, p.time_zone AS zone
            FROM practices p WHERE p.id = haven_current_practice()
        )
        SELECT s.id, CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END, coalesce(s.couple_id, s.client_id),
               haven_chart_names(CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END, coalesce(s.couple_id, s.client_id)),
               s.scheduled_start, s.duration_minutes, s.format, s.status,
               EXISTS (SELECT 1 FROM progress_notes n WHERE n.session_id = s.id), s.session_type
        FROM therapy_sessions s CROSS JOIN day
        WHERE s.counselor_id = haven_current_staff()
          AND s.scheduled_start >= (day.today::timestamp AT TIME ZONE day.zone)
          AND s.scheduled_start < ((day.today + 2)::timestamp AT TIME ZONE day.zone)
        ORDER BY s.scheduled_start, s.id
        """

    static let unfinished: PostgresQuery = """
        SELECT s.id, CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END, coalesce(s.couple_id, s.client_id),
               haven_chart_names(CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END, coalesce(s.couple_id, s.client_id)),
               s.scheduled_start, s.duration_minutes, s.format, s.status,
               EXISTS (SELECT 1 FROM progress_notes n WHERE n.session_id = s.id), s.session_type
        FROM therapy_sessions s
        WHERE s.counselor_id = haven_current_staff() AND s.status = 'scheduled'
          AND s.scheduled_start + make_interval(mins => s.duration_minutes) < now()
        ORDER BY s.scheduled_start, s.id
        """

    /// Notes in one of the three queues, with their session and author.
    static func notes(queue: String) -> PostgresQuery {
        """
        SELECT n.id, n.chart_kind, n.chart_id, haven_chart_names(n.chart_kind, n.chart_id),
               n.session_id, s.scheduled_start, n.author_id, coalesce(st.display_name, ''), n.version, n.signed_at
        FROM progress_notes n
        JOIN therapy_sessions s ON s.id = n.session_id
        LEFT JOIN staff st ON st.id = n.author_id
        WHERE CASE \(queue)
            WHEN 'drafts' THEN n.author_id = haven_current_staff() AND n.state = 'draft'
            WHEN 'to-cosign' THEN n.state = 'signed' AND n.author_id <> haven_current_staff()
                AND n.counselor_id = ANY (haven_current_caseload()) AND coalesce(st.pre_licensed, false)
                AND NOT EXISTS (SELECT 1 FROM note_cosignatures c WHERE c.note_id = n.id)
            WHEN 'awaiting-cosignature' THEN n.state = 'signed' AND n.author_id = haven_current_staff()
                AND coalesce(st.pre_licensed, false)
                AND NOT EXISTS (SELECT 1 FROM note_cosignatures c WHERE c.note_id = n.id)
            ELSE false
        END
        ORDER BY s.scheduled_start, n.id
        """
    }

    static let overdueHomework: PostgresQuery = """
        SELECT a.id, p.title, 'couple', a.couple_id, haven_chart_names('couple', a.couple_id),
               a.partner_id, coalesce(c.preferred_name, c.legal_name), a.due_on
        FROM homework_assignments a
        JOIN homework_prompts p ON p.id = a.prompt_id
        LEFT JOIN clients c ON c.id = a.partner_id
        WHERE a.counselor_id = haven_current_staff()
          AND a.due_on < (SELECT (now() AT TIME ZONE time_zone)::date FROM practices WHERE id = haven_current_practice())
          AND (SELECT count(*) FROM homework_responses r WHERE r.assignment_id = a.id)
              < CASE WHEN a.partner_id IS NULL THEN 2 ELSE 1 END
        ORDER BY a.due_on, a.id
        """

    static let highRisk: PostgresQuery = """
        SELECT 'couple', c.id, haven_chart_names('couple', c.id)
        FROM couples c
        WHERE c.counselor_id = haven_current_staff() AND c.status = 'active' AND haven_couple_high_risk(c.id)
        ORDER BY c.start_date, c.id
        """

    /// Each person the counselor sees today or tomorrow (a couple's two partners, or the client),
    /// once, at their first such session, when their latest CSI is older than `interval` days.
    static func measuresDue(interval: Int) -> PostgresQuery {
        """
        WITH day AS (
            SELECT (now() AT TIME ZONE p.time_zone)::date AS today, p.time_zone AS zone
            FROM practices p WHERE p.id = haven_current_practice()
        ),
        seen AS (
            SELECT DISTINCT ON (person.id) person.id AS client_id, s.id AS session_id, s.scheduled_start,
                   CASE WHEN s.couple_id IS NULL THEN 'client' ELSE 'couple' END AS kind,
                   coalesce(s.couple_id, s.client_id) AS chart
            FROM therapy_sessions s CROSS JOIN day
            LEFT JOIN couples c ON c.id = s.couple_id
            CROSS JOIN LATERAL (
                SELECT unnest(CASE WHEN s.couple_id IS NULL THEN ARRAY[s.client_id] ELSE ARRAY[c.partner_a_id, c.partner_b_id] END)
            ) AS person(id)
            WHERE s.counselor_id = haven_current_staff() AND s.status = 'scheduled'
              AND s.scheduled_start >= now()
              AND s.scheduled_start < ((day.today + 2)::timestamp AT TIME ZONE day.zone)
              AND person.id IS NOT NULL
            ORDER BY person.id, s.scheduled_start
        )
        SELECT seen.client_id, coalesce(cl.preferred_name, cl.legal_name, ''), seen.kind, seen.chart,
               haven_chart_names(seen.kind, seen.chart), seen.session_id, seen.scheduled_start, latest.administered_on
        FROM seen CROSS JOIN day
        LEFT JOIN clients cl ON cl.id = seen.client_id
        LEFT JOIN LATERAL (
            SELECT max(m.administered_on) AS administered_on
            FROM measure_administrations m JOIN measure_definitions d ON d.id = m.definition_id
            WHERE m.client_id = seen.client_id AND d.code IN ('CSI-4', 'CSI-16', 'CSI-32')
        ) latest ON true
        WHERE latest.administered_on IS NULL OR latest.administered_on < day.today - \(Int32(interval))
        ORDER BY seen.scheduled_start, seen.client_id
        """
    }

    // MARK: - Rows

    static func chart(_ row: PostgresRow, from column: Int) throws -> ChartItem {
        let (kind, id, names) = try row.decode((String, UUID, [String]).self, from: column)
        return ChartItem(chart: kind == "couple" ? .couple(id) : .client(id), names: names)
    }

    static func appointment(_ row: PostgresRow) throws -> Appointment {
        let id = try row.decode(0, as: UUID.self)
        let (start, minutes, format, status, noted, type) = try row.decode(
            (Date, Int32, String, String, Bool, String).self,
            from: 4
        )
        return Appointment(
            id: id,
            chart: try chart(row, from: 1),
            start: start,
            durationMinutes: Int(minutes),
            format: format,
            sessionType: type,
            status: status,
            noted: noted
        )
    }

    static func noteItem(_ row: PostgresRow) throws -> NoteItem {
        let id = try row.decode(0, as: UUID.self)
        let (session, start, author, authorName, version, signedAt) = try row.decode(
            (UUID, Date, UUID, String, Int32, Date?).self,
            from: 4
        )
        return NoteItem(
            id: id,
            sessionID: session,
            sessionStart: start,
            chart: try chart(row, from: 1),
            authorID: author,
            authorName: authorName,
            version: Int(version),
            signedAt: signedAt
        )
    }

    static func homework(_ row: PostgresRow) throws -> OverdueHomework {
        let (id, title) = try row.decode((UUID, String).self)
        let (partner, partnerName, due) = try row.decode((UUID?, String?, CalendarDate).self, from: 5)
        return OverdueHomework(
            id: id,
            promptTitle: title,
            chart: try chart(row, from: 2),
            partnerID: partner,
            partnerName: partnerName,
            dueOn: due
        )
    }

    static func measureDue(_ row: PostgresRow) throws -> MeasureDue {
        let (client, name) = try row.decode((UUID, String).self)
        let (session, start, last) = try row.decode((UUID, Date, CalendarDate?).self, from: 5)
        return MeasureDue(
            clientID: client,
            name: name,
            chart: try chart(row, from: 2),
            sessionID: session,
            sessionStart: start,
            lastAdministeredOn: last
        )
    }
}
