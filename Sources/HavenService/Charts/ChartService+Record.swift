import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

extension ChartService {
    /// A whole chart as the counselor's chart page shows it, read in one snapshot: the clinical facts a
    /// progress report over the chart's whole life rests on, and what a report only counts (each
    /// injury, every version of each partner's cycle map, each note's state and author, each
    /// assignment with its responses). Never holds note bodies or psychotherapy notes.
    public struct Record: Sendable, Equatable {
        /// Clinical audience, from the chart's start to a year ahead (so booked sessions show).
        public var facts: ReportFacts
        /// The practice's date today (homework status is as of this day).
        public var today: CalendarDate
        public var injuries: [CoupleRecordService.Injury]
        /// Each partner's map versions, oldest first (partners without a map are absent).
        public var cycleMaps: [CycleMapHistory]
        public var notes: [NoteEntry]
        public var homework: [HomeworkService.Assignment]
        /// A couple's measures on the portal: its live schedules and what its partners answered there (nil
        /// for a client's chart, or unless asked for). Read in the chart's snapshot and audited
        /// `measure.trend` about the couple with the chart's own entry, in its one transaction.
        public var portalMeasures: MeasureService.PortalMeasures?
        /// How many statements the read took (the same whatever the chart's size).
        public var queryCount: Int
    }

    /// One partner's cycle map, version by version.
    public struct CycleMapHistory: Sendable, Equatable {
        public var partnerID: UUID
        public var versions: [CycleMapService.Version]
    }

    /// A note as the chart lists it (no text) with its author's name.
    public struct NoteEntry: Sendable, Equatable {
        public var listing: NoteService.Listing
        public var authorName: String
    }

    /// Reads a couple's or client's chart in one repeatable-read snapshot, in a fixed number of
    /// statements whatever the chart's size (the report's header and sections, then this read's own
    /// sections in one pipeline), audited as a `couple.read` or `client.read` with its clients (a
    /// couple's portal measures besides as `measure.trend`, in the same commit). A chart out of reach
    /// is `notFound` like one that does not exist, audited as denied.
    ///
    /// - Throws: `notFound`; `integrity` (audited) when a signed note no longer matches its signature.
    /// - Parameters:
    ///   - portalMeasures: also read a couple's measures on the portal (`Record.portalMeasures`, the chart
    ///     page's), audited `measure.trend` about the couple.
    public func record(
        _ chart: ChartReference,
        now: Date = Date(),
        portalMeasures: Bool = false,
        actor: StaffActor
    ) async throws -> Record {
        try actor.validate()
        let keys = self.keys
        let pool = self.pool
        let utcToday = Self.day(now, in: .gmt)
        let action: AuditEvent.Action = chart.kind == "couple" ? .coupleRead : .clientRead
        let found = try await pool.refusingTampered(actor: actor) {
            try await pool.snapshot(as: actor) { connection -> (Record?, then: [PostgresQuery]) in
                var reader = ReportReader(chart: chart, audience: .clinical, keys: keys, connection: connection)
                guard
                    let facts = try await reader.read(
                        from: nil,
                        to: utcToday.adding(days: 366),
                        today: utcToday
                    )
                else {
                    let denied = AuditEvent(
                        action: action,
                        entityType: chart.entityType,
                        entityID: chart.id,
                        outcome: .denied
                    )
                    return (nil, AuditStore.appendStatements(denied))
                }
                let zone = TimeZone(identifier: facts.timeZone) ?? .gmt
                let today = Self.day(now, in: zone)
                var record = Record(
                    facts: facts,
                    today: today,
                    injuries: [],
                    cycleMaps: [],
                    notes: [],
                    homework: [],
                    portalMeasures: nil,
                    queryCount: 0
                )
                let queries = Self.recordQueries(chart, portalMeasures: portalMeasures)
                let rows = try await connection.pipeline(queries)
                var reads = reader.queries + queries.count
                let names = Dictionary(uniqueKeysWithValues: facts.partners.map { ($0.id, $0.name) })
                func open(
                    _ sealed: [UInt8],
                    _ table: String,
                    _ column: String,
                    _ row: UUID,
                    _ subject: String
                )
                    async throws -> String
                {
                    try await keys.open(
                        sealed,
                        at: SealedPlace(
                            subject: try KeySubject(stored: subject),
                            table: table,
                            column: column,
                            rowID: row
                        ),
                        on: connection
                    )
                }
                for row in rows[0] {
                    let (id, sealed, subject, partner, identified, status, step, resolved) = try row.decode(
                        (UUID, [UInt8], String, UUID, CalendarDate, String, Int, CalendarDate?).self
                    )
                    record.injuries.append(
                        CoupleRecordService.Injury(
                            id: id,
                            injuredPartnerID: partner,
                            injuredPartnerName: names[partner] ?? "",
                            description: try await open(sealed, "attachment_injuries", "description", id, subject),
                            identifiedOn: identified,
                            status: try InjuryStatus.parse(status),
                            resolutionStep: step,
                            resolvedOn: resolved
                        )
                    )
                }
                for row in rows[1] {
                    let (id, partner, version, position, sealed, subject, created) = try row.decode(
                        (UUID, UUID, Int, String?, [UInt8], String, Date).self
                    )
                    let json = try await open(sealed, "cycle_maps", "map", id, subject)
                    let entry = CycleMapService.Version(
                        version: version,
                        position: try position.map(CyclePosition.parse),
                        map: try JSONDecoder().decode(CycleMapService.Map.self, from: Data(json.utf8)),
                        createdAt: created
                    )
                    if let index = record.cycleMaps.firstIndex(where: { $0.partnerID == partner }) {
                        record.cycleMaps[index].versions.append(entry)
                    } else {
                        record.cycleMaps.append(CycleMapHistory(partnerID: partner, versions: [entry]))
                    }
                }
                record.notes = try rows[2].map { row in
                    let (id, session, start, author, stage, step, risk, signed, version) = try row.decode(
                        (UUID, UUID, Date, UUID, Int32, Int32, String?, Bool, Int32).self
                    )
                    let (addenda, cosigned, authorName) = try row.decode((Int32, Bool, String).self, from: 9)
                    return NoteEntry(
                        listing: NoteService.Listing(
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
                        ),
                        authorName: authorName
                    )
                }
                if case .couple = chart, portalMeasures {
                    record.portalMeasures = try MeasureService.portalMeasures(from: rows[3...])
                }
                if case .couple(let id) = chart {
                    record.homework = try await HomeworkService(pool: pool, keys: keys)
                        .read(couple: id, assignment: nil, today: today, on: connection)
                    reads += 2
                }
                var then = AuditStore.appendStatements(
                    AuditEvent(
                        action: action,
                        entityType: chart.entityType,
                        entityID: chart.id,
                        clientIDs: facts.partners.map(\.id)
                    )
                )
                // What the portal part showed: the couple's partners' measures (audited as the API's trend is).
                if case .couple(let id) = chart, portalMeasures {
                    then += AuditStore.appendStatements(
                        AuditEvent(
                            action: .measureTrend,
                            entityType: .couple,
                            entityID: id,
                            clientIDs: facts.partners.map(\.id)
                        )
                    )
                }
                // The chart shows the counselor each answer's text, so it marks them read as the
                // assignment's own view does (the one rule, `haven_homework_mark_read`, migration 0045):
                // from now on a partner's answer and its sharing are final. (One statement for every couple
                // chart, answered or not: the read's size does not depend on the chart's.)
                if chart.kind == "couple" {
                    let answered = record.homework.filter { !$0.responses.isEmpty }.map(\.id)
                    then.insert("SELECT haven_homework_mark_read(a) FROM unnest(\(answered)::uuid[]) AS a", at: 0)
                }
                record.queryCount = reads + then.count
                return (record, then)
            }
        }
        guard let found else {
            throw ServiceError(.notFound, field: chart.kind, "no \(chart.kind) with this id in your caseload")
        }
        return found
    }

    /// The date of `instant` in `zone`.
    static func day(_ instant: Date, in zone: TimeZone) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// The chart read's own sections, in the order `record` consumes them (a couple's portal measures
    /// last, `MeasureService.portalMeasuresQueries`; for a client, or unasked, they read nothing: the
    /// read's statements are the same for every chart).
    private static func recordQueries(_ chart: ChartReference, portalMeasures: Bool) -> [PostgresQuery] {
        let couple: UUID? = if case .couple(let id) = chart { id } else { nil }
        return [
            """
            SELECT id, description, key_subject, injured_partner_id, identified_on, status, resolution_step, resolved_on
            FROM attachment_injuries WHERE couple_id = \(couple) ORDER BY identified_on, id
            """,
            """
            SELECT id, partner_id, version, position, map, key_subject, created_at FROM cycle_maps
            WHERE couple_id = \(couple) ORDER BY partner_id, version
            """,
            """
            SELECT n.id, n.session_id, s.scheduled_start, n.author_id, n.stage::int4, n.step::int4, n.risk_level,
                   n.state = 'signed', n.version,
                   (SELECT count(*) FROM note_addenda a WHERE a.note_id = n.id)::int4,
                   EXISTS (SELECT 1 FROM note_cosignatures c WHERE c.note_id = n.id),
                   coalesce(au.display_name, '')
            FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
            LEFT JOIN staff au ON au.id = n.author_id
            WHERE n.chart_kind = \(chart.kind) AND n.chart_id = \(chart.id)
            ORDER BY s.scheduled_start, n.created_at, n.id
            """,
        ] + MeasureService.portalMeasuresQueries(couple: portalMeasures ? couple : nil)
    }
}
