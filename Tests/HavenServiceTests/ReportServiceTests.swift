import Foundation
import HavenCore
import HavenReports
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Progress reports from the real record: exclusions, bounded queries, audit", .needsTestDatabase)
struct ReportServiceTests {
    static let today = CalendarDate(year: 2026, month: 11, day: 30)!

    /// Every rendering of a report: Markdown, HTML and JSON.
    static func renderings(_ facts: ReportFacts) throws -> String {
        let report = ProgressReport.build(from: facts, generatedOn: today)
        return [MarkdownRenderer.render(report), HTMLRenderer.render(report), try report.json()].joined(separator: "\n")
    }

    @Test func eachConfidentialCategoryStaysOutOfTheClientFacingReport() async throws {
        try await ClinicSetup.with { setup in
            let chart = try await SentinelChart.fill(setup)
            let (couple, a, b) = (chart.couple, chart.a, chart.b)
            // More sentinels: the latest conjoint note records high risk with detail, a summary, an
            // injury, and a cycle map emotion only clinicians see.
            let later = try await setup.sessions.schedule(
                .couple(couple),
                start: Date(timeIntervalSince1970: 1_790_200_000),
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            try await setup.sessions.setStatus(.completed, session: later, actor: setup.counselorA)
            var draft = NoteService.Draft.sample
            draft.body = "LATER-NOTE-BODY-SENTINEL"
            draft.riskLevel = .high
            draft.riskDetail = "RISK-DETAIL-SENTINEL"
            _ = try await setup.notes.writeDraft(draft, session: later, actor: setup.counselorA)
            let reports = ReportService(pool: setup.fixture.app, keys: setup.keys)
            _ = try await reports.setSummary(
                "SUMMARY-SENTINEL",
                for: .couple(couple),
                from: CalendarDate(year: 2026, month: 9, day: 1)!,
                to: Self.today,
                nextReview: CalendarDate(year: 2027, month: 1, day: 10)!,
                actor: setup.counselorA
            )
            _ = try await CoupleRecordService(pool: setup.fixture.app, keys: setup.keys).recordInjury(
                couple: couple,
                injuredPartner: b,
                description: "INJURY-SENTINEL",
                identifiedOn: Self.today,
                actor: setup.counselorA
            )
            func facts(_ audience: ReportAudience) async throws -> ReportFacts {
                try await reports.facts(
                    for: .couple(couple),
                    today: Self.today,
                    audience: audience,
                    format: .html,
                    actor: setup.counselorA
                )
            }
            let clinical = try Self.renderings(try await facts(.clinical))
            let client = try Self.renderings(try await facts(.client))
            // Never in any report: note text, psychotherapy notes, a partner's individual session note,
            // homework response text, injury descriptions, cycle triggers.
            for never in [
                "CONJOINT-NOTE-SENTINEL", "LATER-NOTE-BODY-SENTINEL", "PROCESS-NOTE-SENTINEL", "B-INDIVIDUAL-SENTINEL",
                "B-PRIVATE-SENTINEL", "A-RESPONSE-SENTINEL", "B-SHARED-SENTINEL", "INJURY-SENTINEL", "A-CYCLE-SENTINEL",
                "ADDENDUM-BODY-SENTINEL", "ADDENDUM-REASON-SENTINEL",
            ] {
                #expect(!clinical.contains(never) && !client.contains(never), "\(never)")
            }
            // Clinical only: risk detail, the summary, the presenting concerns.
            for clinicalOnly in ["RISK-DETAIL-SENTINEL", "SUMMARY-SENTINEL", "pursues, he withdraws"] {
                #expect(clinical.contains(clinicalOnly) && !client.contains(clinicalOnly), "\(clinicalOnly)")
            }
            #expect(clinical.contains("OPEN HIGH-RISK FLAG") && !client.contains("HIGH-RISK"))
            // For the client audience a response its partner did not share is known to exist, never how
            // it went (it counts as private, not as missed); B's individual session is not one of the
            // couple's sessions.
            let clientFacts = try await facts(.client)
            #expect(clientFacts.responses.map(\.completion).sorted() == ["partly_completed", "private", "private"])
            #expect(clientFacts.responses.filter { $0.completion != "private" }.allSatisfy { $0.partnerID == b })
            let clientReport = ProgressReport.build(from: clientFacts, generatedOn: Self.today)
            #expect(clientReport.homework.perPartner.map(\.keptPrivate) == [1, 1])
            #expect(clientReport.homework.perPartner.map(\.noResponse) == [1, 0])
            #expect(clientFacts.sessions.count == 2 && clientFacts.riskDetail == nil && clientFacts.summary == nil)
            let clinicalFacts = try await facts(.clinical)
            #expect(clinicalFacts.responses.count == 3 && clinicalFacts.summary?.text == "SUMMARY-SENTINEL")
            // Signed notes carry their e-signature: author, time, the content hash.
            let signed = clinicalFacts.notes.filter(\.signed)
            #expect(!signed.isEmpty && signed.allSatisfy { $0.signature?.contentHash.count == 64 })
            #expect(signed.allSatisfy { $0.signature?.signedBy.name.isEmpty == false })
            #expect(clinicalFacts.notes.filter { !$0.signed }.allSatisfy { $0.signature == nil })
            _ = a
        }
    }

    @Test func queriesAreBoundedAndTheRunIsAudited() async throws {
        let capture = LogCapture()
        try await ClinicSetup.with(logger: capture.logger()) { setup in
            let (couple, a, b) = try await setup.couple()
            let reports = ReportService(pool: setup.fixture.app, keys: setup.keys)
            func run() async throws -> (facts: ReportFacts, statements: Int) {
                let before = capture.entries.filter { $0.message == "statement" }.count
                let facts = try await reports.facts(
                    for: .couple(couple),
                    today: Self.today,
                    audience: .clinical,
                    format: .json,
                    actor: setup.counselorA
                )
                return (facts, capture.entries.filter { $0.message == "statement" }.count - before)
            }
            _ = try await run()  // warms the key cache, so both measured runs send the same lookups
            let empty = try await run()
            #expect(empty.facts.sessions.isEmpty)
            // 300 completed sessions with notes, then the same report again: the same statements.
            try await setup.fixture.owner.query(
                """
                INSERT INTO therapy_sessions (id, practice_id, couple_id, counselor_id, scheduled_start, duration_minutes,
                                              format, status, attendee_ids)
                SELECT gen_random_uuid(), \(setup.fixture.practiceID), \(couple), \(setup.fixture.counselorID),
                       timestamptz '2026-09-02 08:00+00' + g * interval '4 hours', 50, 'in_person', 'completed',
                       ARRAY[\(a), \(b)]
                FROM generate_series(0, 299) AS g
                """
            )
            let full = try await run()
            #expect(full.facts.sessions.count == 300)
            #expect(full.statements == empty.statements && full.facts.queryCount == empty.facts.queryCount)
            // The snapshot's reads (BEGIN, context, 15 reads, COMMIT), then the run record and audit
            // entry in a read-committed transaction of their own (BEGIN, context, 3 statements, COMMIT).
            #expect(full.statements <= 24)
            let report = ProgressReport.build(from: full.facts, generatedOn: Self.today)
            #expect(report.header.attendance.completed == full.facts.sessions.count)

            let runs = try await setup.fixture.owner.query(
                "SELECT audience, format, period_from, period_to FROM report_runs ORDER BY generated_at"
            )
            #expect(runs.count == 3)
            let (audience, format, from, to) = try runs[0].decode((String, String, CalendarDate, CalendarDate).self)
            #expect(
                audience == "clinical" && format == "json" && from == CalendarDate(year: 2026, month: 9, day: 1)!
                    && to == Self.today
            )
            let entries = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "report.generate"),
                    on: connection
                )
            }
            #expect(
                entries.count == 3
                    && entries.allSatisfy { Set($0.entry.clientIDs) == [a, b] && $0.entry.entityType == "report" }
            )

            // Out of reach: not found, audited as denied; a period that ends before it starts is refused.
            let outside = await #expect(throws: ServiceError.self) {
                try await reports.facts(
                    for: .couple(couple),
                    today: Self.today,
                    audience: .client,
                    format: .md,
                    actor: setup.counselorB
                )
            }
            #expect(outside?.kind == .notFound)
            let backwards = await #expect(throws: ServiceError.self) {
                try await reports.facts(
                    for: .couple(couple),
                    from: Self.today,
                    to: CalendarDate(year: 2026, month: 1, day: 1)!,
                    today: Self.today,
                    audience: .clinical,
                    format: .md,
                    actor: setup.counselorA
                )
            }
            #expect(backwards?.field == "to")
            let summaryOutside = await #expect(throws: ServiceError.self) {
                try await reports.setSummary(
                    "x",
                    for: .couple(couple),
                    from: Self.today,
                    to: Self.today,
                    actor: setup.counselorB
                )
            }
            #expect(summaryOutside?.kind == .notFound)
        }
    }
}
