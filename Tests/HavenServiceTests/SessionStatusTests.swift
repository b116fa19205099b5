import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Testing

@Suite("A session's outcome is recorded only once it can be known", .needsTestDatabase)
struct SessionStatusTests {
    @Test func aSessionThatHasNotStartedCannotBeCompletedOrMissedButCanBeCancelled() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            func tomorrow() async throws -> UUID {
                try await setup.sessions.schedule(
                    .couple(couple),
                    start: Date().addingTimeInterval(86_400),
                    durationMinutes: 50,
                    format: .video,
                    actor: setup.counselorA
                )
            }
            let session = try await tomorrow()
            for status in [SessionStatus.completed, .noShow] {
                let error = await #expect(throws: ServiceError.self) {
                    try await setup.sessions.setStatus(status, session: session, actor: setup.counselorA)
                }
                #expect(error?.kind == .conflict && error?.field == "status", "\(status)")
                #expect(error?.message.contains("has not started yet") == true)
            }
            // Nothing was written: it is still scheduled, so cancelling ahead of time works.
            try await setup.sessions.setStatus(.cancelled, session: session, actor: setup.counselorA)
            try await setup.sessions.setStatus(.lateCancelled, session: try await tomorrow(), actor: setup.counselorA)
        }
    }
}
