import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("Psychotherapy notes reach only their author", .needsTestDatabase)
struct PsychotherapyNoteTests {
    @Test func onlyTheAuthorReadsEvenASupervisorCannot() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            let service = PsychotherapyNoteService(pool: setup.fixture.app, keys: setup.keys)
            let id = try await service.write(
                "My conjecture: his silence protects him from her disappointment.",
                chart: .couple(couple),
                actor: setup.counselorA
            )
            #expect(try await service.read(id, actor: setup.counselorA).hasPrefix("My conjecture"))
            // Counselor B supervises A: the progress record is in reach, the process notes are not.
            try await setup.fixture.owner.query(
                """
                INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id)
                VALUES (\(setup.fixture.practiceID), \(setup.counselorBID), \(setup.fixture.counselorID))
                """
            )
            var supervisor = setup.counselorB
            supervisor.roles = [.counselor, .supervisor]
            _ = try await setup.charts.couple(couple, actor: supervisor)
            for outsider in [supervisor, setup.admin] {
                let error = await #expect(throws: ServiceError.self) { try await service.read(id, actor: outsider) }
                #expect(error?.kind == .notFound)
            }
            let denials = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "psychotherapy_note.read"),
                    on: connection
                )
            }
            #expect(denials.map(\.entry.outcome) == [.success, .denied, .denied])
        }
    }

    @Test func theyHaveTheirOwnKeyAndNeedAChartInReach() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let service = PsychotherapyNoteService(pool: setup.fixture.app, keys: setup.keys)
            let process = try await service.write("Process note.", chart: .couple(couple), actor: setup.counselorA)
            let (progress, _) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            let subjects = try await setup.fixture.owner.query(
                "SELECT subject_kind FROM data_keys WHERE state = 'active' ORDER BY subject_kind"
            )
            #expect(try subjects.map { try $0.decode(0, as: String.self) } == ["couple", "psychotherapy"])
            // Shredding the process notes leaves the record readable.
            let operatorKeys = KeyManager(ring: setup.keys.ring, logger: TestDatabase.logger)
            let subject = KeySubject(
                kind: .psychotherapy,
                id: "\(couple.uuidString.lowercased()):\(setup.fixture.counselorID.uuidString.lowercased())"
            )
            #expect(try await operatorKeys.shred(subject: subject, pool: setup.fixture.owner) == 1)
            let fresh = PsychotherapyNoteService(
                pool: setup.fixture.app,
                keys: KeyManager(ring: setup.keys.ring, logger: TestDatabase.logger)
            )
            await #expect(throws: SealingError(.keyShredded)) { try await fresh.read(process, actor: setup.counselorA) }
            #expect(try await setup.notes.note(progress, actor: setup.counselorA).draft == NoteService.Draft.sample)
            // Another counselor cannot write process notes on a chart outside their caseload.
            let error = await #expect(throws: ServiceError.self) {
                try await service.write("x", chart: .couple(couple), actor: setup.counselorB)
            }
            #expect(error?.kind == .notFound)
            let empty = await #expect(throws: ServiceError.self) {
                try await service.write("  ", chart: .couple(couple), actor: setup.counselorA)
            }
            #expect(empty?.field == "body")
        }
    }
}
