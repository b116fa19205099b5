import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite(
    "Every audit entry about a chart names its clients, so the accounting of disclosures finds it",
    .needsTestDatabase
)
struct AuditClientIDsTests {
    @Test func entriesAboutACoupleChartCarryBothPartners() async throws {
        try await ClinicSetup.with { setup in
            let (note, _, couple, a, b) = try await setup.signedNote()
            _ = try await setup.notes.addAddendum(
                to: note,
                reason: "Wrong weekday",
                text: "Fictional correction.",
                actor: setup.counselorA
            )
            _ = try await setup.notes.addenda(of: note, actor: setup.counselorA)
            _ = try await setup.notes.list(chart: .couple(couple), actor: setup.counselorA)
            try await setup.fixture.owner.query(
                """
                INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id)
                VALUES (\(setup.fixture.practiceID), \(setup.counselorBID), \(setup.fixture.counselorID))
                """
            )
            var supervisor = setup.counselorB
            supervisor.roles = [.counselor, .supervisor]
            try await setup.notes.cosign(note, actor: supervisor)
            _ = try await setup.sessions.list(chart: .couple(couple), actor: setup.counselorA)

            let records = CoupleRecordService(pool: setup.fixture.app, keys: setup.keys)
            let injury = try await records.recordInjury(
                couple: couple,
                injuredPartner: a,
                description: "Fictional injury.",
                identifiedOn: CalendarDate(year: 2026, month: 10, day: 1)!,
                actor: setup.counselorA
            )
            try await records.updateInjury(injury, step: 2, status: .inRepair, actor: setup.counselorA)
            _ = try await records.injuries(couple: couple, actor: setup.counselorA)
            let goal = try await records.addGoal(
                couple: couple,
                description: "Fictional goal.",
                actor: setup.counselorA
            )
            try await records.setGoalStatus(goal, status: "in_progress", actor: setup.counselorA)
            _ = try await records.goals(couple: couple, actor: setup.counselorA)

            let private_ = PsychotherapyNoteService(pool: setup.fixture.app, keys: setup.keys)
            let kept = try await private_.write(
                "Fictional private note.",
                chart: .couple(couple),
                actor: setup.counselorA
            )
            _ = try await private_.read(kept, actor: setup.counselorA)
            _ = try await ReportService(pool: setup.fixture.app, keys: setup.keys).setSummary(
                "Fictional summary.",
                for: .couple(couple),
                from: CalendarDate(year: 2026, month: 9, day: 1)!,
                to: CalendarDate(year: 2026, month: 11, day: 1)!,
                actor: setup.counselorA
            )

            let expected: Set<String> = [
                "note.addend", "note.read_addenda", "note.list", "note.cosign", "session.list", "injury.record",
                "injury.update", "injury.list", "goal.add", "goal.update", "goal.list", "psychotherapy_note.write",
                "psychotherapy_note.read", "report.summary.set",
            ]
            for client in [a, b] {
                // What `haven audit list --client` and GET /v1/audit?clientId= ask for.
                let found = try await setup.fixture.owner.withConnection { connection in
                    try await AuditStore.list(
                        .init(practiceID: setup.fixture.practiceID, clientID: client),
                        on: connection
                    )
                }
                let actions = Set(found.map(\.entry.action))
                #expect(
                    expected.subtracting(actions).isEmpty,
                    "missing for a partner: \(expected.subtracting(actions))"
                )
            }
            // The same entries, read from the whole log, name exactly the couple's two partners.
            let all = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }
            for entry in all.map(\.entry) where expected.contains(entry.action) {
                #expect(Set(entry.clientIDs) == [a, b], "\(entry.action)")
            }
        }
    }

    @Test func aClientChartsListsNameTheClient() async throws {
        try await ClinicSetup.with { setup in
            let (_, _, a, _) = try await setup.completedSession()
            _ = try await setup.notes.list(chart: .client(a), actor: setup.counselorA)
            _ = try await setup.sessions.list(chart: .client(a), actor: setup.counselorA)
            let found = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID, clientID: a), on: connection)
            }
            let lists = found.map(\.entry).filter { ["note.list", "session.list"].contains($0.action) }
            #expect(lists.map(\.action) == ["note.list", "session.list"])
            #expect(lists.allSatisfy { $0.clientIDs == [a] })
        }
    }
}
