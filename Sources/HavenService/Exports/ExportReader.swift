import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Reads one client's export inside a transaction, section by section, opening sealed text as it
/// goes. Every query is limited by row-level security to the actor's reach as well.
struct ExportReader {
    let clientID: UUID
    let keys: KeyManager
    let connection: PostgresConnection
    /// Values that failed to open so far; each is null in its place in the export.
    private(set) var unreadable: [KeyManager.VerificationFailure] = []

    init(clientID: UUID, keys: KeyManager, connection: PostgresConnection) {
        self.clientID = clientID
        self.keys = keys
        self.connection = connection
    }

    /// The export, or nil when the client is not in reach.
    mutating func read(includePsychotherapyNotes: Bool, at now: Date) async throws -> ClientExport? {
        guard let client = try await client() else { return nil }
        let couples = try await couples()
        let coupleIDs = couples.map(\.id)
        let sessions = try await sessions(couples: coupleIDs)
        var exclusions = [
            "Individual sessions of a partner, and their notes, belong to that partner's own record.",
            "A partner's homework responses appear only when that partner chose to share them.",
            "Draft progress notes are not part of the record until they are signed.",
            "Measure administrations voided as recorded in error are left out.",
        ]
        if !includePsychotherapyNotes {
            exclusions.append("Psychotherapy notes are kept apart from the record and were not requested.")
        }
        return ClientExport(
            format: "haven-client-export-v1",
            generatedAt: now,
            client: client,
            couples: couples,
            sessions: sessions,
            progressNotes: try await notes(couples: coupleIDs),
            homework: try await homework(couples: coupleIDs),
            measures: try await measures(),
            areRatings: try await areRatings(),
            cycleMaps: try await cycleMaps(),
            attachmentInjuries: try await injuries(couples: coupleIDs),
            treatmentGoals: try await goals(couples: coupleIDs),
            psychotherapyNotes: includePsychotherapyNotes ? try await psychotherapyNotes(couples: coupleIDs) : nil,
            exclusions: exclusions,
            unreadableValues: unreadable
        )
    }

    /// Opens one sealed value; a value that fails to open (damaged, its key shredded or missing) is
    /// recorded in `unreadable` by table, column and row, and is nil, so the rest of the export still
    /// goes out. A master key or OpenSSL failure (every value would fail) still fails the export.
    private mutating func open(
        _ sealed: [UInt8]?,
        _ table: String,
        _ column: String,
        row: UUID,
        subject: String
    ) async throws
        -> String?
    {
        guard let sealed else { return nil }
        do {
            return try await keys.open(
                sealed,
                at: SealedPlace(subject: try KeySubject(stored: subject), table: table, column: column, rowID: row),
                on: connection
            )
        } catch let error as SealingError where error.kind != .masterKey && error.kind != .openSSL {
            let rowID = row.uuidString.lowercased()
            unreadable.append(.init(table: table, column: column, rowID: rowID, reason: error.kind.rawValue))
            return nil
        }
    }

    private func client() async throws -> ClientExport.Client? {
        guard
            let row = try await connection.query(
                """
                SELECT id, legal_name, preferred_name, pronouns, date_of_birth, intake_date, status, attachment_style,
                       primary_counselor_id
                FROM clients WHERE id = \(clientID)
                """
            ).singleRow()
        else { return nil }
        let (id, legal, preferred, pronouns, birth, intake, status, style, counselor) = try row.decode(
            (UUID, String, String?, String?, CalendarDate?, CalendarDate, String, String?, UUID).self
        )
        return ClientExport.Client(
            id: id,
            legalName: legal,
            preferredName: preferred,
            pronouns: pronouns,
            dateOfBirth: birth?.description,
            intakeDate: intake.description,
            status: status,
            attachmentStyle: style,
            primaryCounselorID: counselor
        )
    }

    private mutating func couples() async throws -> [ClientExport.Couple] {
        var result: [ClientExport.Couple] = []
        for row in try await connection.query(
            """
            SELECT id, partner_a_id, partner_b_id, counselor_id, start_date, status, presenting_concerns FROM couples
            WHERE \(clientID) IN (partner_a_id, partner_b_id) ORDER BY start_date, id
            """
        ) {
            let (id, a, b, counselor, start, status, concerns) = try row.decode(
                (UUID, UUID, UUID, UUID, CalendarDate, String, [UInt8]?).self
            )
            result.append(
                ClientExport.Couple(
                    id: id,
                    partnerAID: a,
                    partnerBID: b,
                    counselorID: counselor,
                    startDate: start.description,
                    status: status,
                    presentingConcerns: try await open(
                        concerns,
                        "couples",
                        "presenting_concerns",
                        row: id,
                        subject: "couple:\(id.uuidString.lowercased())"
                    )
                )
            )
        }
        return result
    }

    /// The client's own individual sessions and their couples' conjoint sessions; never another
    /// client's individual sessions.
    private func sessions(couples: [UUID]) async throws -> [ClientExport.Session] {
        try await connection.query(
            """
            SELECT id, couple_id, client_id, counselor_id, scheduled_start, duration_minutes, format, status, attendee_ids,
                   session_type, service_code
            FROM therapy_sessions WHERE client_id = \(clientID) OR couple_id = ANY(\(couples))
            ORDER BY scheduled_start, id
            """
        ).map { row in
            let (id, couple, client, counselor, start, minutes, format, status, attendees) = try row.decode(
                (UUID, UUID?, UUID?, UUID, Date, Int32, String, String, [UUID]).self
            )
            let (type, code) = try row.decode((String, String?).self, from: 9)
            return ClientExport.Session(
                id: id,
                chartKind: couple == nil ? "client" : "couple",
                chartID: couple ?? client ?? id,
                counselorID: counselor,
                scheduledStart: start,
                durationMinutes: Int(minutes),
                format: format,
                sessionType: type,
                serviceCode: code,
                status: status,
                attendeeIDs: attendees
            )
        }
    }

    private mutating func notes(couples: [UUID]) async throws -> [ClientExport.ProgressNote] {
        let rows = try await connection.query(
            """
            SELECT n.id, n.session_id, n.author_id, n.state, n.stage::int4, n.step::int4, n.step_partner_id,
                   n.interventions, n.tango_moves, n.change_events, n.risk_level, n.risk_detail, n.body, n.signed_at,
                   n.content_hash, n.key_subject,
                   coalesce((SELECT array_agg(c.supervisor_id ORDER BY c.cosigned_at) FROM note_cosignatures c
                             WHERE c.note_id = n.id), '{}')
            FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
            WHERE n.state = 'signed'
              AND ((n.chart_kind = 'client' AND n.chart_id = \(clientID))
                OR (n.chart_kind = 'couple' AND n.chart_id = ANY(\(couples))))
            ORDER BY s.scheduled_start, n.created_at, n.id
            """
        )
        let addenda = try await addenda(couples: couples)
        var result: [ClientExport.ProgressNote] = []
        for row in rows {
            let (id, session, author, state, stage, step, partner, interventions) = try row.decode(
                (UUID, UUID, UUID, String, Int32, Int32, UUID?, [String]).self
            )
            let (tango, events, risk, riskDetail, body, signedAt, hash, subject, cosigners) = try row.decode(
                ([String], [String], String, [UInt8]?, [UInt8], Date?, [UInt8]?, String, [UUID]).self,
                from: 8
            )
            let openedDetail = try await open(riskDetail, "progress_notes", "risk_detail", row: id, subject: subject)
            let openedBody = try await open(body, "progress_notes", "body", row: id, subject: subject)
            // A signed note is checked whenever its text opened (one that did not is listed as
            // unreadable instead).
            if state == "signed", let openedBody, (riskDetail == nil) == (openedDetail == nil) {
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
                    riskLevel: risk,
                    riskDetail: openedDetail,
                    body: openedBody
                )
                try NoteIntegrity.check(content, storedHash: hash, clientIDs: [clientID])
            }
            result.append(
                ClientExport.ProgressNote(
                    id: id,
                    sessionID: session,
                    authorID: author,
                    state: state,
                    stage: Int(stage),
                    step: Int(step),
                    stepPartnerID: partner,
                    interventions: interventions,
                    tangoMoves: tango,
                    changeEvents: events,
                    riskLevel: risk,
                    riskDetail: openedDetail,
                    body: openedBody,
                    signedAt: signedAt,
                    contentHash: hash.map(Hex.encode),
                    addenda: addenda[id] ?? [],
                    cosignedBy: cosigners
                )
            )
        }
        return result
    }

    private mutating func addenda(couples: [UUID]) async throws -> [UUID: [ClientExport.Addendum]] {
        var result: [UUID: [ClientExport.Addendum]] = [:]
        for row in try await connection.query(
            """
            SELECT a.id, a.note_id, a.author_id, a.created_at, a.reason, a.body, a.key_subject
            FROM note_addenda a JOIN progress_notes n ON n.id = a.note_id
            WHERE (n.chart_kind = 'client' AND n.chart_id = \(clientID))
               OR (n.chart_kind = 'couple' AND n.chart_id = ANY(\(couples)))
            ORDER BY a.created_at, a.id
            """
        ) {
            let (id, note, author, createdAt, reason, body, subject) = try row.decode(
                (UUID, UUID, UUID, Date, [UInt8], [UInt8], String).self
            )
            result[note, default: []].append(
                ClientExport.Addendum(
                    id: id,
                    authorID: author,
                    createdAt: createdAt,
                    reason: try await open(reason, "note_addenda", "reason", row: id, subject: subject),
                    body: try await open(body, "note_addenda", "body", row: id, subject: subject)
                )
            )
        }
        return result
    }

    /// Assignments for the client or for both partners; responses by the client, and by the other
    /// partner only when shared.
    private mutating func homework(couples: [UUID]) async throws -> [ClientExport.Assignment] {
        var responses: [UUID: [ClientExport.Response]] = [:]
        for row in try await connection.query(
            """
            SELECT r.id, r.assignment_id, r.partner_id, r.completion, r.response, r.shared_with_partner, r.recorded_at,
                   r.key_subject
            FROM homework_responses r JOIN homework_assignments a ON a.id = r.assignment_id
            WHERE a.couple_id = ANY(\(couples)) AND (a.partner_id IS NULL OR a.partner_id = \(clientID))
              AND (r.partner_id = \(clientID) OR r.shared_with_partner)
            ORDER BY r.recorded_at, r.id
            """
        ) {
            let (id, assignment, partner, completion, text, shared, recordedAt, subject) = try row.decode(
                (UUID, UUID, UUID, String, [UInt8]?, Bool, Date, String).self
            )
            responses[assignment, default: []].append(
                ClientExport.Response(
                    id: id,
                    partnerID: partner,
                    completion: completion,
                    text: try await open(text, "homework_responses", "response", row: id, subject: subject),
                    sharedWithPartner: shared,
                    recordedAt: recordedAt
                )
            )
        }
        return try await connection.query(
            """
            SELECT a.id, a.couple_id, p.title, p.category, a.partner_id, a.assigned_on, a.due_on, a.recurrence
            FROM homework_assignments a JOIN homework_prompts p ON p.id = a.prompt_id
            WHERE a.couple_id = ANY(\(couples)) AND (a.partner_id IS NULL OR a.partner_id = \(clientID))
            ORDER BY a.assigned_on, a.id
            """
        ).map { row in
            let (id, couple, title, category, partner, assigned, due, recurrence) = try row.decode(
                (UUID, UUID, String, String, UUID?, CalendarDate, CalendarDate, String).self
            )
            return ClientExport.Assignment(
                id: id,
                coupleID: couple,
                promptTitle: title,
                category: category,
                partnerID: partner,
                assignedOn: assigned.description,
                dueOn: due.description,
                recurrence: recurrence,
                responses: responses[id] ?? []
            )
        }
    }

    private func measures() async throws -> [ClientExport.Measure] {
        try await connection.query(
            """
            SELECT m.id, d.code, d.name, m.administered_on, m.items::int4[], m.total
            FROM measure_administrations m JOIN measure_definitions d ON d.id = m.definition_id
            WHERE m.client_id = \(clientID) AND m.voided_at IS NULL ORDER BY m.administered_on, m.created_at, m.id
            """
        ).map { row in
            let (id, code, name, on, items, total) = try row.decode(
                (UUID, String, String, CalendarDate, [Int32], Double).self
            )
            return ClientExport.Measure(
                id: id,
                code: code,
                name: name,
                administeredOn: on.description,
                items: items.map(Int.init),
                total: total
            )
        }
    }

    private func areRatings() async throws -> [ClientExport.ARERating] {
        try await connection.query(
            """
            SELECT session_id, accessible::int4, responsive::int4, engaged::int4, rated_at FROM are_ratings
            WHERE partner_id = \(clientID) ORDER BY rated_at, session_id
            """
        ).map { row in
            let (session, accessible, responsive, engaged, ratedAt) = try row.decode(
                (UUID, Int32, Int32, Int32, Date).self
            )
            return ClientExport.ARERating(
                sessionID: session,
                accessible: Int(accessible),
                responsive: Int(responsive),
                engaged: Int(engaged),
                ratedAt: ratedAt
            )
        }
    }

    /// The client's own cycle map versions (the partner's map is theirs).
    private mutating func cycleMaps() async throws -> [ClientExport.CycleMap] {
        var result: [ClientExport.CycleMap] = []
        for row in try await connection.query(
            """
            SELECT id, couple_id, version, position, map, key_subject, created_at FROM cycle_maps
            WHERE partner_id = \(clientID) ORDER BY couple_id, version
            """
        ) {
            let (id, couple, version, position, sealed, subject, createdAt) = try row.decode(
                (UUID, UUID, Int32, String?, [UInt8], String, Date).self
            )
            let json = try await open(sealed, "cycle_maps", "map", row: id, subject: subject)
            result.append(
                ClientExport.CycleMap(
                    coupleID: couple,
                    version: Int(version),
                    position: position,
                    map: try json.map { try JSONDecoder().decode(CycleMapService.Map.self, from: Data($0.utf8)) },
                    createdAt: createdAt
                )
            )
        }
        return result
    }

    private mutating func injuries(couples: [UUID]) async throws -> [ClientExport.Injury] {
        var result: [ClientExport.Injury] = []
        for row in try await connection.query(
            """
            SELECT id, couple_id, injured_partner_id, description, key_subject, identified_on, status,
                   resolution_step::int4, resolved_on
            FROM attachment_injuries WHERE couple_id = ANY(\(couples)) ORDER BY identified_on, id
            """
        ) {
            let (id, couple, injured, sealed, subject, identified, status, step, resolved) = try row.decode(
                (UUID, UUID, UUID, [UInt8], String, CalendarDate, String, Int32, CalendarDate?).self
            )
            result.append(
                ClientExport.Injury(
                    id: id,
                    coupleID: couple,
                    injuredPartnerID: injured,
                    description: try await open(
                        sealed,
                        "attachment_injuries",
                        "description",
                        row: id,
                        subject: subject
                    ),
                    identifiedOn: identified.description,
                    status: status,
                    resolutionStep: Int(step),
                    resolvedOn: resolved?.description
                )
            )
        }
        return result
    }

    private mutating func goals(couples: [UUID]) async throws -> [ClientExport.Goal] {
        var result: [ClientExport.Goal] = []
        for row in try await connection.query(
            """
            SELECT id, couple_id, description, key_subject, status FROM treatment_goals
            WHERE couple_id = ANY(\(couples)) ORDER BY created_at, id
            """
        ) {
            let (id, couple, sealed, subject, status) = try row.decode((UUID, UUID, [UInt8], String, String).self)
            result.append(
                ClientExport.Goal(
                    id: id,
                    coupleID: couple,
                    description: try await open(sealed, "treatment_goals", "description", row: id, subject: subject),
                    status: status
                )
            )
        }
        return result
    }

    private mutating func psychotherapyNotes(couples: [UUID]) async throws -> [ClientExport.PsychotherapyNote] {
        var result: [ClientExport.PsychotherapyNote] = []
        for row in try await connection.query(
            """
            SELECT id, author_id, chart_kind, chart_id, body, key_subject_id, updated_at FROM psychotherapy_notes
            WHERE (chart_kind = 'client' AND chart_id = \(clientID))
               OR (chart_kind = 'couple' AND chart_id = ANY(\(couples)))
            ORDER BY created_at, id
            """
        ) {
            let (id, author, kind, chart, sealed, subjectID, updatedAt) = try row.decode(
                (UUID, UUID, String, UUID, [UInt8], String, Date).self
            )
            result.append(
                ClientExport.PsychotherapyNote(
                    id: id,
                    authorID: author,
                    chartKind: kind,
                    chartID: chart,
                    body: try await open(
                        sealed,
                        "psychotherapy_notes",
                        "body",
                        row: id,
                        subject: KeySubject(kind: .psychotherapy, id: subjectID).description
                    ),
                    updatedAt: updatedAt
                )
            )
        }
        return result
    }
}
