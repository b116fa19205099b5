import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("Progress notes: drafts, optimistic edits, signing, and the rules the database keeps", .needsTestDatabase)
struct NoteServiceTests {
    @Test func draftEditSignRoundTrip() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, b) = try await setup.completedSession()
            let (id, version) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            #expect(version == 1)
            var note = try await setup.notes.note(id, actor: setup.counselorA)
            #expect(note.draft == NoteService.Draft.sample && !note.signed)
            var edited = NoteService.Draft.sample
            edited.stage = 2
            edited.step = 5
            edited.stepPartnerID = b
            edited.body += " Began step 5 with the withdrawer."
            #expect(
                try await setup.notes.editDraft(id, expectedVersion: 1, draft: edited, actor: setup.counselorA) == 2
            )
            let signature = try await setup.notes.sign(id, expectedVersion: 2, actor: setup.counselorA)
            let hash = signature.contentHash
            #expect(hash.count == 32 && !signature.cosignaturePending)
            note = try await setup.notes.note(id, actor: setup.counselorA)
            #expect(note.signed && note.contentHash == hash && note.draft == edited)
            let again = await #expect(throws: ServiceError.self) {
                try await setup.notes.editDraft(
                    id,
                    expectedVersion: 2,
                    draft: NoteService.Draft.sample,
                    actor: setup.counselorA
                )
            }
            #expect(again?.kind == .conflict && again?.description.contains("addendum") == true)
            // The database itself refuses, whoever asks.
            let owner = await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query("UPDATE progress_notes SET content_hash = NULL WHERE id = \(id)")
            }
            #expect(owner?.constraint == "progress_notes_signed_is_final")
            await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query("DELETE FROM progress_notes WHERE id = \(id)")
            }
        }
    }

    @Test func aStaleEditIsRefusedAndNothingIsLost() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            let (id, _) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            var first = NoteService.Draft.sample
            first.body = "First edit."
            _ = try await setup.notes.editDraft(id, expectedVersion: 1, draft: first, actor: setup.counselorA)
            var stale = NoteService.Draft.sample
            stale.body = "An edit made from the old version."
            let error = await #expect(throws: ServiceError.self) {
                try await setup.notes.editDraft(id, expectedVersion: 1, draft: stale, actor: setup.counselorA)
            }
            #expect(error?.kind == .conflict && error?.field == "version")
            #expect(stale.body == "An edit made from the old version.")
            #expect(try await setup.notes.note(id, actor: setup.counselorA).draft.body == "First edit.")
        }
    }

    @Test func badNotesNameTheFieldAndWriteNothing() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            func attempt(_ change: (inout NoteService.Draft) -> Void) async -> ServiceError? {
                var draft = NoteService.Draft.sample
                change(&draft)
                return await #expect(throws: ServiceError.self) {
                    try await setup.notes.writeDraft(draft, session: session, actor: setup.counselorA)
                }
            }
            #expect(await attempt { $0.step = 6 }?.field == "step")
            #expect(await attempt { $0.stage = 4 }?.field == "stage")
            #expect(await attempt { $0.body = "   " }?.field == "body")
            #expect(await attempt { $0.body = String(repeating: "x", count: 2 << 20) }?.field == "body")
            #expect(await attempt { $0.stepPartnerID = UUID() }?.field == "stepPartnerID")
            #expect(
                await attempt {
                    $0.stage = 2
                    $0.step = 5
                    $0.stepPartnerID = UUID()
                }?.field == "stepPartnerID"
            )
            let cancelled = try await setup.sessions.schedule(
                .couple(try await setup.charts.listCouples(actor: setup.counselorA)[0].id),
                start: Date(timeIntervalSince1970: 1_790_100_000),
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            try await setup.sessions.setStatus(.cancelled, session: cancelled, actor: setup.counselorA)
            let onCancelled = await #expect(throws: ServiceError.self) {
                try await setup.notes.writeDraft(NoteService.Draft.sample, session: cancelled, actor: setup.counselorA)
            }
            #expect(onCancelled?.field == "session" && onCancelled?.description.contains("cancelled") == true)
            let count = try await setup.fixture.owner.query("SELECT count(*) FROM progress_notes")
            #expect(try count[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func anotherCounselorCannotWriteOrReadAndIsAudited() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            let (id, _) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            let write = await #expect(throws: ServiceError.self) {
                try await setup.notes.writeDraft(NoteService.Draft.sample, session: session, actor: setup.counselorB)
            }
            #expect(write?.kind == .notFound)
            let read = await #expect(throws: ServiceError.self) {
                try await setup.notes.note(id, actor: setup.counselorB)
            }
            #expect(read?.kind == .notFound)
            let denials = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, staffID: setup.counselorBID),
                    on: connection
                )
            }
            #expect(denials.map(\.entry.action) == ["note.write", "note.read"])
            #expect(denials.allSatisfy { $0.entry.outcome == .denied })
        }
    }

    @Test func theDatabaseRefusesANoteOnASessionThatIsNotCompleted() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            let session = try await setup.sessions.schedule(
                .couple(couple),
                start: Date(),
                durationMinutes: 60,
                format: .inPerson,
                actor: setup.counselorA
            )
            let key = try await setup.fixture.owner.withConnection { connection in
                try await setup.keys.activeKey(
                    practiceID: setup.fixture.practiceID,
                    subject: KeySubject(kind: .couple, id: couple.uuidString.lowercased()),
                    on: connection
                ).id
            }
            let error = await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query(
                    """
                    INSERT INTO progress_notes (id, practice_id, session_id, author_id, counselor_id, chart_kind, chart_id,
                                                stage, step, body, body_key_id)
                    VALUES (\(UUID()), \(setup.fixture.practiceID), \(session), \(setup.fixture.counselorID), \
                    \(setup.fixture.counselorID), 'couple', \(couple), 1, 1, '\\x00'::bytea, \(key))
                    """
                )
            }
            #expect(error?.constraint == "progress_notes_session_completed")
            try await setup.sessions.setStatus(.completed, session: session, actor: setup.counselorA)
            let stepError = await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.query(
                    """
                    INSERT INTO progress_notes (id, practice_id, session_id, author_id, counselor_id, chart_kind, chart_id,
                                                stage, step, body, body_key_id)
                    VALUES (\(UUID()), \(setup.fixture.practiceID), \(session), \(setup.fixture.counselorID), \
                    \(setup.fixture.counselorID), 'couple', \(couple), 1, 6, '\\x00'::bytea, \(key))
                    """
                )
            }
            #expect(stepError?.constraint == "progress_notes_step_in_stage")
        }
    }
}

@Suite("Writes against shredded keys", .needsTestDatabase)
struct ShreddedWriteTests {
    @Test func aWriteWithAKeyShreddedByAnotherProcessFailsAndWritesNothing() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            // This process caches the couple's active key on its first write.
            _ = try await setup.notes.writeDraft(NoteService.Draft.sample, session: session, actor: setup.counselorA)
            // Another process (the operator's CLI) shreds the couple.
            let operatorKeys = KeyManager(ring: setup.keys.ring, logger: TestDatabase.logger)
            _ = try await operatorKeys.shred(
                subject: KeySubject(kind: .couple, id: couple.uuidString.lowercased()),
                pool: setup.fixture.owner
            )
            let error = await #expect(throws: ServiceError.self) {
                try await setup.notes.writeDraft(NoteService.Draft.sample, session: session, actor: setup.counselorA)
            }
            #expect(error?.kind == .conflict && error?.description.contains("erased") == true)
            let count = try await setup.fixture.owner.query("SELECT count(*) FROM progress_notes")
            #expect(try count[0].decode(0, as: Int.self) == 1)
        }
    }
}
