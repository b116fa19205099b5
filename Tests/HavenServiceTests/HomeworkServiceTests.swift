import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("Homework: the library, assignments and the high-risk safety check", .needsTestDatabase)
struct HomeworkServiceTests {
    static let today = CalendarDate(year: 2026, month: 11, day: 22)!

    @Test func theLibraryCoversEveryCategoryAndStage() async throws {
        try await ClinicSetup.with { setup in
            let library = try await HomeworkService(pool: setup.fixture.app, keys: setup.keys).library(
                actor: setup.counselorA
            )
            #expect(library.count >= 16)
            #expect(Set(library.map(\.category)) == Set(HomeworkCategory.allCases))
            #expect(Set(library.flatMap(\.stages)) == Set(EFTStage.allCases))
            #expect(library.allSatisfy { $0.builtIn && !$0.instructions.isEmpty })
            #expect(library.contains { $0.joint } && library.contains { !$0.joint })
        }
    }

    @Test func assignmentsValidateTheirFields() async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, a, _) = try await setup.completedSession()
            let prompt = try await homework.library(actor: setup.counselorA)[0].id
            let id = try await homework.assign(
                prompt: prompt,
                couple: couple,
                partner: a,
                session: session,
                dueOn: Self.today.adding(days: 7),
                recurrence: .weekly,
                today: Self.today,
                actor: setup.counselorA
            ).id
            #expect(
                try await setup.fixture.owner.query("SELECT 1 FROM homework_assignments WHERE id = \(id)").count == 1
            )
            let early = await #expect(throws: ServiceError.self) {
                try await homework.assign(
                    prompt: prompt,
                    couple: couple,
                    session: session,
                    dueOn: Self.today.adding(days: -1),
                    today: Self.today,
                    actor: setup.counselorA
                )
            }
            #expect(early?.field == "dueOn")
            let stranger = await #expect(throws: ServiceError.self) {
                try await homework.assign(
                    prompt: prompt,
                    couple: couple,
                    partner: UUID(),
                    session: session,
                    dueOn: Self.today,
                    today: Self.today,
                    actor: setup.counselorA
                )
            }
            #expect(stranger?.field == "partnerID")
            let outside = await #expect(throws: ServiceError.self) {
                try await homework.assign(
                    prompt: prompt,
                    couple: couple,
                    session: session,
                    dueOn: Self.today,
                    today: Self.today,
                    actor: setup.counselorB
                )
            }
            #expect(outside?.kind == .notFound)
        }
    }

    @Test func jointExercisesForAHighRiskCoupleNeedAnAuditedOverride() async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, _, _) = try await setup.completedSession()
            _ = try await setup.notes.writeDraft(.highRisk, session: session, actor: setup.counselorA)
            let library = try await homework.library(actor: setup.counselorA)
            let joint = try #require(library.first { $0.joint }).id
            let solo = try #require(library.first { !$0.joint }).id
            let refused = await #expect(throws: ServiceError.self) {
                try await homework.assign(
                    prompt: joint,
                    couple: couple,
                    session: session,
                    dueOn: Self.today,
                    today: Self.today,
                    actor: setup.counselorA
                )
            }
            #expect(refused?.field == "riskOverrideReason")
            _ = try await homework.assign(
                prompt: solo,
                couple: couple,
                session: session,
                dueOn: Self.today,
                today: Self.today,
                actor: setup.counselorA
            )
            let overridden = try await homework.assign(
                prompt: joint,
                couple: couple,
                session: session,
                dueOn: Self.today,
                today: Self.today,
                riskOverrideReason: "Safety plan in place; exercise limited to the session room.",
                actor: setup.counselorA
            ).id
            let audit = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }
            #expect(
                audit.filter { $0.entry.action.hasPrefix("homework.assign") }.map(\.entry.action) == [
                    "homework.assign", "homework.assign", "homework.assign.risk_override",
                ]
            )
            #expect(audit.contains { $0.entry.action == "homework.assign" && $0.entry.outcome == .denied })
            #expect(audit.contains { $0.entry.entityID == overridden })
            let stored = try await setup.fixture.owner.query(
                "SELECT risk_override_reason FROM homework_assignments WHERE id = \(overridden)"
            )
            #expect(!String(decoding: try stored[0].decode(0, as: [UInt8].self), as: UTF8.self).contains("Safety plan"))
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }
}

@Suite("Homework responses and the open list", .needsTestDatabase)
struct HomeworkResponseTests {
    @Test func responsesAreSealedPerPartnerAndCloseTheAssignment() async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, a, b) = try await setup.completedSession()
            let library = try await homework.library(actor: setup.counselorA)
            let today = HomeworkServiceTests.today
            let both = try await homework.assign(
                prompt: library[0].id,
                couple: couple,
                session: session,
                dueOn: today.adding(days: 3),
                today: today,
                actor: setup.counselorA
            ).id
            let onlyA = try await homework.assign(
                prompt: library[1].id,
                couple: couple,
                partner: a,
                session: session,
                dueOn: today,
                today: today,
                actor: setup.counselorA
            ).id
            var open = try await homework.openAssignments(today: today.adding(days: 1), actor: setup.counselorA)
            #expect(open.map(\.id) == [onlyA, both])
            #expect(open.map(\.status) == [.overdue, .assigned])
            try await homework.recordResponse(
                assignment: both,
                partner: a,
                completion: .completed,
                text: "We did it twice; the second time felt easier.",
                actor: setup.counselorA
            )
            let wrong = await #expect(throws: ServiceError.self) {
                try await homework.recordResponse(
                    assignment: onlyA,
                    partner: b,
                    completion: .completed,
                    actor: setup.counselorA
                )
            }
            #expect(wrong?.field == "partnerID")
            try await homework.recordResponse(
                assignment: both,
                partner: b,
                completion: .skipped,
                actor: setup.counselorA
            )
            // Recording again replaces that partner's response.
            try await homework.recordResponse(
                assignment: both,
                partner: b,
                completion: .partlyCompleted,
                actor: setup.counselorA
            )
            open = try await homework.openAssignments(today: today, actor: setup.counselorA)
            #expect(open.map(\.id) == [onlyA])
            let stored = try await setup.fixture.owner.query(
                "SELECT completion, response FROM homework_responses WHERE assignment_id = \(both) ORDER BY completion"
            )
            #expect(try stored.map { try $0.decode(0, as: String.self) } == ["completed", "partly_completed"])
            let text = try stored[0].decode(1, as: [UInt8].self)
            #expect(!String(decoding: text, as: UTF8.self).contains("easier"))
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }
}

@Suite("Conjoint sessions for a high-risk couple", .needsTestDatabase)
struct HighRiskSchedulingTests {
    @Test func aConjointSessionNeedsAnOverrideButAnIndividualOneDoesNot() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, a, _) = try await setup.completedSession()
            _ = try await setup.notes.writeDraft(.highRisk, session: session, actor: setup.counselorA)
            let next = Date(timeIntervalSince1970: 1_790_600_000)
            let refused = await #expect(throws: ServiceError.self) {
                try await setup.sessions.schedule(
                    .couple(couple),
                    start: next,
                    durationMinutes: 60,
                    format: .inPerson,
                    actor: setup.counselorA
                )
            }
            #expect(refused?.field == "riskOverrideReason")
            _ = try await setup.sessions.schedule(
                .client(a),
                start: next,
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            let overridden = try await setup.sessions.schedule(
                .couple(couple),
                start: next.addingTimeInterval(86_400),
                durationMinutes: 60,
                format: .inPerson,
                riskOverrideReason: "Safety plan reviewed; both partners asked for a joint session.",
                actor: setup.counselorA
            )
            let audit = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }
            #expect(audit.contains { $0.entry.action == "session.schedule" && $0.entry.outcome == .denied })
            #expect(
                audit.contains {
                    $0.entry.action == "session.schedule.risk_override" && $0.entry.entityID == overridden
                }
            )
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }

    @Test(arguments: ["ok", "   ok   ", "\n\n", "Looks fine to me."])
    func aTokenReasonIsRefusedForASessionAndAJointExerciseAlike(reason: String) async throws {
        try await ClinicSetup.with { setup in
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let (session, couple, _, _) = try await setup.completedSession()
            _ = try await setup.notes.writeDraft(.highRisk, session: session, actor: setup.counselorA)
            let joint = try #require(try await homework.library(actor: setup.counselorA).first { $0.joint }).id
            let scheduling = await #expect(throws: ServiceError.self) {
                try await setup.sessions.schedule(
                    .couple(couple),
                    start: Date(timeIntervalSince1970: 1_790_600_000),
                    durationMinutes: 60,
                    format: .inPerson,
                    riskOverrideReason: reason,
                    actor: setup.counselorA
                )
            }
            let assigning = await #expect(throws: ServiceError.self) {
                try await homework.assign(
                    prompt: joint,
                    couple: couple,
                    session: session,
                    dueOn: HomeworkServiceTests.today,
                    today: HomeworkServiceTests.today,
                    riskOverrideReason: reason,
                    actor: setup.counselorA
                )
            }
            for refusal in [scheduling, assigning] {
                #expect(refusal?.kind == .invalidInput && refusal?.field == "riskOverrideReason")
                #expect(refusal?.message == "must say why, in 20 to 1000 characters")
            }
            let written = try await setup.fixture.owner.query(
                """
                SELECT (SELECT count(*) FROM therapy_sessions WHERE couple_id = \(couple)),
                       (SELECT count(*) FROM homework_assignments WHERE couple_id = \(couple))
                """
            )[0].decode((Int, Int).self)
            #expect(written == (1, 0))
        }
    }
}
