import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Reads one chart's report facts inside a transaction: the chart's header first, then every
/// section in one pipeline (one round trip, one statement per section, none per session). What the
/// audience must not see is not selected at all.
struct ReportReader {
    let chart: ChartReference
    let audience: ReportAudience
    let keys: KeyManager
    let connection: PostgresConnection
    /// Statements sent so far.
    private(set) var queries = 0

    init(chart: ChartReference, audience: ReportAudience, keys: KeyManager, connection: PostgresConnection) {
        self.chart = chart
        self.audience = audience
        self.keys = keys
        self.connection = connection
    }

    private var clinical: Bool { audience == .clinical }

    /// The facts, or nil when the chart is out of reach.
    mutating func read(from: CalendarDate?, to: CalendarDate?, today: CalendarDate) async throws -> ReportFacts? {
        queries += 1
        guard let header = try await connection.query(headerQuery).singleRow() else { return nil }
        let (practiceName, timeZone, start, concerns, pattern, positionA, positionB) = try header.decode(
            (String, String, CalendarDate, [UInt8]?, String?, String?, String?).self
        )
        let (aID, aName, bID, bName, counselorID, counselorName, credentials, preLicensed) = try header.decode(
            (UUID, String, UUID?, String?, UUID, String, String, Bool).self,
            from: 7
        )
        let openHighRiskFlag = try header.decode(15, as: Bool?.self)
        let careStatus = try CareStatus.parse(try header.decode(16, as: String.self))
        let partners =
            [ReportFacts.Person(id: aID, name: aName)]
            + (bID.map { [ReportFacts.Person(id: $0, name: bName ?? "")] } ?? [])
        let periodFrom = from ?? start
        let periodTo = to ?? today
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        let fromInstant = Self.startOfDay(periodFrom, in: zone)
        let toInstant = Self.startOfDay(periodTo.adding(days: 1), in: zone)
        let partnerIDs = partners.map(\.id)

        let statements = sectionQueries(
            counselor: counselorID,
            partners: partnerIDs,
            periodFrom: periodFrom,
            periodTo: periodTo,
            fromInstant: fromInstant,
            toInstant: toInstant
        )
        queries += statements.count
        let rows = try await connection.pipeline(statements)

        var facts = ReportFacts(
            audience: audience,
            practiceName: practiceName,
            timeZone: timeZone,
            chart: chart,
            partners: partners,
            counselor: .init(id: counselorID, name: counselorName, credentials: credentials, preLicensed: preLicensed),
            supervisors: try rows[0].map { row in
                let (id, name, credentials, preLicensed) = try row.decode((UUID, String, String, Bool).self)
                return .init(id: id, name: name, credentials: credentials, preLicensed: preLicensed)
            },
            periodFrom: periodFrom,
            periodTo: periodTo,
            presentingConcerns: nil,
            cyclePattern: pattern,
            cycle: [],
            sessions: try rows[1].map { row in
                let (id, start, status, format) = try row.decode((UUID, Date, String, String).self)
                return .init(id: id, start: start, status: status, format: format)
            },
            notes: [],
            riskDetail: nil,
            goals: [],
            injuries: [:],
            measures: try rows[3].map { row in
                let (partner, code, name, date, total, cutoff, higher, sd, reliability) = try row.decode(
                    (UUID, String, String, CalendarDate, Double, Double?, Bool, Double?, Double?).self
                )
                return .init(
                    partnerID: partner,
                    code: code,
                    name: name,
                    date: date,
                    total: total,
                    cutoff: cutoff,
                    higherIsBetter: higher,
                    standardDeviation: sd,
                    reliability: reliability
                )
            },
            areRatings: try rows[4].map { row in
                let (partner, start, accessible, responsive, engaged) = try row.decode(
                    (UUID, Date, Int32, Int32, Int32).self
                )
                return .init(
                    partnerID: partner,
                    sessionStart: start,
                    accessible: Int(accessible),
                    responsive: Int(responsive),
                    engaged: Int(engaged)
                )
            },
            assignments: try rows[5].map { row in
                let (id, title, category, partner, assigned, due) = try row.decode(
                    (UUID, String, String, UUID?, CalendarDate, CalendarDate).self
                )
                return .init(
                    id: id,
                    title: title,
                    category: category,
                    partnerID: partner,
                    assignedOn: assigned,
                    dueOn: due
                )
            },
            responses: try rows[6].map { row in
                let (assignment, partner, completion) = try row.decode((UUID, UUID, String).self)
                return .init(assignmentID: assignment, partnerID: partner, completion: completion)
            },
            summary: nil,
            queryCount: 0
        )
        facts.openHighRiskFlag = openHighRiskFlag
        facts.careStatus = careStatus
        try await readNotes(rows[2], into: &facts)
        for row in rows[7] {
            let (status, count) = try row.decode((String, Int).self)
            facts.injuries[status] = count
        }
        for row in rows[8] {
            let (id, sealed, subject, status) = try row.decode((UUID, [UInt8], String, String).self)
            facts.goals.append(
                .init(
                    description: try await open(sealed, "treatment_goals", "description", id, subject),
                    status: status
                )
            )
        }
        facts.cycle = try await readCycle(rows[9], partners: partnerIDs, positions: [positionA, positionB])
        if clinical {
            if let concerns {
                facts.presentingConcerns = try await open(
                    concerns,
                    "couples",
                    "presenting_concerns",
                    chart.id,
                    "couple:\(chart.id.uuidString.lowercased())"
                )
            }
            if let row = try rows[10].singleRow() {
                let (id, sealed, subject, nextReview, writtenAt) = try row.decode(
                    (UUID, [UInt8], String, CalendarDate?, Date).self
                )
                facts.summary = .init(
                    text: try await open(sealed, "report_summaries", "summary", id, subject),
                    nextReview: nextReview,
                    writtenAt: writtenAt
                )
            }
        }
        return facts
    }

    private var headerQuery: PostgresQuery {
        switch chart {
        case .couple(let id):
            """
            SELECT p.name, p.time_zone, c.start_date, c.presenting_concerns, c.cycle_pattern, c.partner_a_position,
                   c.partner_b_position, a.id, coalesce(a.preferred_name, a.legal_name), b.id,
                   coalesce(b.preferred_name, b.legal_name), s.id, s.display_name, s.credentials, s.pre_licensed,
                   haven_couple_high_risk(c.id), c.status
            FROM couples c
            JOIN practices p ON p.id = c.practice_id
            JOIN clients a ON a.id = c.partner_a_id
            JOIN clients b ON b.id = c.partner_b_id
            JOIN staff s ON s.id = c.counselor_id
            WHERE c.id = \(id)
            """
        case .client(let id):
            """
            SELECT p.name, p.time_zone, c.intake_date, NULL::bytea, NULL::text, NULL::text, NULL::text, c.id,
                   coalesce(c.preferred_name, c.legal_name), NULL::uuid, NULL::text, s.id, s.display_name,
                   s.credentials, s.pre_licensed, NULL::boolean, c.status
            FROM clients c
            JOIN practices p ON p.id = c.practice_id
            JOIN staff s ON s.id = c.primary_counselor_id
            WHERE c.id = \(id)
            """
        }
    }

    /// One statement per section, in the order `read` consumes them.
    private func sectionQueries(
        counselor: UUID,
        partners: [UUID],
        periodFrom: CalendarDate,
        periodTo: CalendarDate,
        fromInstant: Date,
        toInstant: Date
    ) -> [PostgresQuery] {
        let couple: UUID? = if case .couple(let id) = chart { id } else { nil }
        let client: UUID? = if case .client(let id) = chart { id } else { nil }
        let clinical = self.clinical
        return [
            """
            SELECT st.id, st.display_name, st.credentials, st.pre_licensed
            FROM supervision_links l JOIN staff st ON st.id = l.supervisor_id
            WHERE l.supervisee_id = \(counselor) ORDER BY st.display_name, st.id
            """,
            """
            SELECT id, scheduled_start, status, format FROM therapy_sessions
            WHERE (couple_id = \(couple) OR client_id = \(client))
              AND scheduled_start >= \(fromInstant) AND scheduled_start < \(toInstant)
            ORDER BY scheduled_start, id
            """,
            """
            SELECT n.id, n.session_id, s.scheduled_start, n.stage::int4, n.step::int4, n.step_partner_id, n.change_events,
                   n.risk_level, n.state = 'signed', CASE WHEN \(clinical) THEN n.risk_detail END, n.key_subject,
                   n.author_id, n.interventions, n.tango_moves,
                   CASE WHEN n.state = 'signed' THEN n.body END, CASE WHEN n.state = 'signed' THEN n.risk_detail END,
                   n.content_hash, n.signed_at, au.display_name, au.credentials, co.cosigned_at, sup.display_name,
                   sup.credentials, co.content_hash = n.content_hash
            FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
            LEFT JOIN staff au ON au.id = n.author_id
            LEFT JOIN note_cosignatures co ON co.note_id = n.id
            LEFT JOIN staff sup ON sup.id = co.supervisor_id
            WHERE n.chart_kind = \(chart.kind) AND n.chart_id = \(chart.id)
              AND s.scheduled_start >= \(fromInstant) AND s.scheduled_start < \(toInstant)
            ORDER BY s.scheduled_start, n.created_at, n.id
            """,
            """
            SELECT m.client_id, d.code, d.name, m.administered_on, m.total, d.cutoff, d.higher_is_better,
                   d.standard_deviation, d.reliability
            FROM measure_administrations m JOIN measure_definitions d ON d.id = m.definition_id
            WHERE m.client_id = ANY(\(partners)) AND m.voided_at IS NULL
              AND m.administered_on BETWEEN \(periodFrom) AND \(periodTo)
            ORDER BY d.code, m.administered_on, m.created_at, m.id
            """,
            """
            SELECT r.partner_id, s.scheduled_start, r.accessible::int4, r.responsive::int4, r.engaged::int4
            FROM are_ratings r JOIN therapy_sessions s ON s.id = r.session_id
            WHERE s.couple_id = \(couple) AND s.scheduled_start >= \(fromInstant) AND s.scheduled_start < \(toInstant)
            ORDER BY s.scheduled_start, r.partner_id
            """,
            """
            SELECT a.id, p.title, p.category, a.partner_id, a.assigned_on, a.due_on
            FROM homework_assignments a JOIN homework_prompts p ON p.id = a.prompt_id
            WHERE a.couple_id = \(couple) AND a.assigned_on BETWEEN \(periodFrom) AND \(periodTo)
              AND haven_assignment_released(a)
            ORDER BY a.assigned_on, a.id
            """,
            """
            SELECT r.assignment_id, r.partner_id,
                   CASE WHEN \(clinical) OR r.shared_with_partner THEN r.completion ELSE 'private' END
            FROM homework_responses r JOIN homework_assignments a ON a.id = r.assignment_id
            WHERE a.couple_id = \(couple) AND a.assigned_on BETWEEN \(periodFrom) AND \(periodTo)
            ORDER BY a.assigned_on, r.assignment_id, r.partner_id
            """,
            """
            SELECT status, count(*) FROM attachment_injuries WHERE couple_id = \(couple) GROUP BY status ORDER BY status
            """,
            """
            SELECT id, description, key_subject, status FROM treatment_goals WHERE couple_id = \(couple)
            ORDER BY created_at, id
            """,
            """
            SELECT DISTINCT ON (partner_id) partner_id, position, CASE WHEN \(clinical) THEN map END, key_subject, id
            FROM cycle_maps WHERE couple_id = \(couple) ORDER BY partner_id, version DESC
            """,
            """
            SELECT id, CASE WHEN \(clinical) THEN summary END, key_subject, next_review, created_at
            FROM report_summaries
            WHERE \(clinical) AND chart_kind = \(chart.kind) AND chart_id = \(chart.id)
              AND period_from <= \(periodTo) AND period_to >= \(periodFrom)
            ORDER BY period_to DESC, created_at DESC LIMIT 1
            """,
        ]
    }

    private func readNotes(_ rows: PostgresRows, into facts: inout ReportFacts) async throws {
        var latestRisk: (id: UUID, sealed: [UInt8], subject: String, level: String?)?
        for row in rows {
            let (id, session, start, stage, step, partner, events, risk) = try row.decode(
                (UUID, UUID, Date, Int32, Int32, UUID?, [String], String?).self
            )
            let (signed, detail, subject) = try row.decode((Bool, [UInt8]?, String).self, from: 8)
            let signature = try row.decode(
                ([UInt8]?, Date?, String?, String?, Date?, String?, String?, Bool?).self,
                from: 16
            )
            if signed {
                // A signed note counts in a report only while it is what was signed; its sealed text is
                // opened for the check alone, never added to the facts here.
                let (author, interventions, tango, body, sealedDetail, hash) = try row.decode(
                    (UUID, [String], [String], [UInt8]?, [UInt8]?, [UInt8]?).self,
                    from: 11
                )
                let content = NoteIntegrity.Content(
                    noteID: id,
                    sessionID: session,
                    authorID: author,
                    stage: Int(stage),
                    step: Int(step),
                    stepPartnerID: partner,
                    interventions: interventions,
                    tangoMoves: tango,
                    changeEvents: events,
                    riskLevel: risk ?? "",
                    riskDetail: try await sealedDetail.asyncMap {
                        try await open($0, "progress_notes", "risk_detail", id, subject)
                    },
                    body: try await open(body ?? [], "progress_notes", "body", id, subject)
                )
                try NoteIntegrity.check(content, storedHash: hash, clientIDs: facts.partners.map(\.id))
            }
            facts.notes.append(
                .init(
                    sessionID: session,
                    sessionStart: start,
                    stage: Int(stage),
                    step: Int(step),
                    stepPartnerID: partner,
                    changeEvents: events,
                    riskLevel: risk,
                    signed: signed,
                    signature: signature.1.map { signedAt in
                        .init(
                            signedBy: ReportFacts.Signer(name: signature.2 ?? "", credentials: signature.3 ?? ""),
                            signedAt: signedAt,
                            contentHash: Hex.encode(signature.0 ?? []),
                            cosignedBy: signature.5.map { .init(name: $0, credentials: signature.6 ?? "") },
                            cosignedAt: signature.4,
                            cosignatureMatches: signature.7
                        )
                    }
                )
            )
            if risk != nil { latestRisk = detail.map { (id, $0, subject, risk) } }
        }
        if clinical, let latest = latestRisk, latest.level == "moderate" || latest.level == "high" {
            facts.riskDetail = try await open(latest.sealed, "progress_notes", "risk_detail", latest.id, latest.subject)
        }
    }

    private func readCycle(
        _ rows: PostgresRows,
        partners: [UUID],
        positions: [String?]
    ) async throws
        -> [ReportFacts.CyclePartner]
    {
        var byPartner: [UUID: ReportFacts.CyclePartner] = [:]
        for row in rows {
            let (partner, position, sealed, subject, id) = try row.decode((UUID, String?, [UInt8]?, String, UUID).self)
            var entry = ReportFacts.CyclePartner(partnerID: partner, position: position)
            if let sealed {
                let json = try await open(sealed, "cycle_maps", "map", id, subject)
                if let map = try? JSONDecoder().decode(CycleMapService.Map.self, from: Data(json.utf8)) {
                    entry.primaryEmotion = map.primaryEmotion
                    entry.unmetNeed = map.unmetNeed
                }
            }
            byPartner[partner] = entry
        }
        return partners.enumerated().compactMap { index, partner in
            if let entry = byPartner[partner] { return entry }
            let position = index < positions.count ? positions[index] : nil
            return position.map { ReportFacts.CyclePartner(partnerID: partner, position: $0) }
        }
    }

    private func open(
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
            at: SealedPlace(subject: try KeySubject(stored: subject), table: table, column: column, rowID: row),
            on: connection
        )
    }

    static func startOfDay(_ day: CalendarDate, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }
}
