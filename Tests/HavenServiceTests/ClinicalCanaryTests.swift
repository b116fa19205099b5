import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("A canary written through every sealed service path leaks nowhere", .needsTestDatabase, .needsServerLog)
struct ClinicalCanaryTests {
    @Test func theCanaryIsInNoDumpNoServerLogNoAppLogAndNoError() async throws {
        guard let serverLog = ProcessInfo.processInfo.environment["HAVEN_TEST_SERVER_LOG"],
            let pgDump = ProcessInfo.processInfo.environment["HAVEN_TEST_PG_DUMP"]
        else { throw TestSetupError("HAVEN_TEST_SERVER_LOG and HAVEN_TEST_PG_DUMP are set by scripts/test") }
        let canary = "CANARY-\(UUID().uuidString)-she-told-him-about-the-affair"
        let capture = LogCapture()
        try await ClinicSetup.with(logger: capture.logger()) { setup in
            var errors: [String] = []
            func attempt(_ body: () async throws -> Void) async {
                do { try await body() } catch {
                    errors.append("\(error)")
                    errors.append(String(reflecting: error))
                }
            }
            let app = setup.fixture.app
            let today = CalendarDate(year: 2026, month: 11, day: 22)!
            let (couple, a, b) = try await setup.couple("presenting: \(canary)")
            let session = try await setup.sessions.schedule(
                .couple(couple),
                start: Date(timeIntervalSince1970: 1_790_000_000),
                durationMinutes: 60,
                format: .inPerson,
                actor: setup.counselorA
            )
            try await setup.sessions.setStatus(.completed, session: session, actor: setup.counselorA)

            // Notes: body and risk detail, an edit, an addendum, a refused stale edit, an oversized body.
            var draft = NoteService.Draft.sample
            draft.body = "body: \(canary)"
            draft.riskLevel = .high
            draft.riskDetail = "risk: \(canary)"
            let (note, version) = try await setup.notes.writeDraft(draft, session: session, actor: setup.counselorA)
            draft.body += " (edited)"
            let edited = try await setup.notes.editDraft(
                note,
                expectedVersion: version,
                draft: draft,
                actor: setup.counselorA
            )
            await attempt {
                _ = try await setup.notes.editDraft(
                    note,
                    expectedVersion: version,
                    draft: draft,
                    actor: setup.counselorA
                )
            }
            await attempt {
                var huge = draft
                huge.body = String(repeating: canary, count: 40_000)
                _ = try await setup.notes.editDraft(note, expectedVersion: edited, draft: huge, actor: setup.counselorA)
            }
            _ = try await setup.notes.sign(note, expectedVersion: edited, actor: setup.counselorA)
            await attempt {
                _ = try await setup.notes.editDraft(
                    note,
                    expectedVersion: edited,
                    draft: draft,
                    actor: setup.counselorA
                )
            }
            _ = try await setup.notes.addAddendum(
                to: note,
                reason: "reason: \(canary)",
                text: "addendum: \(canary)",
                actor: setup.counselorA
            )
            _ = try await PsychotherapyNoteService(pool: app, keys: setup.keys).write(
                "process: \(canary)",
                chart: .couple(couple),
                actor: setup.counselorA
            )

            // The couple is now high-risk: overrides carry sealed reasons.
            let later = try await setup.sessions.schedule(
                .couple(couple),
                start: Date(timeIntervalSince1970: 1_790_600_000),
                durationMinutes: 60,
                format: .video,
                riskOverrideReason: "session override: \(canary)",
                actor: setup.counselorA
            )
            #expect(later != session)
            let homework = HomeworkService(pool: app, keys: setup.keys)
            let joint = try await homework.library(actor: setup.counselorA).first { $0.joint }!.id
            let assignment = try await homework.assign(
                prompt: joint,
                couple: couple,
                session: session,
                dueOn: today.adding(days: 7),
                today: today,
                riskOverrideReason: "homework override: \(canary)",
                actor: setup.counselorA
            ).id
            try await homework.recordResponse(
                assignment: assignment,
                partner: a,
                completion: .completed,
                text: "response: \(canary)",
                actor: setup.counselorA
            )
            let records = CoupleRecordService(pool: app, keys: setup.keys)
            _ = try await records.recordInjury(
                couple: couple,
                injuredPartner: b,
                description: "injury: \(canary)",
                identifiedOn: today,
                actor: setup.counselorA
            )
            _ = try await records.addGoal(couple: couple, description: "goal: \(canary)", actor: setup.counselorA)
            _ = try await CycleMapService(pool: app, keys: setup.keys).revise(
                couple: couple,
                partner: a,
                position: .pursuer,
                map: .init(
                    trigger: "trigger: \(canary)",
                    actionTendency: canary,
                    perceptionOfPartner: canary,
                    reactiveEmotion: canary,
                    primaryEmotion: canary,
                    unmetNeed: canary
                ),
                actor: setup.counselorA
            )
            _ = try await BreakGlassService(pool: app, keys: setup.keys).open(
                .couple(couple),
                reason: "break-glass: \(canary)",
                actor: setup.counselorB
            )
            _ = try await ReportService(pool: app, keys: setup.keys).setSummary(
                "summary: \(canary)",
                for: .couple(couple),
                from: CalendarDate(year: 2026, month: 9, day: 1)!,
                to: today,
                actor: setup.counselorA
            )
            // Reads, a clinical report and the export open everything again.
            let facts = try await ReportService(pool: app, keys: setup.keys).facts(
                for: .couple(couple),
                today: today,
                audience: .clinical,
                format: .html,
                actor: setup.counselorA
            )
            #expect(facts.summary?.text == "summary: \(canary)" && facts.riskDetail?.contains(canary) == true)
            let export = try await ExportService(pool: app, keys: setup.keys).exportClient(
                a,
                includePsychotherapyNotes: true,
                actor: setup.counselorA
            )
            let json = String(decoding: try ClientExport.encoder.encode(export), as: UTF8.self)
            #expect(json.contains("body: \(canary)") && json.contains("process: \(canary)"))
            #expect(try await setup.notes.note(note, actor: setup.counselorA).draft.body.contains(canary))

            // The server's view: a dump of the database, and its log of every statement.
            let dumpPath = NSTemporaryDirectory() + "haven-dump-\(UUID().uuidString).sql"
            defer {
                unlink(dumpPath)
                unlink(dumpPath + ".err")
            }
            let url = try TestDatabase.url(for: setup.fixture.owner.configuration)
            let pid = spawnProgram(
                pgDump,
                arguments: ["--dbname=\(url)", "--no-owner", "--enable-row-security"],
                outputPath: dumpPath
            )
            #expect(waitForProgram(pid) == 0)
            let dump = try String(contentsOfFile: dumpPath, encoding: .utf8)
            for table in [
                "progress_notes", "note_addenda", "psychotherapy_notes", "homework_responses", "cycle_maps",
                "attachment_injuries", "treatment_goals", "break_glass_grants", "couples", "therapy_sessions",
                "report_summaries",
            ] {
                #expect(dump.contains("COPY public.\(table)"), "\(table)")
            }
            #expect(!dump.contains(canary))
            let log = try String(contentsOfFile: serverLog, encoding: .utf8)
            #expect(log.contains("INSERT INTO break_glass_grants"))
            #expect(!log.contains(canary))
            // The application log at trace holds every statement's text (never its values).
            #expect(capture.entries.contains { $0.fullText.contains("haven_note_write_draft(") })
            #expect(!capture.entries.contains { $0.fullText.contains(canary) })
            #expect(errors.count == 6)
            #expect(!errors.contains { $0.contains(canary) })
        }
    }
}
