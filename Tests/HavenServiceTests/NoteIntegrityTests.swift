import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// Signed means verified: someone with the owner's powers (triggers off) changes a signed note; every
/// read refuses it loudly and `haven keys verify` names it.
@Suite("A signed note that changed after signing is refused on every read", .needsTestDatabase)
struct NoteIntegrityTests {
    private static let today = CalendarDate(year: 2026, month: 12, day: 1)!

    /// A signed note whose first draft said something else; returns the note, its chart and the
    /// ciphertext of the first draft's body.
    private func signedNote(_ setup: ClinicSetup) async throws -> (note: UUID, couple: UUID, a: UUID, oldBody: [UInt8])
    {
        let (session, couple, a, _) = try await setup.completedSession()
        var first = NoteService.Draft.sample
        first.body = "First draft: partner B said she would leave."
        let (note, version) = try await setup.notes.writeDraft(first, session: session, actor: setup.counselorA)
        let oldBody = try await setup.fixture.owner.query("SELECT body FROM progress_notes WHERE id = \(note)")[0]
            .decode(0, as: [UInt8].self)
        let edited = try await setup.notes.editDraft(
            note,
            expectedVersion: version,
            draft: NoteService.Draft.sample,
            actor: setup.counselorA
        )
        _ = try await setup.notes.sign(note, expectedVersion: edited, actor: setup.counselorA)
        return (note, couple, a, oldBody)
    }

    /// Runs `sql` as the owner with the signed-note trigger off, as an attacker with those powers would.
    private func tamper(_ setup: ClinicSetup, _ sql: PostgresQuery) async throws {
        try await setup.fixture.owner.withConnection { connection in
            try await connection.transaction { connection in
                try await connection.execute("ALTER TABLE progress_notes DISABLE TRIGGER USER")
                try await connection.execute(sql)
                try await connection.execute("ALTER TABLE progress_notes ENABLE TRIGGER USER")
            }
        }
    }

    private func expectRefusedEverywhere(_ setup: ClinicSetup, note: UUID, couple: UUID, client: UUID) async throws {
        let show = await #expect(throws: ServiceError.self) {
            try await setup.notes.note(note, actor: setup.counselorA)
        }
        #expect(show?.kind == .integrity && show?.description.contains(note.uuidString.lowercased()) == true)
        let export = await #expect(throws: ServiceError.self) {
            try await ExportService(pool: setup.fixture.app, keys: setup.keys).exportClient(
                client,
                actor: setup.counselorA
            )
        }
        #expect(export?.kind == .integrity)
        let report = await #expect(throws: ServiceError.self) {
            try await ReportService(pool: setup.fixture.app, keys: setup.keys).facts(
                for: .couple(couple),
                today: Self.today,
                audience: .client,
                format: .html,
                actor: setup.counselorA
            )
        }
        #expect(report?.kind == .integrity)
        let audited = try await setup.fixture.owner.withConnection { connection in
            try await AuditStore.list(
                .init(practiceID: setup.fixture.practiceID, action: "note.integrity", outcome: .failed),
                on: connection
            )
        }
        #expect(audited.count == 3 && audited.allSatisfy { $0.entry.entityID == note })
    }

    @Test(arguments: ["risk level", "stage and step", "interventions"])
    func aChangedPlainColumnIsRefused(column: String) async throws {
        try await ClinicSetup.with { setup in
            let (note, couple, a, _) = try await signedNote(setup)
            _ = try await setup.notes.note(note, actor: setup.counselorA)
            let sql: PostgresQuery =
                switch column {
                case "risk level": "UPDATE progress_notes SET risk_level = 'none' WHERE id = \(note)"
                case "stage and step": "UPDATE progress_notes SET stage = 2, step = 5 WHERE id = \(note)"
                default: "UPDATE progress_notes SET interventions = '{}' WHERE id = \(note)"
                }
            try await tamper(setup, sql)
            try await expectRefusedEverywhere(setup, note: note, couple: couple, client: a)
            let verified = try await NoteIntegrity.verifyAll(pool: setup.fixture.owner, keys: setup.keys)
            #expect(verified.failures == [.init(noteID: note, reason: "content hash mismatch")])
        }
    }

    @Test func anOlderDraftsCiphertextPutBackIsRefused() async throws {
        try await ClinicSetup.with { setup in
            let (note, couple, a, oldBody) = try await signedNote(setup)
            // The old ciphertext is bound to this very row and column, so it still opens.
            try await tamper(setup, "UPDATE progress_notes SET body = \(oldBody) WHERE id = \(note)")
            try await expectRefusedEverywhere(setup, note: note, couple: couple, client: a)
        }
    }

    @Test func aNoteChangedTogetherWithItsHashDisagreesWithTheChain() async throws {
        try await ClinicSetup.with { setup in
            let (note, _, _, _) = try await signedNote(setup)
            let before = try await NoteIntegrity.verifyAll(pool: setup.fixture.owner, keys: setup.keys)
            #expect(before.checked == 1 && before.matchedToChain == 1 && before.failures.isEmpty)
            let read = try await setup.notes.note(note, actor: setup.counselorA)
            var forged = NoteIntegrity.Content(
                noteID: note,
                sessionID: read.sessionID,
                authorID: read.authorID,
                stage: read.draft.stage,
                step: read.draft.step,
                stepPartnerID: nil,
                interventions: read.draft.interventions.map(\.rawValue),
                tangoMoves: [],
                changeEvents: [],
                riskLevel: "none",
                riskDetail: read.draft.riskDetail,
                body: read.draft.body
            )
            forged.riskLevel = "none"
            let hash = NoteIntegrity.hash(forged)
            try await tamper(
                setup,
                "UPDATE progress_notes SET risk_level = 'none', content_hash = \(hash) WHERE id = \(note)"
            )
            let after = try await NoteIntegrity.verifyAll(pool: setup.fixture.owner, keys: setup.keys)
            #expect(after.failures == [.init(noteID: note, reason: "signing entry mismatch")])
            // The signing entry's digest is covered by the chain: changing it too breaks the chain.
            let chain = try await setup.fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: setup.fixture.practiceID, on: $0)
            }
            #expect(chain.firstBreak == nil)
            try await setup.fixture.owner.withConnection { connection in
                try await connection.executeScript(
                    """
                    ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete;
                    UPDATE audit_log SET digest = content_hash FROM progress_notes
                    WHERE audit_log.action = 'note.sign' AND progress_notes.id = audit_log.entity_id;
                    ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete;
                    """
                )
            }
            let rewritten = try await setup.fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: setup.fixture.practiceID, on: $0)
            }
            #expect(rewritten.firstBreak != nil)
        }
    }

    @Test func anIntactSignedNoteReadsEverywhere() async throws {
        try await ClinicSetup.with { setup in
            let (note, couple, a, _) = try await signedNote(setup)
            #expect(try await setup.notes.note(note, actor: setup.counselorA).signed)
            _ = try await ExportService(pool: setup.fixture.app, keys: setup.keys).exportClient(
                a,
                actor: setup.counselorA
            )
            _ = try await ReportService(pool: setup.fixture.app, keys: setup.keys).facts(
                for: .couple(couple),
                today: Self.today,
                audience: .clinical,
                format: .html,
                actor: setup.counselorA
            )
            let signing = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "note.sign"),
                    on: connection
                )
            }
            let stored = try await setup.fixture.owner.query(
                "SELECT content_hash FROM progress_notes WHERE id = \(note)"
            )[0]
            .decode(0, as: [UInt8].self)
            #expect(signing.count == 1 && signing[0].entry.digest == stored)
        }
    }
}
