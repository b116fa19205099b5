import Foundation
import HavenService
import HavenServiceFixtures

extension ClinicSetup {
    /// A note signed by counselor A on a completed session of their couple.
    func signedNote() async throws -> (note: UUID, session: UUID, couple: UUID, a: UUID, b: UUID) {
        let (session, couple, a, b) = try await completedSession()
        let (note, version) = try await notes.writeDraft(.sample, session: session, actor: counselorA)
        _ = try await notes.sign(note, expectedVersion: version, actor: counselorA)
        return (note, session, couple, a, b)
    }
}
