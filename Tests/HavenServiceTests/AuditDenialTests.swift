import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Every refusal of reach or role is audited as denied; entries name the chart's clients", .needsTestDatabase)
struct AuditDenialTests {
    @Test func anotherCounselorsAttemptsAreEachOnRecord() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, a, b) = try await setup.completedSession()
            let (note, version) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            let outsider = setup.counselorB
            let records = CoupleRecordService(pool: setup.fixture.app, keys: setup.keys)
            let measures = MeasureService(pool: setup.fixture.app)
            let csi4 = try await measures.definitionID(code: "CSI-4", actor: setup.counselorA)
            let today = CalendarDate(year: 2026, month: 11, day: 22)!
            let attempts: [(String, () async throws -> Void)] = [
                (
                    "note.edit",
                    {
                        _ = try await setup.notes.editDraft(
                            note,
                            expectedVersion: version,
                            draft: NoteService.Draft.sample,
                            actor: outsider
                        )
                    }
                ),
                ("note.sign", { _ = try await setup.notes.sign(note, expectedVersion: version, actor: outsider) }),
                ("note.read", { _ = try await setup.notes.note(note, actor: outsider) }),
                (
                    "session.schedule",
                    {
                        _ = try await setup.sessions.schedule(
                            .couple(couple),
                            start: Date(),
                            durationMinutes: 50,
                            format: .video,
                            actor: outsider
                        )
                    }
                ),
                (
                    "session.cancelled",
                    { try await setup.sessions.setStatus(.cancelled, session: session, actor: outsider) }
                ),
                (
                    "injury.record",
                    {
                        _ = try await records.recordInjury(
                            couple: couple,
                            injuredPartner: a,
                            description: "x",
                            identifiedOn: today,
                            actor: outsider
                        )
                    }
                ),
                ("goal.add", { _ = try await records.addGoal(couple: couple, description: "x", actor: outsider) }),
                (
                    "measure.record",
                    {
                        _ = try await measures.record(
                            measure: csi4,
                            client: a,
                            administeredOn: today,
                            items: [3, 3, 3, 3],
                            actor: outsider
                        )
                    }
                ),
                ("note.cosign", { try await setup.notes.cosign(note, actor: outsider) }),
                (
                    "couple.status.set",
                    { _ = try await setup.charts.setStatus(.discharged, of: .couple(couple), actor: outsider) }
                ),
                (
                    "couple.create",
                    {
                        _ = try await setup.charts.createCouple(
                            partnerA: a,
                            partnerB: b,
                            startDate: today,
                            presentingConcerns: nil,
                            actor: outsider
                        )
                    }
                ),
            ]
            for (action, attempt) in attempts {
                let error = await #expect(throws: ServiceError.self, "\(action)") { try await attempt() }
                #expect(error?.kind == .notFound || error?.kind == .forbidden, "\(action)")
            }
            let entries = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, staffID: setup.counselorBID),
                    on: connection
                )
            }.map(\.entry)
            #expect(entries.allSatisfy { $0.outcome == .denied })
            #expect(entries.map(\.action).sorted() == attempts.map(\.0).sorted())
            // Nothing was written by the attempts.
            let rows = try await setup.fixture.owner.query(
                """
                SELECT (SELECT count(*) FROM therapy_sessions) + (SELECT count(*) FROM attachment_injuries)
                     + (SELECT count(*) FROM treatment_goals) + (SELECT count(*) FROM measure_administrations)
                     + (SELECT count(*) FROM note_cosignatures) + (SELECT count(*) FROM couples)
                """
            )[0].decode(0, as: Int.self)
            #expect(rows == 2)

            // The counselor's own reads and session changes list the chart's clients.
            _ = try await setup.notes.note(note, actor: setup.counselorA)
            _ = try await setup.notes.sign(note, expectedVersion: version, actor: setup.counselorA)
            let own = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, staffID: setup.fixture.counselorID),
                    on: connection
                )
            }.map(\.entry)
            for action in ["note.read", "note.sign", "session.schedule", "session.completed", "note.write"] {
                let entry = try #require(own.first { $0.action == action }, "\(action)")
                #expect(Set(entry.clientIDs) == [a, b], "\(action)")
            }
        }
    }

    /// One entity name per record: a refused homework response used to be audited on `assignment`
    /// while an accepted one was on `homework_assignment`, so filtering by entity missed refusals.
    @Test func aHomeworkResponseIsAuditedOnTheSameEntityWhetherAcceptedOrRefused() async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, a, _) = try await setup.completedSession()
            let solo = try #require(try await homework.library(actor: setup.counselorA).first { !$0.joint }).id
            let today = CalendarDate(year: 2026, month: 11, day: 22)!
            let assignment = try await homework.assign(
                prompt: solo,
                couple: couple,
                session: session,
                dueOn: today,
                today: today,
                actor: setup.counselorA
            ).id
            await #expect(throws: ServiceError.self) {
                try await homework.recordResponse(
                    assignment: assignment,
                    partner: a,
                    completion: .completed,
                    actor: setup.counselorB
                )
            }
            try await homework.recordResponse(
                assignment: assignment,
                partner: a,
                completion: .completed,
                actor: setup.counselorA
            )
            let entries = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "homework.respond"),
                    on: connection
                )
            }.map(\.entry)
            #expect(entries.map(\.outcome) == [.denied, .success])
            #expect(entries.allSatisfy { $0.entityType == "homework_assignment" && $0.entityID == assignment })
        }
    }
}
