import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Testing

@Suite("The same prompt assigned twice while still open is warned, not refused", .needsTestDatabase)
struct HomeworkDuplicateTests {
    @Test func aSecondOpenAssignmentOfThePromptCarriesAWarning() async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, a, b) = try await setup.completedSession()
            let prompt = try #require(try await homework.library(actor: setup.counselorA).first { !$0.joint }).id
            let today = HomeworkServiceTests.today
            func assign(_ partner: UUID?) async throws -> HomeworkService.Assigned {
                try await homework.assign(
                    prompt: prompt,
                    couple: couple,
                    partner: partner,
                    session: session,
                    dueOn: today,
                    today: today,
                    actor: setup.counselorA
                )
            }
            let first = try await assign(a)
            #expect(first.warnings.isEmpty)
            let again = try await assign(a)
            #expect(again.warnings.count == 1 && again.id != first.id)
            let couplewide = try await assign(nil)
            #expect(couplewide.warnings.count == 1)  // it covers partner A too
            // Once both partners have answered the couple-wide one it is no longer open: B alone is not
            // warned (A's two assignments stay open, and are A's).
            for partner in [a, b] {
                try await homework.recordResponse(
                    assignment: couplewide.id,
                    partner: partner,
                    completion: .completed,
                    text: "Fictional response.",
                    actor: setup.counselorA
                )
            }
            #expect(try await assign(b).warnings.isEmpty)
            #expect(try await homework.openAssignments(today: today, actor: setup.counselorA).count == 3)
        }
    }
}
