import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("A wrong measure administration is voided with a reason, kept and left out", .needsTestDatabase)
struct MeasureVoidTests {
    static func day(_ month: Int, _ day: Int) -> CalendarDate { CalendarDate(year: 2026, month: month, day: day)! }

    @Test func aVoidIsKeptAuditedSealedFinalAndLeftOutOfTheTrendAndReliableChange() async throws {
        try await ClinicSetup.with { setup in
            let measures = MeasureService(pool: setup.fixture.app, keys: setup.keys)
            let (_, a, _) = try await setup.couple()
            _ = try await setup.fixture.staff.defineMeasure(
                .init(
                    code: "FICT",
                    name: "Fictional closeness",
                    minimum: 0,
                    maximum: 100,
                    higherIsBetter: true,
                    cutoff: 40,
                    standardDeviation: 10,
                    reliability: 0.9,
                    parametersSource: "Fictional norms"
                ),
                practiceID: setup.fixture.practiceID,
                source: "test"
            )
            let code = try await measures.definitionID(code: "FICT", actor: setup.counselorA)
            func record(_ date: CalendarDate, _ score: Double) async throws -> UUID {
                try await measures.record(
                    measure: code,
                    client: a,
                    administeredOn: date,
                    score: score,
                    actor: setup.counselorA
                ).id
            }
            let wrong = try await record(Self.day(9, 1), 90)  // entered for the wrong client
            _ = try await record(Self.day(9, 15), 30)
            _ = try await record(Self.day(11, 1), 60)
            let before = try await measures.trend(measure: code, client: a, actor: setup.counselorA)
            #expect(before.label == .reliableDeterioration)

            let short = await #expect(throws: ServiceError.self) {
                try await measures.void(wrong, reason: "typo", actor: setup.counselorA)
            }
            #expect(short?.kind == .invalidInput && short?.field == "reason")
            let outside = await #expect(throws: ServiceError.self) {
                try await measures.void(
                    wrong,
                    reason: "Fictional: recorded for the wrong client.",
                    actor: setup.counselorB
                )
            }
            #expect(outside?.kind == .notFound)
            #expect(try await measures.trend(measure: code, client: a, actor: setup.counselorA).points.count == 3)

            try await measures.void(wrong, reason: "Fictional: recorded for the wrong client.", actor: setup.counselorA)
            let after = try await measures.trend(measure: code, client: a, actor: setup.counselorA)
            #expect(after.points.map(\.total) == [30, 60] && after.voided.isEmpty)
            #expect(after.label == .reliableImprovement)  // the baseline is the first live administration
            let all = try await measures.trend(measure: code, client: a, includeVoided: true, actor: setup.counselorA)
            #expect(all.points.map(\.total) == [30, 60] && all.voided.map(\.id) == [wrong])

            let again = await #expect(throws: ServiceError.self) {
                try await measures.void(
                    wrong,
                    reason: "Fictional: recorded for the wrong client.",
                    actor: setup.counselorA
                )
            }
            #expect(again?.kind == .conflict)
            // Kept, and final in the database too: neither the application nor the owner changes it.
            let stored = try await setup.fixture.owner.query(
                "SELECT total, void_reason FROM measure_administrations WHERE id = \(wrong)"
            )
            #expect(try stored[0].decode(0, as: Double.self) == 90)
            let sealed = String(decoding: try stored[0].decode(1, as: [UInt8].self), as: UTF8.self)
            #expect(!sealed.contains("wrong client"))
            await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query(
                    "UPDATE measure_administrations SET voided_at = NULL, voided_by = NULL WHERE id = \(wrong)"
                )
            }
            await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query("UPDATE measure_administrations SET total = 1 WHERE id = \(wrong)")
            }

            let audit = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }.map(\.entry).filter { $0.action == "measure.void" }
            #expect(audit.map(\.outcome) == [.denied, .success])
            #expect(audit.last?.entityID == wrong && audit.last?.clientIDs == [a])
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }
}
