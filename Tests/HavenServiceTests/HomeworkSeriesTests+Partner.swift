import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// docs/security.md's table of what a partner reads, for a series (migrations 0056 and 0059): a
/// released step's questions reach the partner it is for, an unreleased step and another partner's
/// step do not; the built-in series library is public text, as the built-in prompts are, but no row
/// says to whom it was given.
extension HomeworkSeriesTests {
    @Test func aReleasedStepsQuestionsReachOnlyThePartnerItIsFor() async throws {
        try await PartnerAttackTests().portal { p in
            let homework = HomeworkService(pool: p.app, keys: p.setup.keys)
            let series = try await Self.practice(p)
            let assigned = try await homework.assignSeries(
                series.id,
                couple: p.couple,
                partner: p.alex,
                session: p.nextSession,
                today: Self.today,
                actor: p.setup.counselorA
            )
            let app = p.app
            func read(_ session: [UInt8]) async throws -> ([UUID], [[String]], Int, Int) {
                try await PartnerAttackTests.asPartner(session, app) { connection in
                    let rows = try await connection.query(
                        """
                        SELECT id, questions FROM haven_portal_assignments()
                        WHERE series_assignment_id IS NOT NULL ORDER BY series_position
                        """
                    ).map { try $0.decode((UUID, [String]).self) }
                    let (assignments, library) = try await connection.query(
                        """
                        SELECT (SELECT count(*) FROM homework_series_assignments)
                               + (SELECT count(*) FROM homework_assignments),
                               (SELECT count(*) FROM homework_series_steps)
                        """
                    )[0].decode((Int, Int).self)
                    return (rows.map(\.0), rows.map(\.1), assignments, library)
                }
            }
            let alex = try await read(p.alexSession)
            #expect(alex.0 == [assigned.steps[0]])
            #expect(alex.1 == [series.steps[0].questions])
            // No row names whom a series was given to, nor any step; the library's text is public.
            let librarySteps = try await homework.seriesLibrary(actor: p.setup.counselorA).map(\.steps.count)
            #expect(alex.2 == 0 && alex.3 == librarySteps.reduce(0, +))
            let jo = try await read(p.joSession)
            #expect(jo.0.isEmpty && jo.2 == 0)
            // Released (as time would), the second step reaches Alex; still never Jo.
            try await p.owner.query(
                "UPDATE homework_assignments SET release_at = now() WHERE id = \(assigned.steps[1])"
            )
            #expect(try await read(p.alexSession).0 == Array(assigned.steps.prefix(2)))
            #expect(try await read(p.joSession).0.isEmpty)
        }
    }
}
