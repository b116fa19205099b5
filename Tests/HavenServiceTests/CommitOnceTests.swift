import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Testing

@Suite("Every service transaction ends with exactly one COMMIT", .needsTestDatabase)
struct CommitOnceTests {
    /// Paths that end their own last pipeline with COMMIT must not also let the transaction send
    /// one: a second COMMIT is a wasted statement (PostgreSQL only warns) on the hottest paths.
    @Test func beginsAndCommitsPairUp() async throws {
        let capture = LogCapture()
        try await ClinicSetup.with(logger: capture.logger()) { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let (note, _) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            _ = try await setup.notes.note(note, actor: setup.counselorA)
            _ = try await setup.notes.list(chart: .couple(couple), actor: setup.counselorA)
            _ = try await setup.charts.couple(couple, actor: setup.counselorA)
            _ = try await setup.charts.listCouples(actor: setup.counselorA)
            _ = try await setup.sessions.list(chart: .couple(couple), actor: setup.counselorA)
            let statements = capture.entries.filter { $0.message == "statement" }.compactMap {
                $0.metadata["db.statement"]
            }
            let begins = statements.filter { $0.hasPrefix("BEGIN") }.count
            let commits = statements.filter { $0 == "COMMIT" }.count
            #expect(begins > 10)
            #expect(commits == begins)
        }
    }
}
