import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("Client and couple charts behind the service, the caseload wall and the audit log", .needsTestDatabase)
struct ChartServiceTests {
    @Test func aCoupleChartRoundTripsWithSealedConcernsAndIsAudited() async throws {
        try await ClinicSetup.with { setup in
            let (id, a, b) = try await setup.couple()
            let couple = try await setup.charts.couple(id, actor: setup.counselorA)
            #expect(couple.partnerA == a && couple.partnerB == b)
            #expect(couple.presentingConcerns == "They argue about time together; she pursues, he withdraws.")
            let list = try await setup.charts.listCouples(actor: setup.counselorA)
            #expect(list.map(\.partnerA) == ["Alex"] && list.map(\.partnerB) == ["Jo"])
            let stored = try await setup.fixture.owner.query("SELECT presenting_concerns FROM couples WHERE id = \(id)")
            #expect(!String(decoding: try stored[0].decode(0, as: [UInt8].self), as: UTF8.self).contains("pursues"))
            let audit = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID, clientID: a), on: connection)
            }
            #expect(audit.map(\.entry.action) == ["client.create", "couple.create", "couple.read"])
            #expect(audit[1].entry.clientIDs == [a, b])
        }
    }

    @Test func badCouplesNameTheFieldAndWriteNothing() async throws {
        try await ClinicSetup.with { setup in
            let (_, a, b) = try await setup.couple()
            let intake = CalendarDate(year: 2026, month: 9, day: 1)!
            let same = await #expect(throws: ServiceError.self) {
                try await setup.charts.createCouple(
                    partnerA: a,
                    partnerB: a,
                    startDate: intake,
                    presentingConcerns: nil,
                    actor: setup.counselorA
                )
            }
            #expect(same?.field == "partnerB" && same?.kind == .invalidInput)
            let c = try await setup.charts.createClient(
                .init(legalName: "Casey Kim", intakeDate: intake),
                actor: setup.counselorA
            )
            let taken = await #expect(throws: ServiceError.self) {
                try await setup.charts.createCouple(
                    partnerA: a,
                    partnerB: c,
                    startDate: intake,
                    presentingConcerns: nil,
                    actor: setup.counselorA
                )
            }
            #expect(taken?.kind == .conflict)
            // A client of another practice is not reachable: the same answer as one that does not exist.
            let elsewhere = try await setup.fixture.staff.createPractice(name: "Elsewhere")
            let outsider = UUID()
            try await setup.fixture.owner.query(
                """
                INSERT INTO staff (id, practice_id, email, display_name, roles, password_hash)
                VALUES (\(UUID()), \(elsewhere), 'x@elsewhere.example', 'X', '{counselor}', '$scrypt$x')
                """
            )
            try await setup.fixture.owner.query(
                """
                INSERT INTO clients (id, practice_id, legal_name, intake_date, primary_counselor_id)
                SELECT \(outsider), \(elsewhere), 'Outside', '2026-01-01', id FROM staff WHERE practice_id = \(elsewhere)
                """
            )
            let foreign = await #expect(throws: ServiceError.self) {
                try await setup.charts.createCouple(
                    partnerA: c,
                    partnerB: outsider,
                    startDate: intake,
                    presentingConcerns: nil,
                    actor: setup.counselorA
                )
            }
            #expect(foreign?.kind == .notFound)
            let huge = await #expect(throws: ServiceError.self) {
                try await setup.charts.createCouple(
                    partnerA: c,
                    partnerB: b,
                    startDate: intake,
                    presentingConcerns: String(repeating: "x", count: 2 << 20),
                    actor: setup.counselorA
                )
            }
            #expect(huge?.field == "presentingConcerns")
            let count = try await setup.fixture.owner.query("SELECT count(*) FROM couples")
            #expect(try count[0].decode(0, as: Int.self) == 1)
            let badName = await #expect(throws: ServiceError.self) {
                try await setup.charts.createClient(.init(legalName: "  ", intakeDate: intake), actor: setup.counselorA)
            }
            #expect(badName?.field == "legalName")
        }
    }

    @Test func anotherCounselorGetsNotFoundAndTheAttemptIsAudited() async throws {
        try await ClinicSetup.with { setup in
            let (id, _, _) = try await setup.couple()
            let denied = await #expect(throws: ServiceError.self) {
                try await setup.charts.couple(id, actor: setup.counselorB)
            }
            #expect(denied?.kind == .notFound)
            #expect(try await setup.charts.listCouples(actor: setup.counselorB).isEmpty)
            let attempts = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, staffID: setup.counselorBID, action: "couple.read"),
                    on: connection
                )
            }
            #expect(attempts.map(\.entry.outcome) == [.denied])
            #expect(attempts.first?.entry.entityID == id)
            // An admin reads no clinical record by being admin.
            await #expect(throws: ServiceError.self) { try await setup.charts.couple(id, actor: setup.admin) }
            let adminCreate = await #expect(throws: ServiceError.self) {
                try await setup.charts.createClient(
                    .init(legalName: "X", intakeDate: CalendarDate(year: 2026, month: 1, day: 1)!),
                    actor: setup.admin
                )
            }
            #expect(adminCreate?.kind == .forbidden)
        }
    }

    @Test func aSupervisorReachesASuperviseesCaseload() async throws {
        try await ClinicSetup.with { setup in
            let (id, _, _) = try await setup.couple()
            try await setup.fixture.owner.query(
                """
                INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id)
                VALUES (\(setup.fixture.practiceID), \(setup.counselorBID), \(setup.fixture.counselorID))
                """
            )
            var supervisor = setup.counselorB
            supervisor.roles = [.counselor, .supervisor]
            let couple = try await setup.charts.couple(id, actor: supervisor)
            #expect(couple.counselorID == setup.fixture.counselorID)
            #expect(try await setup.charts.listCouples(actor: supervisor).count == 1)
        }
    }

    /// The caseload's stage, step and risk come from the latest note by session date, not by when it was
    /// written, and its risk from the latest note that records one. A couple: the later session's note
    /// (stage 2, no risk) written first, then a high-risk stage-1 note caught up on the earlier session.
    /// Partner A's own chart: a high-risk note on the earlier session written first, then the later
    /// session's note without a risk level. Partner A's individual sessions also count as the couple's
    /// last session.
    @Test func theCaseloadTakesTheLatestNoteBySessionDateNotTheLastWritten() async throws {
        try await ClinicSetup.with { setup in
            let (earlier, couple, a, _) = try await setup.completedSession()
            let day = 86_400.0
            func completed(_ chart: ChartReference, daysAfter days: Double) async throws -> UUID {
                let id = try await setup.sessions.schedule(
                    chart,
                    start: Date(timeIntervalSince1970: 1_790_000_000 + days * day),
                    durationMinutes: 50,
                    format: .inPerson,
                    actor: setup.counselorA
                )
                try await setup.sessions.setStatus(.completed, session: id, actor: setup.counselorA)
                return id
            }
            func write(stage: Int, step: Int, risk: RiskLevel?, on session: UUID) async throws {
                var draft = NoteService.Draft.sample
                draft.stage = stage
                draft.step = step
                draft.riskLevel = risk
                _ = try await setup.notes.writeDraft(draft, session: session, actor: setup.counselorA)
            }
            let later = try await completed(.couple(couple), daysAfter: 7)
            try await write(stage: 2, step: 5, risk: RiskLevel.none, on: later)
            try await write(stage: 1, step: 2, risk: .high, on: earlier)

            let firstAlone = try await completed(.client(a), daysAfter: 1)
            let secondAlone = try await completed(.client(a), daysAfter: 8)
            try await write(stage: 1, step: 3, risk: .high, on: firstAlone)
            try await write(stage: 3, step: 8, risk: nil, on: secondAlone)

            let couples = try await setup.charts.listCouples(actor: setup.counselorA)
            #expect(couples.count == 1)
            #expect(couples[0].stage == 2 && couples[0].step == 5 && !couples[0].highRisk)
            #expect(couples[0].lastSession == Date(timeIntervalSince1970: 1_790_000_000 + 8 * day))
            let summary = try await setup.charts.listClientSummaries(actor: setup.counselorA)
                .first { $0.client.id == a }
            #expect(summary?.stage == 3 && summary?.step == 8 && summary?.riskLevel == "high")
            #expect(summary?.lastSession == Date(timeIntervalSince1970: 1_790_000_000 + 8 * day))
        }
    }

    /// Two notes of one session written at the same instant (one transaction) tie on session date and
    /// writing time; the larger note id wins, for the stage and step and for the high-risk flag alike,
    /// whichever plan the database picks (migration 0072). The twin is copied in by the owner.
    @Test func aTieOnSessionAndWritingTimeGoesToTheLargerNoteID() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            var draft = NoteService.Draft.sample
            draft.stage = 1
            draft.step = 2
            draft.riskLevel = RiskLevel.none
            let written = try await setup.notes.writeDraft(draft, session: session, actor: setup.counselorA).id
            let twins = [
                ("ffffffff-ffff-4fff-bfff-ffffffffffff", true),
                ("00000000-0000-4000-8000-000000000000", false),
            ]
            for (twin, twinWins) in twins {
                let twinID = UUID(uuidString: twin)!
                _ = try await setup.fixture.owner.query(
                    """
                    INSERT INTO progress_notes (id, practice_id, session_id, author_id, counselor_id, chart_kind,
                        chart_id, stage, step, interventions, risk_level, body, body_key_id, created_at, updated_at)
                    SELECT \(twinID), practice_id, session_id, author_id, counselor_id, chart_kind, chart_id, 3, 8,
                           interventions, 'high', body, body_key_id, created_at, updated_at
                    FROM progress_notes WHERE id = \(written)
                    """
                )
                let couple = try await setup.charts.listCouples(actor: setup.counselorA)[0]
                #expect(couple.highRisk == twinWins, "twin \(twin)")
                #expect(couple.stage == (twinWins ? 3 : 1) && couple.step == (twinWins ? 8 : 2), "twin \(twin)")
                _ = try await setup.fixture.owner.query("DELETE FROM progress_notes WHERE id = \(twinID)")
            }
        }
    }
}

@Suite("The application role cannot widen its own reach", .needsTestDatabase)
struct AppRoleReachTests {
    @Test func staffSupervisionAndPracticesAreOperatorOnly() async throws {
        try await ClinicSetup.with { setup in
            let statements: [PostgresQuery] = [
                """
                INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id)
                VALUES (\(setup.fixture.practiceID), \(setup.counselorBID), \(setup.fixture.counselorID))
                """,
                "UPDATE staff SET roles = '{admin,counselor,supervisor}' WHERE id = \(setup.counselorBID)",
                "UPDATE practices SET retention_years = 1",
            ]
            for statement in statements {
                let error = await #expect(throws: PostgresError.self) {
                    try await setup.fixture.app.transaction(as: setup.counselorB) { connection in
                        try await connection.execute(statement)
                    }
                }
                #expect(error?.code == .insufficientPrivilege)
            }
        }
    }

    @Test func aCoupleCannotBeFormedWithAnotherCounselorsClient() async throws {
        try await ClinicSetup.with { setup in
            let (_, a, _) = try await setup.couple()
            let intake = CalendarDate(year: 2026, month: 9, day: 1)!
            let mine = try await setup.charts.createClient(
                .init(legalName: "Robin Fox", intakeDate: intake),
                actor: setup.counselorB
            )
            // Going around the service: the database itself refuses a partner outside the caseload.
            let error = await #expect(throws: PostgresError.self) {
                try await setup.fixture.app.transaction(as: setup.counselorB) { connection in
                    try await connection.execute(
                        """
                        INSERT INTO couples (id, practice_id, partner_a_id, partner_b_id, counselor_id, start_date, status)
                        VALUES (\(UUID()), \(setup.fixture.practiceID), \(a), \(mine), \(setup.counselorBID), \(intake), 'discharged')
                        """
                    )
                }
            }
            #expect(error?.code == .insufficientPrivilege)
        }
    }

    @Test func anErasedChartGetsNoNewKey() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let operatorKeys = KeyManager(ring: setup.keys.ring, logger: TestDatabase.logger)
            _ = try await operatorKeys.shred(
                subject: KeySubject(kind: .couple, id: couple.uuidString.lowercased()),
                pool: setup.fixture.owner
            )
            // This process never cached the couple's key: a fresh lookup must not create a new one.
            setup.keys.forgetActiveKeys()
            let fresh = NoteService(
                pool: setup.fixture.app,
                keys: KeyManager(ring: setup.keys.ring, logger: TestDatabase.logger)
            )
            let error = await #expect(throws: ServiceError.self) {
                try await fresh.writeDraft(NoteService.Draft.sample, session: session, actor: setup.counselorA)
            }
            #expect(error?.kind == .conflict && error?.description.contains("erased") == true)
            let keys = try await setup.fixture.owner.query("SELECT count(*) FROM data_keys WHERE state = 'active'")
            #expect(try keys[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func theCaseloadListShowsStageStepAndSessions() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, a, _) = try await setup.completedSession()
            let empty = try await setup.charts.listCouples(actor: setup.counselorA)
            #expect(empty.count == 1 && empty[0].stage == nil && empty[0].nextSession == nil)
            var draft = NoteService.Draft.sample
            draft.stage = 2
            draft.step = 5
            draft.riskLevel = .high
            _ = try await setup.notes.writeDraft(draft, session: session, actor: setup.counselorA)
            let next = Date(timeIntervalSince1970: 1_800_000_000)
            _ = try await setup.sessions.schedule(
                .couple(couple),
                start: next,
                durationMinutes: 50,
                format: .video,
                riskOverrideReason: "Safety plan reviewed; both partners asked to continue conjoint work.",
                actor: setup.counselorA
            )
            let now = Date(timeIntervalSince1970: 1_795_000_000)
            var list = try await setup.charts.listCouples(now: now, actor: setup.counselorA)
            #expect(list[0].nextSession == next)
            // An individual session with one partner comes first: it is the couple's next session.
            let individual = Date(timeIntervalSince1970: 1_796_000_000)
            _ = try await setup.sessions.schedule(
                .client(a),
                start: individual,
                durationMinutes: 50,
                format: .inPerson,
                actor: setup.counselorA
            )
            list = try await setup.charts.listCouples(now: now, actor: setup.counselorA)
            #expect(list[0].nextSession == individual)
            list = try await setup.charts.listCouples(now: individual.addingTimeInterval(60), actor: setup.counselorA)
            #expect(list.count == 1)
            #expect(list[0].stage == 2 && list[0].step == 5 && list[0].highRisk)
            #expect(list[0].lastSession == Date(timeIntervalSince1970: 1_790_000_000) && list[0].nextSession == next)
            #expect(try await setup.charts.listCouples(counselor: setup.counselorBID, actor: setup.counselorA).isEmpty)
            #expect(try await setup.charts.listCouples(actor: setup.counselorB).isEmpty)
        }
    }
}
