import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("The counselor's day: sessions with names and what needs doing", .needsTestDatabase)
struct TodayServiceTests {
    @Test func theDayGathersTheCounselorsOwnWorkWithNames() async throws {
        try await ClinicSetup.with { setup in
            let today = TodayService(pool: setup.fixture.app)
            let empty = try await today.day(actor: setup.counselorA)
            #expect(empty.appointments.isEmpty && empty.drafts.isEmpty && empty.measuresDue.isEmpty)

            // A session later today or tomorrow, and one whose time is over but still unmarked.
            let (couple, a, b) = try await setup.couple()
            let soon = try await setup.sessions.schedule(
                .couple(couple),
                start: Date().addingTimeInterval(2 * 3_600),
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            let over = try await setup.sessions.schedule(
                .couple(couple),
                start: Date().addingTimeInterval(-3 * 3_600),
                durationMinutes: 60,
                format: .inPerson,
                actor: setup.counselorA
            )
            // A draft on a completed session, recording high risk.
            let (done, highRiskCouple, _, _) = try await setup.completedSession()
            let (note, _) = try await setup.notes.writeDraft(.highRisk, session: done, actor: setup.counselorA)
            // Homework due yesterday that nobody answered.
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let prompt = try await homework.library(actor: setup.counselorA).first { !$0.joint }!.id
            let assignment = try await homework.assign(
                prompt: prompt,
                couple: highRiskCouple,
                session: done,
                dueOn: CalendarDate(year: 2026, month: 9, day: 28)!,
                today: CalendarDate(year: 2026, month: 9, day: 21)!,
                actor: setup.counselorA
            ).id

            let day = try await today.day(actor: setup.counselorA)
            #expect(day.timeZone == "America/Chicago")
            #expect(day.appointments.map(\.id).contains(soon))
            #expect(day.appointments.first { $0.id == soon }?.chart.names == ["Alex", "Jo"])
            #expect(day.appointments.first { $0.id == soon }?.chart.chart == .couple(couple))
            #expect(day.appointments.first { $0.id == soon }?.sessionType == "conjoint")
            #expect(day.unfinished.map(\.id) == [over])
            #expect(day.drafts.map(\.id) == [note])
            #expect(day.drafts.first?.authorName == "Dana Reyes")
            #expect(day.overdueHomework.map(\.id) == [assignment])
            #expect(day.overdueHomework.first?.partnerID == nil)
            #expect(day.highRisk.map(\.chart) == [.couple(highRiskCouple)])
            // Both partners seen soon are due a CSI; none recorded yet.
            #expect(Set(day.measuresDue.map(\.clientID)) == [a, b])
            #expect(day.measuresDue.allSatisfy { $0.sessionID == soon && $0.lastAdministeredOn == nil })

            // A CSI-4 today takes a partner off the list.
            let measures = MeasureService(pool: setup.fixture.app)
            let csi4 = try await measures.definitionID(code: "CSI-4", actor: setup.counselorA)
            _ = try await measures.record(
                measure: csi4,
                client: a,
                administeredOn: day.date,
                items: [4, 3, 4, 3],
                actor: setup.counselorA
            )
            try await setup.sessions.setStatus(.noShow, session: over, actor: setup.counselorA)
            let later = try await today.day(actor: setup.counselorA)
            #expect(later.measuresDue.map(\.clientID) == [b])
            #expect(later.unfinished.isEmpty)

            // Another counselor's day shows none of it, and the read is audited.
            let other = try await today.day(actor: setup.counselorB)
            #expect(other.appointments.isEmpty && other.drafts.isEmpty && other.highRisk.isEmpty)
            #expect(other.overdueHomework.isEmpty && other.measuresDue.isEmpty && other.unfinished.isEmpty)
            let reads = try await setup.fixture.owner.query(
                "SELECT count(*)::int4 FROM audit_log WHERE action = 'day.read' AND outcome = 'success'"
            )
            #expect(try reads[0].decode(0, as: Int32.self) == 4)
        }
    }

    @Test func aPreLicensedCounselorsSignedNoteWaitsInTheSupervisorsQueue() async throws {
        try await ClinicSetup.with { setup in
            let staff = setup.fixture.staff
            let practice = setup.fixture.practiceID
            let supervisorID = try await staff.createStaff(
                .init(
                    email: "morgan@harbor.example",
                    displayName: "Fictional Morgan",
                    roles: [.counselor, .supervisor],
                    password: StaffFixture.password
                ),
                practiceID: practice,
                source: "test"
            )
            let superviseeID = try await staff.createStaff(
                .init(
                    email: "quinn@harbor.example",
                    displayName: "Fictional Quinn",
                    roles: [.counselor],
                    preLicensed: true,
                    password: StaffFixture.password
                ),
                practiceID: practice,
                source: "test"
            )
            try await staff.addSupervision(
                supervisor: supervisorID,
                supervisee: superviseeID,
                practiceID: practice,
                source: "test"
            )
            let supervisor = try await staff.openSession(for: supervisorID, practiceID: practice, source: "test")
            let supervisee = try await staff.openSession(for: superviseeID, practiceID: practice, source: "test")

            let intake = CalendarDate(year: 2026, month: 9, day: 1)!
            let client = try await setup.charts.createClient(
                .init(legalName: "Fictional Casey Doe", preferredName: "Casey", intakeDate: intake),
                actor: supervisee
            )
            let session = try await setup.sessions.schedule(
                .client(client),
                start: Date(timeIntervalSince1970: 1_790_000_000),
                durationMinutes: 50,
                format: .inPerson,
                actor: supervisee
            )
            try await setup.sessions.setStatus(.completed, session: session, actor: supervisee)
            var draft = NoteService.Draft.sample
            draft.stepPartnerID = nil
            let (note, version) = try await setup.notes.writeDraft(draft, session: session, actor: supervisee)
            let signature = try await setup.notes.sign(note, expectedVersion: version, actor: supervisee)
            #expect(signature.cosignaturePending)

            let today = TodayService(pool: setup.fixture.app)
            let queue = try await today.day(actor: supervisor).toCosign
            #expect(queue.map(\.id) == [note])
            #expect(queue.first?.authorName == "Fictional Quinn" && queue.first?.chart.names == ["Casey"])
            #expect(queue.first?.signedAt != nil)
            #expect(try await today.day(actor: supervisee).awaitingCosignature.map(\.id) == [note])
            // Colleagues who do not supervise Quinn see no queue.
            #expect(try await today.day(actor: setup.counselorA).toCosign.isEmpty)

            try await setup.notes.cosign(note, actor: supervisor)
            #expect(try await today.day(actor: supervisor).toCosign.isEmpty)
            #expect(try await today.day(actor: supervisee).awaitingCosignature.isEmpty)
        }
    }
}
