import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("Addenda to signed notes and supervisor co-signatures", .needsTestDatabase)
struct AddendumAndCosignTests {
    private func signedNote(_ setup: ClinicSetup) async throws -> UUID {
        let (session, _, _, _) = try await setup.completedSession()
        let (id, version) = try await setup.notes.writeDraft(
            NoteService.Draft.sample,
            session: session,
            actor: setup.counselorA
        )
        _ = try await setup.notes.sign(id, expectedVersion: version, actor: setup.counselorA)
        return id
    }

    @Test func addendaCorrectASignedNoteAndAreSealedAndFinal() async throws {
        try await ClinicSetup.with { setup in
            let note = try await signedNote(setup)
            let id = try await setup.notes.addAddendum(
                to: note,
                reason: "Wrong weekday in the body",
                text: "The argument was on Saturday, not Sunday.",
                actor: setup.counselorA
            )
            let addenda = try await setup.notes.addenda(of: note, actor: setup.counselorA)
            #expect(addenda.map(\.id) == [id])
            #expect(addenda.first?.text == "The argument was on Saturday, not Sunday.")
            #expect(addenda.first?.reason == "Wrong weekday in the body")
            let stored = try await setup.fixture.owner.query("SELECT body, reason FROM note_addenda WHERE id = \(id)")
            let (body, reason) = try stored[0].decode(([UInt8], [UInt8]).self)
            #expect(!String(decoding: body + reason, as: UTF8.self).contains("Saturday"))
            let edit = await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query("DELETE FROM note_addenda WHERE id = \(id)")
            }
            #expect(edit?.constraint == "note_addenda_final")
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }

    @Test func aDraftIsEditedNotAddendedAndBadInputNamesTheField() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            let (draft, _) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            let onDraft = await #expect(throws: ServiceError.self) {
                try await setup.notes.addAddendum(to: draft, reason: "r", text: "t", actor: setup.counselorA)
            }
            #expect(onDraft?.kind == .conflict)
            let noReason = await #expect(throws: ServiceError.self) {
                try await setup.notes.addAddendum(to: draft, reason: "  ", text: "t", actor: setup.counselorA)
            }
            #expect(noReason?.field == "reason")
            let noText = await #expect(throws: ServiceError.self) {
                try await setup.notes.addAddendum(to: draft, reason: "r", text: " ", actor: setup.counselorA)
            }
            #expect(noText?.field == "text")
        }
    }

    @Test func onlyTheCounselorsSupervisorCosignsOnce() async throws {
        try await ClinicSetup.with { setup in
            let note = try await signedNote(setup)
            var colleague = setup.counselorB
            colleague.roles = [.counselor, .supervisor]
            // A supervisor who does not supervise this counselor cannot even see the note.
            let stranger = await #expect(throws: ServiceError.self) {
                try await setup.notes.cosign(note, actor: colleague)
            }
            #expect(stranger?.kind == .notFound)
            try await setup.fixture.owner.query(
                """
                INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id)
                VALUES (\(setup.fixture.practiceID), \(setup.counselorBID), \(setup.fixture.counselorID))
                """
            )
            try await setup.notes.cosign(note, actor: colleague)
            let twice = await #expect(throws: ServiceError.self) {
                try await setup.notes.cosign(note, actor: colleague)
            }
            #expect(twice?.kind == .conflict)
            var selfCosign = setup.counselorA
            selfCosign.roles = [.counselor, .supervisor]
            let own = await #expect(throws: ServiceError.self) { try await setup.notes.cosign(note, actor: selfCosign) }
            #expect(own?.kind == .forbidden)
            let rows = try await setup.fixture.owner.query(
                "SELECT supervisor_id FROM note_cosignatures WHERE note_id = \(note)"
            )
            #expect(try rows.map { try $0.decode(0, as: UUID.self) } == [setup.counselorBID])
        }
    }
}
