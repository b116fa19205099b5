import Foundation
import HavenCore
import HavenReports
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("A note records its risk level explicitly; an open high-risk flag is closed with a reason", .needsTestDatabase)
struct RiskLevelAndFlagTests {
    @Test func aDraftMayLackItsRiskLevelButSigningNeedsOne() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            var draft = NoteService.Draft.sample
            draft.riskLevel = nil
            draft.riskDetail = nil
            let (note, version) = try await setup.notes.writeDraft(draft, session: session, actor: setup.counselorA)
            #expect(try await setup.notes.note(note, actor: setup.counselorA).draft.riskLevel == nil)
            let refused = await #expect(throws: ServiceError.self) {
                try await setup.notes.sign(note, expectedVersion: version, actor: setup.counselorA)
            }
            #expect(refused?.kind == .invalidInput && refused?.field == "riskLevel")
            #expect(try await setup.notes.note(note, actor: setup.counselorA).signed == false)
            draft.riskLevel = RiskLevel.none
            let edited = try await setup.notes.editDraft(
                note,
                expectedVersion: version,
                draft: draft,
                actor: setup.counselorA
            )
            _ = try await setup.notes.sign(note, expectedVersion: edited, actor: setup.counselorA)
            #expect(try await setup.notes.note(note, actor: setup.counselorA).draft.riskLevel == RiskLevel.none)
            // The database holds the rule too: no signed note without a level.
            let bypass = await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query(
                    "UPDATE progress_notes SET risk_level = NULL WHERE id = \(note)"
                )
            }
            #expect(bypass != nil)
        }
    }

    @Test func theCounselorClosesAnOpenFlagWithAReasonAuditedAndSealed() async throws {
        try await ClinicSetup.with { setup in
            let records = CoupleRecordService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, a, b) = try await setup.completedSession()
            func flagged() async throws -> Bool {
                try await setup.charts.listCouples(actor: setup.counselorA).first { $0.id == couple }?.highRisk == true
            }
            let none = await #expect(throws: ServiceError.self) {
                try await records.closeRiskFlag(
                    couple: couple,
                    reason: "Fictional: no flag is open yet, nothing to close.",
                    actor: setup.counselorA
                )
            }
            #expect(none?.kind == .conflict && none?.field == "couple")
            var risky = NoteService.Draft.sample
            risky.riskLevel = .high
            let (high, _) = try await setup.notes.writeDraft(risky, session: session, actor: setup.counselorA)
            #expect(try await flagged())

            let short = await #expect(throws: ServiceError.self) {
                try await records.closeRiskFlag(couple: couple, reason: "ok now", actor: setup.counselorA)
            }
            #expect(short?.kind == .invalidInput && short?.field == "reason")
            let outside = await #expect(throws: ServiceError.self) {
                try await records.closeRiskFlag(
                    couple: couple,
                    reason: "Fictional: safety plan reviewed with both partners.",
                    actor: setup.counselorB
                )
            }
            #expect(outside?.kind == .notFound)
            #expect(try await setup.fixture.owner.query("SELECT 1 FROM risk_flag_closures").count == 0)
            #expect(try await flagged())

            let closed = try await records.closeRiskFlag(
                couple: couple,
                reason: "Fictional: safety plan reviewed with both partners.",
                actor: setup.counselorA
            )
            #expect(closed.noteID == high)
            #expect(try await !flagged())
            // The clinical report says the flag was closed, not that it is open.
            let facts = try await ReportService(pool: setup.fixture.app, keys: setup.keys).facts(
                for: .couple(couple),
                today: CalendarDate(year: 2026, month: 12, day: 31)!,
                audience: .clinical,
                format: .json,
                actor: setup.counselorA
            )
            #expect(facts.openHighRiskFlag == false)
            let risk = ProgressReport.build(from: facts, generatedOn: CalendarDate(year: 2026, month: 12, day: 31)!)
                .risk
            #expect(!risk.openHighRiskFlag && risk.statement.contains("closed the flag with a reason"))
            let again = await #expect(throws: ServiceError.self) {
                try await records.closeRiskFlag(
                    couple: couple,
                    reason: "Fictional: safety plan reviewed with both partners.",
                    actor: setup.counselorA
                )
            }
            #expect(again?.kind == .conflict)

            // A later draft without a level does not reopen it; a later note at high risk does.
            var unscreened = NoteService.Draft.sample
            unscreened.riskLevel = nil
            unscreened.riskDetail = nil
            _ = try await setup.notes.writeDraft(unscreened, session: session, actor: setup.counselorA)
            #expect(try await !flagged())
            _ = try await setup.notes.writeDraft(risky, session: session, actor: setup.counselorA)
            #expect(try await flagged())

            let audit = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }
            let entries = audit.filter { $0.entry.action == "risk_flag.close" }
            #expect(entries.filter { $0.entry.outcome == .success }.map(\.entry.entityID) == [high])
            #expect(entries.first { $0.entry.outcome == .success }?.entry.clientIDs.sorted() == [a, b].sorted())
            #expect(entries.contains { $0.entry.outcome == .denied && $0.entry.entityID == couple })
            let stored = try await setup.fixture.owner.query(
                "SELECT reason FROM risk_flag_closures WHERE id = \(closed.id)"
            )
            #expect(!String(decoding: try stored[0].decode(0, as: [UInt8].self), as: UTF8.self).contains("safety plan"))
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }
}
