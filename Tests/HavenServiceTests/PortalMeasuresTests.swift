import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// A partner's questionnaires through `PortalService`, on PartnerAttackTests' couple (Alex and Jo, signed
/// in): every read audited `portal.measure.read` (migration 0080).
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
            #expect(try await portal.dueMeasure(schedule, actor: alex)?.form == .csi(.csi4))
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

    @Test func aPracticeMeasureIsAnsweredAsOneNumberWithinItsRangeAndShownInTheChart() async throws {
        try await PartnerAttackTests().portal { p in
            let portal = PortalService(pool: p.app, keys: p.setup.keys)
            let measures = MeasureService(pool: p.app)
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            let jo = PartnerActor(sessionHash: p.joSession, source: "test")
            let close = try await p.setup.fixture.staff.defineMeasure(
                .init(code: "CLOSE", name: "Closeness scale", minimum: 0, maximum: 10, higherIsBetter: true),
                practiceID: p.setup.fixture.practiceID,
                source: "test"
            )
            // Only one of the practice's own measures is a practice measure: a built-in form is not one.
            let csi4 = try await measures.definitionID(code: "CSI-4", actor: p.setup.counselorA)
            let notOne = await #expect(throws: ServiceError.self) {
                _ = try await measures.schedule(
                    practiceMeasure: csi4,
                    couple: p.couple,
                    partner: nil,
                    cadence: .once,
                    showTrend: false,
                    actor: p.setup.counselorA
                )
            }
            #expect(notOne?.field == "form")
            let schedule = try await measures.schedule(
                practiceMeasure: close,
                couple: p.couple,
                partner: p.alex,
                cadence: .once,
                showTrend: true,
                actor: p.setup.counselorA
            )
            let expected = PortalForm.PracticeMeasure(
                definitionID: close,
                code: "CLOSE",
                name: "Closeness scale",
                minimum: 0,
                maximum: 10
            )
            let due = try #require(try await portal.dueMeasure(schedule, actor: alex))
            #expect(due.form == .practice(expected) && due.form.title == "Closeness scale")
            #expect(try await portal.dueMeasure(schedule, actor: jo) == nil)

            // Scored on the server: the number, within the range; items, or a number outside it, are refused.
            for answer: PortalService.MeasureAnswer in [
                .score(10.5), .score(-1), .score(.nan), .score(.infinity), .items([5]),
            ] {
                let refused = await #expect(throws: ServiceError.self) {
                    _ = try await portal.submitMeasure(schedule: schedule, answer: answer, actor: alex)
                }
                #expect(refused?.field == "score", "\(answer)")
            }
            // The other partner's item is none of Jo's.
            #expect(
                try await portal.submitMeasure(schedule: schedule, answer: .score(3), actor: jo).outcome == .notFound
            )
            let sent = try await portal.submitMeasure(schedule: schedule, answer: .score(6.5), actor: alex)
            #expect(sent.outcome == .submitted && sent.total == 6.5)
            #expect(
                try await portal.submitMeasure(schedule: schedule, answer: .score(2), actor: alex).outcome == .answered
            )
            // The partner's own trend, allowed by the counselor.
            let trend = try await portal.measures(alex).trend
            #expect(trend.map(\.total) == [6.5] && trend.map(\.form) == [.practice(expected)])
            #expect(try await portal.measures(jo).trend.isEmpty)

            // The counselor's chart: the schedule, the answer from the portal, the measure offered, and the
            // measure among the chart's measures like any other.
            let record = try await p.setup.charts.record(
                .couple(p.couple),
                portalMeasures: true,
                actor: p.setup.counselorA
            )
            let portalMeasures = try #require(record.portalMeasures)
            #expect(portalMeasures.schedules.map(\.form) == [.practice(expected)])
            #expect(portalMeasures.answers.map(\.total) == [6.5] && portalMeasures.answers.map(\.partnerID) == [p.alex])
            #expect(portalMeasures.practiceMeasures == [expected])
            #expect(record.facts.measures.contains { $0.code == "CLOSE" && $0.partnerID == p.alex && $0.total == 6.5 })
        }
    }
}
