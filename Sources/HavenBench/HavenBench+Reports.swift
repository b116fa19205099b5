import ArgumentParser
import Foundation
import HavenCore
import HavenReports
import HavenService
import HavenStore
import Logging
import Postgres
import Sealing

extension HavenBench {
    /// A couple with 200 sessions and notes, 300 homework assignments and 100 measure
    /// administrations; times generating its clinical report in process, HTML included, warm.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Time a progress report for a large couple (gather, build, render HTML)."
        )

        @OptionGroup var options: NoteBenchOptions
        @Option(help: "Timed repetitions.") var repetitions = 30

        func run() async throws {
            let (setup, owner, app) = try await options.setUp()
            let keys = KeyManager(ring: try MasterKeyring.load(file: options.keyFile), logger: Logger(label: "bench"))
            let actor = setup.actor
            let (coupleID, partnerA, partnerB) = try await owner.query(
                """
                SELECT c.id, c.partner_a_id, c.partner_b_id FROM therapy_sessions s JOIN couples c ON c.id = s.couple_id
                WHERE s.id = \(setup.session)
                """
            )[0].decode((UUID, UUID, UUID).self)
            let partners = [partnerA, partnerB]
            // 199 more completed sessions (200 in all), each with a draft note through the service.
            try await owner.query(
                """
                INSERT INTO therapy_sessions (id, practice_id, couple_id, counselor_id, scheduled_start, duration_minutes,
                                              format, status, attendee_ids)
                SELECT gen_random_uuid(), \(actor.practiceID), \(coupleID), \(actor.staffID),
                       now() - g * interval '1 day', 50, 'in_person', 'completed', \(partners)
                FROM generate_series(1, 199) AS g
                """
            )
            let sessions = try await owner.query(
                "SELECT id FROM therapy_sessions WHERE couple_id = \(coupleID) ORDER BY scheduled_start"
            ).map { try $0.decode(0, as: UUID.self) }
            for (index, session) in sessions.enumerated() {
                var draft = NoteBenchSetup.draft
                draft.step = 1 + min(3, index / 50)
                draft.changeEvents = index == 120 ? [.cycleDeescalated] : []
                _ = try await setup.notes.writeDraft(draft, session: session, actor: actor)
            }
            // 300 assignments (half answered) and 100 CSI-4 administrations, in bulk.
            try await owner.query(
                """
                INSERT INTO homework_assignments (id, practice_id, prompt_id, couple_id, partner_id, session_id, counselor_id,
                                                  assigned_on, due_on)
                SELECT gen_random_uuid(), \(actor.practiceID),
                       (SELECT id FROM homework_prompts WHERE practice_id IS NULL ORDER BY title OFFSET g % 16 LIMIT 1),
                       \(coupleID), NULL, \(sessions[0]), \(actor.staffID), current_date - (g % 180), current_date - (g % 180) + 7
                FROM generate_series(1, 300) AS g
                """
            )
            try await owner.query(
                """
                INSERT INTO homework_responses (id, practice_id, assignment_id, partner_id, counselor_id, key_subject,
                                                completion, shared_with_partner)
                SELECT gen_random_uuid(), practice_id, id, \(partners[0]), counselor_id, 'couple:' || couple_id,
                       'completed', true
                FROM homework_assignments WHERE couple_id = \(coupleID) AND random() < 0.5
                """
            )
            // CSI-4 answers whose items add up to their total, 8 to 17 (migration 0060 refuses any other).
            try await owner.query(
                """
                INSERT INTO measure_administrations (id, practice_id, definition_id, client_id, counselor_id,
                                                     administered_on, items, total)
                SELECT gen_random_uuid(), \(actor.practiceID), (SELECT id FROM measure_definitions WHERE code = 'CSI-4'),
                       (\(partners))[1 + g % 2], \(actor.staffID), current_date - (g * 2),
                       ARRAY[2 + (g % 10 + 3) / 4, 2 + (g % 10 + 2) / 4, 2 + (g % 10 + 1) / 4, 2 + (g % 10) / 4]::smallint[],
                       8 + (g % 10)
                FROM generate_series(1, 100) AS g
                """
            )
            try await owner.query("ANALYZE")

            let reports = ReportService(pool: app, keys: keys)
            let today = CalendarDate(daysSince1970: Int(Date().timeIntervalSince1970 / 86_400) + 1)
            func once() async throws -> (facts: ReportFacts, bytes: Int) {
                let facts = try await reports.facts(
                    for: .couple(coupleID),
                    from: CalendarDate(year: 2000, month: 1, day: 1)!,
                    today: today,
                    audience: .clinical,
                    format: .html,
                    actor: actor
                )
                let html = HTMLRenderer.render(ProgressReport.build(from: facts, generatedOn: today))
                return (facts, html.utf8.count)
            }
            for _ in 0..<5 { _ = try await once() }
            let clock = ContinuousClock()
            var times: [Double] = []
            var last: (facts: ReportFacts, bytes: Int)?
            for _ in 0..<repetitions {
                let start = clock.now
                last = try await once()
                let elapsed = clock.now - start
                times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
            }
            times.sort()
            guard let last else { return }
            print(
                "RESULT report sessions=\(last.facts.sessions.count) notes=\(last.facts.notes.count) "
                    + "assignments=\(last.facts.assignments.count) measures=\(last.facts.measures.count) "
                    + "statements=\(last.facts.queryCount) html_bytes=\(last.bytes) "
                    + String(format: "median_ms=%.2f p90_ms=%.2f", times[times.count / 2], times[times.count * 9 / 10])
            )
            await app.close()
            await owner.close()
        }
    }
}
