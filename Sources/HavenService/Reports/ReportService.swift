import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Progress reports: gathers a chart's facts for a period and audience in one transaction, in a
/// fixed number of statements whatever the chart's size, records the run and audits it. The
/// counselor's summary for a period is written here too.
public struct ReportService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    /// - Parameters:
    ///   - pool: connections as the application role.
    ///   - keys: opens sealed text (goals, concerns, summaries, risk detail, cycle maps).
    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// Output formats, as the audit record names them.
    public enum Format: String, Sendable, CaseIterable {
        case md, html, json
        /// The HTML printed by headless Chromium (`PDFPrinter`), where the server has it.
        case pdf
    }

    /// Gathers the facts for a report on `chart` from `from` (default: the chart's start) to `to`
    /// (default: `today`), records the run (chart, period, audience, format) and audits it.
    ///
    /// - Throws: `invalidInput` naming `to` when the period ends before it starts; `notFound` (audited
    ///   as denied) when the chart is out of reach.
    public func facts(
        for chart: ChartReference,
        from: CalendarDate? = nil,
        to: CalendarDate? = nil,
        today: CalendarDate,
        audience: ReportAudience,
        format: Format,
        actor: StaffActor
    ) async throws -> ReportFacts {
        try actor.validate()
        let keys = self.keys
        let runID = UUID()
        let pool = self.pool
        let result = try await pool.refusingTampered(actor: actor) {
            try await pool.snapshot(as: actor) { connection -> (ReportFacts?, then: [PostgresQuery]) in
                var reader = ReportReader(chart: chart, audience: audience, keys: keys, connection: connection)
                guard var facts = try await reader.read(from: from, to: to, today: today) else {
                    let denied = AuditEvent(
                        action: .reportGenerate,
                        entityType: chart.entityType,
                        entityID: chart.id,
                        outcome: .denied
                    )
                    return (nil, AuditStore.appendStatements(denied))
                }
                guard facts.periodTo >= facts.periodFrom else {
                    throw ServiceError(
                        .invalidInput,
                        field: "to",
                        "the period ends before it starts (\(facts.periodFrom))"
                    )
                }
                var statements: [PostgresQuery] = [
                    """
                    INSERT INTO report_runs (id, practice_id, counselor_id, chart_kind, chart_id, period_from, period_to,
                                             audience, format, generated_by)
                    VALUES (\(runID), \(actor.practiceID), \(facts.counselor.id), \(chart.kind), \(chart.id), \
                    \(facts.periodFrom), \(facts.periodTo), \(audience.rawValue), \(format.rawValue), \(actor.staffID))
                    """
                ]
                statements += AuditStore.appendStatements(
                    AuditEvent(
                        action: .reportGenerate,
                        entityType: .report,
                        entityID: runID,
                        clientIDs: facts.partners.map(\.id)
                    )
                )
                facts.queryCount = reader.queries + statements.count
                return (facts, statements)
            }
        }
        guard let result else {
            throw ServiceError(.notFound, field: "chart", "no such \(chart.kind) in your caseload")
        }
        return result
    }

    /// Writes the counselor's summary for a period of a chart (sealed; clinical reports only).
    /// A later summary for the same period replaces the earlier one in reports; both are kept.
    ///
    /// - Throws: `invalidInput` naming `summary` (empty or over 16 KiB) or `to`; `notFound` when the
    ///   chart is out of reach.
    public func setSummary(
        _ summary: String,
        for chart: ChartReference,
        from: CalendarDate,
        to: CalendarDate,
        nextReview: CalendarDate? = nil,
        actor: StaffActor
    ) async throws -> UUID {
        try actor.validate()
        let text = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ServiceError(.invalidInput, field: "summary", "is empty") }
        guard text.utf8.count <= 16 * 1024 else {
            throw ServiceError(.invalidInput, field: "summary", "is longer than 16 KiB")
        }
        guard to >= from else { throw ServiceError(.invalidInput, field: "to", "the period ends before it starts") }
        if let nextReview, nextReview < to {
            throw ServiceError(.invalidInput, field: "nextReview", "must be on or after the end of the period")
        }
        let id = UUID()
        let keys = self.keys
        return try await pool.recordingDenials(
            action: .reportSummarySet,
            entityType: chart.entityType,
            entityID: chart.id,
            actor: actor
        ) {
            try await pool.transaction(as: actor) { connection in
                let table: StaticString = chart.kind == "couple" ? "couples" : "clients"
                let columns: StaticString =
                    chart.kind == "couple"
                    ? "counselor_id, ARRAY[partner_a_id, partner_b_id]" : "primary_counselor_id, ARRAY[id]"
                guard
                    let (counselor, clients) = try await connection.query(
                        "SELECT \(unescaped: columns) FROM \(unescaped: table) WHERE id = \(chart.id)"
                    ).singleRow()?.decode((UUID, [UUID]).self)
                else { throw ServiceError(.notFound, field: "chart", "no such \(chart.kind) in your caseload") }
                let sealed = try await keys.seal(
                    text,
                    practiceID: actor.practiceID,
                    at: SealedPlace(subject: chart.keySubject, table: "report_summaries", column: "summary", rowID: id),
                    on: connection
                )
                let statements: [PostgresQuery] = [
                    "SELECT haven_require_live_keys(\([sealed.keyID]))",
                    """
                    INSERT INTO report_summaries (id, practice_id, counselor_id, chart_kind, chart_id, period_from,
                                                  period_to, summary, summary_key_id, next_review, author_id)
                    VALUES (\(id), \(actor.practiceID), \(counselor), \(chart.kind), \(chart.id), \(from), \(to), \
                    \(sealed.sealed), \(sealed.keyID), \(nextReview), \(actor.staffID))
                    """,
                ]
                try await connection.commit(
                    statements,
                    audited: AuditEvent(
                        action: .reportSummarySet,
                        entityType: .reportSummary,
                        entityID: id,
                        clientIDs: clients
                    )
                )
                return id
            }
        }
    }
}
