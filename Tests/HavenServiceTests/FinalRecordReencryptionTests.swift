import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("Signed notes and addenda: re-encryption is the only change that gets through", .needsTestDatabase)
struct FinalRecordReencryptionTests {
    /// A signed note with an addendum on a couple's chart.
    private func signedNoteWithAddendum(_ setup: ClinicSetup) async throws -> (note: UUID, addendum: UUID, couple: UUID)
    {
        let (session, couple, _, _) = try await setup.completedSession()
        let (note, version) = try await setup.notes.writeDraft(
            NoteService.Draft.sample,
            session: session,
            actor: setup.counselorA
        )
        _ = try await setup.notes.sign(note, expectedVersion: version, actor: setup.counselorA)
        let addendum = try await setup.notes.addAddendum(
            to: note,
            reason: "Wrong weekday",
            text: "It was Saturday.",
            actor: setup.counselorA
        )
        return (note, addendum, couple)
    }

    @Test func rotationReencryptsSignedNotesAndAddendaWithoutChangingThem() async throws {
        try await ClinicSetup.with { setup in
            let (note, _, couple) = try await signedNoteWithAddendum(setup)
            let before = try await setup.notes.note(note, actor: setup.counselorA)
            let addendaBefore = try await setup.notes.addenda(of: note, actor: setup.counselorA)
            let report = try await setup.keys.rotateData(
                subject: KeySubject(kind: .couple, id: couple.uuidString.lowercased()),
                pool: setup.fixture.owner
            )
            #expect(report.failedSubjects.isEmpty, "\(report.failedSubjects)")
            // Presenting concerns, the note's body and risk detail, the addendum's reason and body.
            #expect(report.reencrypted == 5 && report.leftOnRetiredKeys == 0)
            #expect(try await setup.notes.note(note, actor: setup.counselorA) == before)
            #expect(try await setup.notes.addenda(of: note, actor: setup.counselorA) == addendaBefore)
            let keys = try await setup.fixture.owner.query(
                "SELECT DISTINCT body_key_id FROM progress_notes WHERE id = \(note)"
            ).map { try $0.decode(0, as: UUID.self) }
            let active = try await setup.keys.status(pool: setup.fixture.owner).dataKeys.filter {
                $0.subject == "couple:\(couple.uuidString.lowercased())" && $0.state == "active"
            }
            #expect(keys == active.map(\.id))
        }
    }

    @Test func everyOtherChangeOfASignedNoteOrAddendumIsStillRefused() async throws {
        try await ClinicSetup.with { setup in
            let (note, addendum, couple) = try await signedNoteWithAddendum(setup)
            let owner = setup.fixture.owner
            let (oldBody, oldKey) = try await owner.query(
                "SELECT body, body_key_id FROM progress_notes WHERE id = \(note)"
            )[0].decode(([UInt8], UUID).self)
            _ = try await setup.keys.rotateData(
                subject: KeySubject(kind: .couple, id: couple.uuidString.lowercased()),
                pool: owner
            )
            let refusals: [(PostgresQuery, String)] = [
                // A plain column, even by the owner.
                ("UPDATE progress_notes SET risk_level = 'high' WHERE id = \(note)", "progress_notes_signed_is_final"),
                // A sealed value and a plain column together.
                (
                    "UPDATE progress_notes SET body = \(oldBody), body_key_id = \(oldKey), stage = 2, step = 5 WHERE id = \(note)",
                    "progress_notes_signed_is_final"
                ),
                // The value it had before rotation, back under its retired key: not a move to the active key.
                (
                    "UPDATE progress_notes SET body = \(oldBody), body_key_id = \(oldKey) WHERE id = \(note)",
                    "progress_notes_signed_is_final"
                ),
                // Another value under the same key (the risk detail's bytes as the body).
                ("UPDATE progress_notes SET body = risk_detail WHERE id = \(note)", "progress_notes_signed_is_final"),
                // A key id that the value's header does not name.
                (
                    "UPDATE progress_notes SET body_key_id = \(oldKey) WHERE id = \(note)",
                    "progress_notes_signed_is_final"
                ),
                ("UPDATE note_addenda SET created_at = now() WHERE id = \(addendum)", "note_addenda_final"),
                ("UPDATE note_addenda SET body = reason WHERE id = \(addendum)", "note_addenda_final"),
                ("DELETE FROM note_addenda WHERE id = \(addendum)", "note_addenda_final"),
                ("DELETE FROM progress_notes WHERE id = \(note)", "progress_notes_signed_is_final"),
            ]
            for (statement, constraint) in refusals {
                let error = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                    try await owner.query(statement)
                }
                #expect(error?.constraint == constraint, "\(statement.sql)")
            }
            // Only the tables' owner may re-encrypt; the application role never.
            let ownerMay = try await owner.query("SELECT haven_may_reencrypt('progress_notes'::regclass)")
            #expect(try ownerMay[0].decode(0, as: Bool.self))
            let app = try await TestDatabase.appConfiguration(for: owner.configuration)
            let appMay = try await TestDatabase.withConnection(app) { connection in
                try await connection.query("SELECT haven_may_reencrypt('note_addenda'::regclass)")[0].decode(
                    0,
                    as: Bool.self
                )
            }
            #expect(!appMay)
            #expect(try await setup.keys.verify(pool: owner).failures.isEmpty)
        }
    }
}
