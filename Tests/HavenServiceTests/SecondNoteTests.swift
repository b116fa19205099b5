import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Testing

@Suite("A signed progress note is corrected by addenda, not by a second note", .needsTestDatabase)
struct SecondNoteTests {
    @Test func theAuthorOfASignedNoteCannotWriteAnotherOnTheSameSession() async throws {
        try await ClinicSetup.with { setup in
            let (note, session, couple, _, _) = try await setup.signedNote()
            let refused = await #expect(throws: ServiceError.self) {
                try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA)
            }
            #expect(refused?.kind == .conflict && refused?.reason == NoteService.signedNoteExists)
            #expect(refused?.message.contains(String(note.uuidString.lowercased().prefix(8))) == true)
            // Nothing was written: the session still has its one note, and an addendum is the way.
            let notes = try await setup.notes.list(chart: .couple(couple), actor: setup.counselorA)
            #expect(notes.count == 1)
        }
    }
}
