import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// Migration 0071 finds a chart's latest note by walking the chart's sessions, which holds only while
/// every note sits on a session of its own chart; before migration 0051 the app role could move a
/// session. Migration 0072 refuses to finish while such a note exists.
@Suite("Migration 0072: no note on a session of another chart", .needsTestDatabase)
struct NoteChartMigrationCheckTests {
    @Test func aNoteOnAMovedSessionStopsTheMigrationUntilTheSessionIsMovedBack() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let note = try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA).id
            let (_, other, _, _) = try await setup.completedSession()
            let check = try #require(try Migration.embedded().first { $0.version == 72 })
            try await setup.fixture.owner.withConnection { connection in
                try await connection.executeScript(check.sql)
                // What a raw UPDATE could do before 0051 (today the trigger refuses it).
                func move(to chart: UUID) async throws {
                    try await connection.transaction { connection in
                        try await connection.execute(
                            "ALTER TABLE therapy_sessions DISABLE TRIGGER therapy_sessions_keep_chart"
                        )
                        try await connection.execute(
                            "UPDATE therapy_sessions SET couple_id = \(chart) WHERE id = \(session)"
                        )
                        try await connection.execute(
                            "ALTER TABLE therapy_sessions ENABLE TRIGGER therapy_sessions_keep_chart"
                        )
                    }
                }
                try await move(to: other)
                let refused = await #expect(throws: PostgresError.self) {
                    try await connection.executeScript(check.sql)
                }
                #expect(refused?.sqlState == "23514")
                #expect(
                    refused?.message
                        == "migration 0072: notes on a session of another chart (a session moved before migration 0051): 1"
                )
                let named = "note \(note.uuidString.lowercased()) on session \(session.uuidString.lowercased())"
                #expect(refused?.detail == "The first ten: \(named)")
                #expect(refused?.hint?.contains("docs/operations.md") == true)
                try await move(to: couple)
                try await connection.executeScript(check.sql)
            }
        }
    }
}
