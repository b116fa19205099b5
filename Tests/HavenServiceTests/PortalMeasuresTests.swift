import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// A partner's questionnaires through `PortalService`, on PartnerAttackTests' couple (Alex and Jo, signed
/// in): every read audited `portal.measure.read` (migration 0081).
@Suite("Portal measures: reads audited, practice measures answered as one number", .needsTestDatabase)
struct PortalMeasuresTests {
    @Test func everyMeasureReadIsAuditedWithThePartnerAsActorAndTheChartsClients() async throws {
        try await PartnerAttackTests().portal { p in
            let portal = PortalService(pool: p.app, keys: p.setup.keys)
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            let jo = PartnerActor(sessionHash: p.joSession, source: "test")
            let schedule = try await MeasureService(pool: p.app).schedule(
                .csi4,
                couple: p.couple,
                partner: p.alex,
                cadence: .once,
                showTrend: true,
                actor: p.setup.counselorA
            )
            #expect(try await PartnerAttackTests.measureReads(p).isEmpty)

            // The questionnaires page (due and trend in one read): one entry.
            let page = try await portal.measures(alex)
            #expect(page.due.map(\.scheduleID) == [schedule] && page.trend.isEmpty)
            var entries = try await PartnerAttackTests.measureReads(p)
            #expect(entries.count == 1)
            // One due questionnaire: Alex's is found; Jo asking for Alex's finds nothing, audited as denied.
            #expect(try await portal.dueMeasure(schedule, actor: alex)?.form == .csi4)
            #expect(try await portal.dueMeasure(schedule, actor: jo) == nil)
            entries = try await PartnerAttackTests.measureReads(p)
            #expect(entries.map(\.0) == [p.alex, p.alex, p.jo])
            #expect(entries.map(\.5) == ["success", "success", "denied"])
            // Answered and allowed: the trend is read and audited the same way.
            #expect(
                try await portal.submitMeasure(schedule: schedule, items: [4, 3, 3, 3], actor: alex).outcome
                    == .submitted
            )
            let after = try await portal.measures(alex)
            #expect(after.due.isEmpty && after.trend.map(\.total) == [13])
            entries = try await PartnerAttackTests.measureReads(p)
            #expect(entries.count == 4)
            for entry in entries {
                #expect(entry.1 == nil && entry.2 == "couple" && entry.3 == p.couple)
                #expect(entry.4 == [p.alex, p.jo] && entry.6)
            }
            // The read and its entry are one transaction: a read with no live session appends nothing.
            let expired = PartnerActor(sessionHash: PartnerAttackTests.tokenHash(), source: "test")
            await #expect(throws: ServiceError.self) { _ = try await portal.measures(expired) }
            #expect(try await PartnerAttackTests.measureReads(p).count == 4)
        }
    }
}
