import Foundation
import HavenCore
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@testable import HavenService

/// A draft written in one round trip (`haven_note_write_draft`, migration 0049): the same note and the
/// same audit entry on either path, and, tried from the attacker's side as `haven_app`, no reach
/// beyond the statements it replaces.
@Suite("A draft is written in one round trip with the same checks and audit entry", .needsTestDatabase)
struct NoteWriteRoundTripTests {
    @Test func theSecondWriteOnASessionIsOnePipelineAndBothLeaveTheSameEntry() async throws {
        let capture = LogCapture()
        try await ClinicSetup.with(logger: capture.logger()) { setup in
            let (session, _, a, b) = try await setup.completedSession()
            let firstStart = capture.entries.count
            let first = try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA).id
            let secondStart = capture.entries.count
            let second = try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA).id
            func statements(_ range: Range<Int>) -> [String] {
                capture.entries[range].filter { $0.message == "statement" }.compactMap { $0.metadata["db.statement"] }
            }
            // The first write learns the session's chart (and creates its key); the second sends BEGIN,
            // the context, the call and COMMIT, nothing else.
            let firstWrite = statements(firstStart..<secondStart)
            #expect(firstWrite.filter { $0.contains("haven_note_write_draft") }.count == 2)
            let secondWrite = statements(secondStart..<capture.entries.count)
            #expect(secondWrite.count == 4, "\(secondWrite)")
            #expect(secondWrite.first?.hasPrefix("BEGIN") == true && secondWrite.last == "COMMIT")
            #expect(secondWrite[1].contains("haven_open_context") && secondWrite[2].contains("haven_note_write_draft"))

            let entries = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "note.write"),
                    on: connection
                )
            }
            #expect(entries.map(\.entry.entityID) == [first, second])
            for stored in entries {
                let entry = stored.entry
                #expect(entry.entityType == "note" && entry.clientIDs == [a, b] && entry.outcome == .success)
                #expect(entry.staffID == setup.counselorA.staffID && entry.digest == nil && !entry.breakGlass)
                #expect(entry.source == setup.counselorA.source && entry.requestID == setup.counselorA.requestID)
            }
            let verified = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.verify(practiceID: setup.fixture.practiceID, on: connection)
            }
            #expect(verified.firstBreak == nil && verified.count > 2)
            for id in [first, second] {
                #expect(try await setup.notes.note(id, actor: setup.counselorA).draft == .sample)
            }
        }
    }

    /// The chart a write seals for is only a hint: a wrong one (here planted for another couple whose
    /// key is also in memory) writes nothing in its round trip, and the write seals again for the
    /// session's own chart.
    @Test func aWrongChartHintCostsARoundTripNotAWrongSeal() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let (otherSession, otherCouple, _, _) = try await setup.completedSession()
            for target in [session, otherSession] {
                _ = try await setup.notes.writeDraft(.sample, session: target, actor: setup.counselorA)
            }
            let other = KeySubject(kind: .couple, id: otherCouple.uuidString.lowercased())
            setup.keys.sessionCharts.put(other, session: session)
            let (id, _) = try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA)
            #expect(try await setup.notes.note(id, actor: setup.counselorA).draft == .sample)
            let stored = try await setup.fixture.owner.query(
                "SELECT key_subject FROM progress_notes WHERE id = \(id)"
            )[0].decode(0, as: String.self)
            #expect(stored == "couple:\(couple.uuidString.lowercased())")
            #expect(setup.keys.sessionCharts.get(session)?.description == stored)
        }
    }

    /// The function called by hand as `haven_app`: without a context it writes nothing; another
    /// counselor's context finds no session (and leaves a denied entry, as the service's refusal did);
    /// values sealed for another chart are not written.
    @Test func rawCallsAsTheAppRoleReachNoMoreThanTheStatementsDid() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            let (written, _) = try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA)
            let (keyID, subject) = try await setup.fixture.owner.query(
                "SELECT body_key_id, key_subject FROM progress_notes WHERE id = \(written)"
            )[0].decode((UUID, String).self)
            let (_, otherCouple, _, _) = try await setup.completedSession()
            @Sendable func call(sealedFor: String?) -> PostgresQuery {
                """
                SELECT outcome, detail FROM haven_note_write_draft(\(UUID()), \(session), \(sealedFor), \
                \(Int16(1)), \(Int16(2)), \(UUID?.none), \([String]()), \([String]()), \([String]()), \("none"), \
                \([UInt8](repeating: 7, count: 64)), \(keyID), \([UInt8]?.none), \(UUID?.none))
                """
            }
            func notes() async throws -> Int {
                try await setup.fixture.owner.query(
                    "SELECT count(*) FROM progress_notes WHERE session_id = \(session)"
                )[0].decode(0, as: Int.self)
            }

            await #expect(throws: PostgresError.self) {
                try await setup.fixture.app.withConnection { try await $0.query(call(sealedFor: subject)) }
            }
            let outsider = try await setup.fixture.app.transaction(as: setup.counselorB) { connection in
                try await connection.query(call(sealedFor: subject))[0].decode((String, String?).self)
            }
            #expect(outsider.0 == "not-found" && outsider.1 == nil)
            let wrongChart = try await setup.fixture.app.transaction(as: setup.counselorA) { connection in
                try await connection.query(call(sealedFor: "couple:\(otherCouple.uuidString.lowercased())"))[0]
                    .decode((String, String?).self)
            }
            #expect(wrongChart.0 == "chart" && wrongChart.1 == subject)
            #expect(try await notes() == 1)

            let denials = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, staffID: setup.counselorBID, action: "note.write"),
                    on: connection
                )
            }
            #expect(denials.count == 1)
            #expect(denials.first?.entry.outcome == .denied && denials.first?.entry.entityID == session)
            #expect(denials.first?.entry.entityType == "session" && denials.first?.entry.clientIDs == [])
        }
    }

    /// A read is BEGIN, the context, `haven_note_read` and COMMIT; a process without the chart's key in
    /// memory opens the note in a transaction of its own; each read leaves one entry, as before.
    @Test func aReadIsOnePipelineAndItsEntryIsTheSame() async throws {
        let capture = LogCapture()
        try await ClinicSetup.with(logger: capture.logger()) { setup in
            let (session, _, a, b) = try await setup.completedSession()
            let (id, _) = try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA)
            // The first read also reads the format floor (in a transaction of its own); the second
            // finds everything in memory.
            #expect(try await setup.notes.note(id, actor: setup.counselorA).draft == .sample)
            let start = capture.entries.count
            #expect(try await setup.notes.note(id, actor: setup.counselorA).draft == .sample)
            let statements = capture.entries[start...].filter { $0.message == "statement" }.compactMap {
                $0.metadata["db.statement"]
            }
            #expect(statements.count == 4, "\(statements)")
            #expect(statements.first?.hasPrefix("BEGIN") == true && statements.last == "COMMIT")
            #expect(statements[2].contains("haven_note_read"))

            let fresh = NoteService(
                pool: setup.fixture.app,
                keys: KeyManager(ring: setup.keys.ring, logger: capture.logger())
            )
            #expect(try await fresh.note(id, actor: setup.counselorA).draft == .sample)
            let reads = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "note.read"),
                    on: connection
                )
            }
            #expect(reads.count == 3)
            for stored in reads {
                let entry = stored.entry
                #expect(entry.entityID == id && entry.entityType == "note" && entry.clientIDs == [a, b])
                #expect(entry.outcome == .success && entry.staffID == setup.counselorA.staffID && entry.digest == nil)
            }
            let verified = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.verify(practiceID: setup.fixture.practiceID, on: connection)
            }
            #expect(verified.firstBreak == nil)
        }
    }
}
