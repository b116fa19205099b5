import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Outcome measures: recording, validation and trends", .needsTestDatabase)
struct MeasureServiceTests {
    @Test func csi4ScoresAreRecordedAndTrended() async throws {
        try await ClinicSetup.with { setup in
            let measures = MeasureService(pool: setup.fixture.app)
            let (_, a, _) = try await setup.couple()
            let csi4 = try await measures.definitionID(code: "CSI-4", actor: setup.counselorA)
            let first = try await measures.record(
                measure: csi4,
                client: a,
                administeredOn: CalendarDate(year: 2026, month: 9, day: 1)!,
                items: [2, 2, 3, 3],
                actor: setup.counselorA
            )
            #expect(first.total == 10)
            _ = try await measures.record(
                measure: csi4,
                client: a,
                administeredOn: CalendarDate(year: 2026, month: 11, day: 1)!,
                items: [4, 4, 4, 4],
                actor: setup.counselorA
            )
            let trend = try await measures.trend(measure: csi4, client: a, actor: setup.counselorA)
            #expect(trend.points.map(\.total) == [10, 16])
            #expect(trend.cutoff == 13.5)
            #expect(trend.label == nil)  // no SD and reliability are recorded for the CSI here
            let bad = await #expect(throws: ServiceError.self) {
                try await measures.record(
                    measure: csi4,
                    client: a,
                    administeredOn: CalendarDate(year: 2026, month: 11, day: 2)!,
                    items: [7, 0, 0, 0],
                    actor: setup.counselorA
                )
            }
            #expect(bad?.field == "items[1]")
            let outside = await #expect(throws: ServiceError.self) {
                try await measures.record(
                    measure: csi4,
                    client: a,
                    administeredOn: CalendarDate(year: 2026, month: 11, day: 2)!,
                    items: [1, 1, 1, 1],
                    actor: setup.counselorB
                )
            }
            #expect(outside?.kind == .notFound)
            let count = try await setup.fixture.owner.query("SELECT count(*) FROM measure_administrations")
            #expect(try count[0].decode(0, as: Int.self) == 2)
        }
    }

    @Test func aMeasureIsDatedNeitherAfterTodayNorBeforeIntake() async throws {
        try await ClinicSetup.with { setup in
            let measures = MeasureService(pool: setup.fixture.app)
            let (_, a, _) = try await setup.couple()  // intake 2026-09-01
            let csi4 = try await measures.definitionID(code: "CSI-4", actor: setup.counselorA)
            let tomorrow = CalendarDate(daysSince1970: Int(Date().timeIntervalSince1970 / 86_400) + 2)
            for day in [tomorrow, CalendarDate(year: 2026, month: 8, day: 31)!] {
                let refused = await #expect(throws: ServiceError.self) {
                    try await measures.record(
                        measure: csi4,
                        client: a,
                        administeredOn: day,
                        items: [3, 3, 3, 3],
                        actor: setup.counselorA
                    )
                }
                #expect(refused?.kind == .invalidInput && refused?.field == "administeredOn", "\(day)")
            }
            // Nothing was written; the intake day itself is fine.
            #expect(try await measures.trend(measure: csi4, client: a, actor: setup.counselorA).points.isEmpty)
            _ = try await measures.record(
                measure: csi4,
                client: a,
                administeredOn: CalendarDate(year: 2026, month: 9, day: 1)!,
                items: [3, 3, 3, 3],
                actor: setup.counselorA
            )
        }
    }

    @Test func aPracticeMeasureWithParametersGetsAReliableChangeLabel() async throws {
        try await ClinicSetup.with { setup in
            let measures = MeasureService(pool: setup.fixture.app)
            let (_, a, _) = try await setup.couple()
            try await setup.fixture.owner.query(
                """
                INSERT INTO measure_definitions (id, practice_id, code, name, scoring, minimum, maximum, higher_is_better,
                                                 cutoff, standard_deviation, reliability, parameters_source)
                VALUES (\(UUID()), \(setup.fixture.practiceID), 'CLOSE', 'Closeness (practice scale)', 'single_score',
                        0, 100, true, 40, 10, 0.9, 'Practice norms, 2025 intake sample')
                """
            )
            let close = try await measures.definitionID(code: "CLOSE", actor: setup.counselorA)
            _ = try await measures.record(
                measure: close,
                client: a,
                administeredOn: CalendarDate(year: 2026, month: 9, day: 1)!,
                score: 30,
                actor: setup.counselorA
            )
            _ = try await measures.record(
                measure: close,
                client: a,
                administeredOn: CalendarDate(year: 2026, month: 11, day: 1)!,
                score: 45,
                actor: setup.counselorA
            )
            let trend = try await measures.trend(measure: close, client: a, actor: setup.counselorA)
            #expect(trend.label == .reliableImprovement)
            #expect(abs((trend.reliableChangeIndex ?? 0) - 15 / 4.4721) < 0.001)
            let range = await #expect(throws: ServiceError.self) {
                try await measures.record(
                    measure: close,
                    client: a,
                    administeredOn: CalendarDate(year: 2026, month: 11, day: 2)!,
                    score: 101,
                    actor: setup.counselorA
                )
            }
            #expect(range?.field == "score")
        }
    }
}

@Suite("A.R.E. ratings", .needsTestDatabase)
struct ARERatingTests {
    @Test func ratingsAreRecordedPerPartnerPerCompletedSession() async throws {
        try await ClinicSetup.with { setup in
            let measures = MeasureService(pool: setup.fixture.app)
            let (session, _, a, _) = try await setup.completedSession()
            try await measures.rateARE(
                try ARERating(accessible: 3, responsive: 4, engaged: 2),
                partner: a,
                session: session,
                actor: setup.counselorA
            )
            try await measures.rateARE(
                try ARERating(accessible: 5, responsive: 4, engaged: 3),
                partner: a,
                session: session,
                actor: setup.counselorA
            )
            let series = try await measures.areSeries(partner: a, actor: setup.counselorA)
            #expect(series.map(\.rating) == [try ARERating(accessible: 5, responsive: 4, engaged: 3)])
            let stranger = await #expect(throws: ServiceError.self) {
                try await measures.rateARE(
                    try ARERating(accessible: 1, responsive: 1, engaged: 1),
                    partner: UUID(),
                    session: session,
                    actor: setup.counselorA
                )
            }
            #expect(stranger?.field == "partnerID")
            #expect(try await measures.areSeries(partner: a, actor: setup.counselorB).isEmpty)
        }
    }
}
