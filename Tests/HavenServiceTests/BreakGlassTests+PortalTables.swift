import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migration 0059: a break-glass grant reads a chart's measure schedules (0055) and series assignments
/// (0056) as it reads its other tables, tried as `haven_app` in the holder's context.
extension BreakGlassTests {
    @Test func aGrantReadsTheChartsMeasureSchedulesAndSeriesAssignments() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            let (other, _, _) = try await setup.couple()
            let practice = setup.fixture.practiceID
            let counselor = setup.fixture.counselorID
            for chart in [couple, other] {
                try await setup.fixture.owner.query(
                    """
                    INSERT INTO measure_schedules (id, practice_id, couple_id, definition_id, cadence, counselor_id, created_by)
                    SELECT \(UUID()), \(practice), \(chart), d.id, 'once', \(counselor), \(counselor)
                    FROM measure_definitions d WHERE d.code = 'CSI-4'
                    """
                )
                try await setup.fixture.owner.query(
                    """
                    INSERT INTO homework_series_assignments (id, practice_id, series_id, couple_id, counselor_id, interval_days)
                    SELECT \(UUID()), \(practice), s.id, \(chart), \(counselor), 7
                    FROM homework_series s WHERE s.title = 'Emotional-safety practice'
                    """
                )
            }
            var emergency = setup.counselorB
            emergency.breakGlass = true
            func seen(_ actor: StaffActor) async throws -> [UUID] {
                try await setup.fixture.app.transaction(as: actor) { connection in
                    try await connection.query(
                        """
                        SELECT couple_id FROM measure_schedules
                        UNION ALL SELECT couple_id FROM homework_series_assignments
                        """
                    ).map { try $0.decode(0, as: UUID.self) }
                }
            }
            // Counselor B's caseload holds neither couple: nothing without a grant, in or out of the mode.
            #expect(try await seen(emergency).isEmpty)
            let grant = try await BreakGlassService(pool: setup.fixture.app, keys: setup.keys)
                .open(.couple(couple), reason: Self.reason, actor: setup.counselorB)
            #expect(try await seen(setup.counselorB).isEmpty)
            // In break-glass mode: the granted chart's rows, read-only, and not the other couple's.
            #expect(try await seen(emergency) == [couple, couple])
            // A write through it is refused by the database (42501, which the service maps to forbidden).
            let write = await #expect(throws: ServiceError.self) {
                try await setup.fixture.app.transaction(as: emergency) { connection in
                    try await connection.execute(
                        "UPDATE measure_schedules SET show_trend = true WHERE couple_id = \(couple)"
                    )
                }
            }
            #expect(write?.kind == .forbidden)
            try await BreakGlassService(pool: setup.fixture.app, keys: setup.keys)
                .close(grant.id, actor: setup.counselorB)
            #expect(try await seen(emergency).isEmpty)
        }
    }
}
