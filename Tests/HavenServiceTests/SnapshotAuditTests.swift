import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Snapshot reads (reports, exports) audit alongside concurrent writers without colliding", .needsTestDatabase)
struct SnapshotAuditTests {
    /// A report reads in a repeatable-read snapshot. Appending its audit entry inside that snapshot
    /// would take a sequence number another transaction has since used; it must not.
    @Test func reportsAndChartReadsInterleave() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            let reports = ReportService(pool: setup.fixture.app, keys: setup.keys)
            let today = CalendarDate(year: 2026, month: 11, day: 20)!
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        for _ in 0..<8 {
                            if worker.isMultiple(of: 2) {
                                _ = try await reports.facts(
                                    for: .couple(couple),
                                    today: today,
                                    audience: .clinical,
                                    format: .json,
                                    actor: setup.counselorA
                                )
                            } else {
                                _ = try await setup.charts.couple(couple, actor: setup.counselorA)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let (broken, count, _) = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.verify(practiceID: setup.fixture.practiceID, on: connection)
            }
            #expect(broken == nil)
            let reads = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "report.generate", limit: 100),
                    on: connection
                )
            }
            #expect(reads.count == 24)
            #expect(count > 48)
        }
    }
}
