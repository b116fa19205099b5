import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Attachment injuries and treatment goals", .needsTestDatabase)
struct CoupleRecordServiceTests {
    @Test func injuriesMoveThroughTheResolutionModel() async throws {
        try await ClinicSetup.with { setup in
            let records = CoupleRecordService(pool: setup.fixture.app, keys: setup.keys)
            let (couple, a, _) = try await setup.couple()
            let identified = CalendarDate(year: 2026, month: 9, day: 8)!
            let id = try await records.recordInjury(
                couple: couple,
                injuredPartner: a,
                description: "Left alone at the hospital after the miscarriage.",
                identifiedOn: identified,
                actor: setup.counselorA
            )
            try await records.updateInjury(id, step: 4, status: .inRepair, actor: setup.counselorA)
            let halfway = await #expect(throws: ServiceError.self) {
                try await records.updateInjury(id, step: 8, status: .resolved, actor: setup.counselorA)
            }
            #expect(halfway?.field == "resolvedOn")
            let beforeIdentified = await #expect(throws: ServiceError.self) {
                try await records.updateInjury(
                    id,
                    step: 8,
                    status: .resolved,
                    resolvedOn: identified.adding(days: -1),
                    actor: setup.counselorA
                )
            }
            #expect(beforeIdentified?.kind == .invalidInput && beforeIdentified?.field == "resolvedOn")
            try await records.updateInjury(
                id,
                step: 8,
                status: .resolved,
                resolvedOn: identified.adding(days: 60),
                actor: setup.counselorA
            )
            let injuries = try await records.injuries(couple: couple, actor: setup.counselorA)
            #expect(injuries.count == 1)
            #expect(injuries[0].description.hasPrefix("Left alone"))
            #expect(injuries[0].status == .resolved && injuries[0].resolutionStep == 8)
            let badStep = await #expect(throws: ServiceError.self) {
                try await records.updateInjury(id, step: 9, status: .inRepair, actor: setup.counselorA)
            }
            #expect(badStep?.field == "resolutionStep")
            let stranger = await #expect(throws: ServiceError.self) {
                try await records.recordInjury(
                    couple: couple,
                    injuredPartner: UUID(),
                    description: "x",
                    identifiedOn: identified,
                    actor: setup.counselorA
                )
            }
            #expect(stranger?.field == "injuredPartnerID")
            // Out of reach: "not found" (audited as denied), not an empty list.
            let outside = await #expect(throws: ServiceError.self) {
                try await records.injuries(couple: couple, actor: setup.counselorB)
            }
            #expect(outside?.kind == .notFound)
        }
    }

    @Test func goalsAreSealedAndTracked() async throws {
        try await ClinicSetup.with { setup in
            let records = CoupleRecordService(pool: setup.fixture.app, keys: setup.keys)
            let (couple, _, _) = try await setup.couple()
            let id = try await records.addGoal(
                couple: couple,
                description: "Turn toward each other after conflict.",
                actor: setup.counselorA
            )
            try await records.setGoalStatus(id, status: "in_progress", actor: setup.counselorA)
            let bad = await #expect(throws: ServiceError.self) {
                try await records.setGoalStatus(id, status: "done", actor: setup.counselorA)
            }
            #expect(bad?.field == "status")
            let goals = try await records.goals(couple: couple, actor: setup.counselorA)
            #expect(goals.map(\.status) == ["in_progress"])
            #expect(goals.first?.description == "Turn toward each other after conflict.")
            let stored = try await setup.fixture.owner.query("SELECT description FROM treatment_goals WHERE id = \(id)")
            #expect(!String(decoding: try stored[0].decode(0, as: [UInt8].self), as: UTF8.self).contains("Turn toward"))
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }
}
