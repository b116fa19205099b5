import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// The weekly check-in as a series of its own (migration 0079): the recurring check-in a homework
/// assignment cannot be (one answer per partner), each week a released step answered on its own.
@Suite("The weekly check-in: a series of eight weeks, each week its own answer", .needsTestDatabase)
struct WeeklyCheckInSeriesTests {
    @Test func theWeeklyCheckInIsEightWeeksOfTheCheckInEachAnsweredOnItsOwn() async throws {
        try await PartnerAttackTests().portal { p in
            let homework = HomeworkService(pool: p.app, keys: p.setup.keys)
            let portal = PortalService(pool: p.app, keys: p.setup.keys)
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            let library = try await homework.seriesLibrary(actor: p.setup.counselorA)
            let series = try #require(library.first { $0.title == "Weekly check-in" })
            #expect(series.steps.map(\.position) == Array(1...8))
            #expect(series.steps.allSatisfy { $0.promptTitle == "Weekly check-in" && $0.joint })
            #expect(series.steps.allSatisfy { $0.questions.count == 3 })
            // The emotional-safety practice stays the default, whatever the library's order.
            #expect(library.contains { $0.id == HomeworkService.emotionalSafetySeriesID })
            #expect(series.id != HomeworkService.emotionalSafetySeriesID)

            let assigned = try await homework.assignSeries(
                series.id,
                couple: p.couple,
                session: p.nextSession,
                today: HomeworkSeriesTests.today,
                actor: p.setup.counselorA
            )
            #expect(assigned.steps.count == 8)
            // A week apart: the counselor's list has the eight weeks, the first open, seven to come.
            let chart = try await homework.assignments(
                couple: p.couple,
                today: HomeworkSeriesTests.today,
                actor: p.setup.counselorA
            )
            let weeks = chart.filter { $0.seriesStep != nil }
                .sorted { ($0.seriesStep?.position ?? 0) < ($1.seriesStep?.position ?? 0) }
            #expect(weeks.map(\.status) == [.assigned] + Array(repeating: .upcoming, count: 7))
            #expect(
                weeks.map(\.assignedOn) == (0..<8).map { HomeworkSeriesTests.today.adding(days: 7 * $0) }
            )
            // The partner's portal: one item, week one released with its questions.
            let home = try await portal.home(alex)
            let item = try #require(home.series.first)
            #expect(home.series.count == 1 && item.steps == 8 && item.released == 1 && item.upcoming == 7)

            // Week one answered; week two, released as time would release it, takes its own answer.
            let (first, second) = (assigned.steps[0], assigned.steps[1])
            for (step, text) in [(first, "Fictional week one"), (second, "Fictional week two")] {
                try await p.owner.query(
                    "UPDATE homework_assignments SET release_at = now() - interval '1 minute' WHERE id = \(step)"
                )
                let saved = try await portal.saveDraft(
                    assignment: step,
                    draft: nil,
                    expectedVersion: 0,
                    text: text,
                    share: false,
                    actor: alex
                )
                #expect(saved.outcome == .saved)
                #expect(try await portal.submit(assignment: step, expectedVersion: 1, actor: alex) == .submitted)
            }
            let after = try await portal.home(alex)
            #expect(after.series.first?.released == 2)
            #expect(after.assignments.filter { [first, second].contains($0.id) && $0.answered }.count == 2)
        }
    }
}
