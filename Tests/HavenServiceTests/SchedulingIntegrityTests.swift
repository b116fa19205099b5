import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Scheduling integrity: session types, overlaps, status corrections", .needsTestDatabase)
struct SchedulingIntegrityTests {
    static let monday = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func aSessionRecordsItsTypeAndServiceCodeWithDefaultsByChart() async throws {
        try await ClinicSetup.with { setup in
            let (couple, a, _) = try await setup.couple()
            _ = try await setup.sessions.schedule(
                .couple(couple),
                start: Self.monday,
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            _ = try await setup.sessions.schedule(
                .client(a),
                start: Self.monday.addingTimeInterval(3_600),
                durationMinutes: 50,
                format: .video,
                type: .assessment,
                serviceCode: try ServiceCode(" 90791 "),
                actor: setup.counselorA
            )
            let couples = try await setup.sessions.list(chart: .couple(couple), actor: setup.counselorA)
            #expect(couples.map(\.sessionType) == ["conjoint"] && couples[0].serviceCode == nil)
            let clients = try await setup.sessions.list(chart: .client(a), actor: setup.counselorA)
            #expect(clients.map(\.sessionType) == ["assessment"] && clients[0].serviceCode == "90791")
            // A conjoint session is a couple's; an individual session one client's: refused, nothing written.
            for (chart, type) in [(ChartReference.client(a), SessionType.conjoint), (.couple(couple), .individual)] {
                let error = await #expect(throws: ServiceError.self) {
                    try await setup.sessions.schedule(
                        chart,
                        start: Self.monday.addingTimeInterval(86_400),
                        durationMinutes: 50,
                        format: .video,
                        type: type,
                        actor: setup.counselorA
                    )
                }
                #expect(error?.field == "sessionType")
            }
            #expect(try await setup.sessions.list(chart: .client(a), actor: setup.counselorA).count == 1)
        }
    }

    @Test(arguments: ["9084", "908477", "90847-", "90847-9", "90837-95-GT-XX", "90 847", ""])
    func aMalformedServiceCodeIsRefused(code: String) {
        #expect(throws: DomainError.self) { try ServiceCode(code) }
    }

    @Test func aWellFormedServiceCodeIsUppercased() throws {
        #expect(try ServiceCode("g0176").code == "G0176")
        #expect(try ServiceCode("90837-95").code == "90837-95")
        #expect(try ServiceCode("90847-hq-95").code == "90847-HQ-95")
    }

    @Test func theDatabaseRefusesAnUnknownTypeAndAMalformedCode() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            let id = try await setup.sessions.schedule(
                .couple(couple),
                start: Self.monday,
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            for statement: PostgresQuery in [
                "UPDATE therapy_sessions SET session_type = 'group' WHERE id = \(id)",
                "UPDATE therapy_sessions SET session_type = 'individual' WHERE id = \(id)",
                "UPDATE therapy_sessions SET service_code = '9084' WHERE id = \(id)",
            ] {
                await #expect(throws: PostgresError.self) {
                    try await setup.fixture.owner.withConnection { try await $0.query(statement) }
                }
            }
        }
    }

    @Test func aCounselorIsNotDoubleBookedButMayOverlapOnPurpose() async throws {
        try await ClinicSetup.with { setup in
            let (couple, a, _) = try await setup.couple()
            let (other, _, _) = try await setup.couple()
            let first = try await setup.sessions.schedule(
                .couple(couple),
                start: Self.monday,
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            // Half an hour in: refused, naming the other session's time and id, nothing written.
            let half = Self.monday.addingTimeInterval(1_800)
            let error = await #expect(throws: ServiceError.self) {
                try await setup.sessions.schedule(
                    .couple(other),
                    start: half,
                    durationMinutes: 50,
                    format: .video,
                    actor: setup.counselorA
                )
            }
            #expect(error?.kind == .conflict && error?.field == "start" && error?.reason == "session-overlap")
            #expect(error?.message.contains(ISO8601DateFormatter().string(from: Self.monday)) == true)
            #expect(error?.message.contains(first.uuidString.lowercased().prefix(8)) == true)
            #expect(try await setup.sessions.list(chart: .couple(other), actor: setup.counselorA).isEmpty)
            // Back to back is no overlap; another counselor at the same time is none either.
            _ = try await setup.sessions.schedule(
                .couple(other),
                start: Self.monday.addingTimeInterval(3_000),
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            // On purpose: booked, audited, and the answer says what it overlaps.
            let booking = try await setup.sessions.book(
                .client(a),
                start: half,
                durationMinutes: 30,
                format: .phone,
                allowOverlap: true,
                actor: setup.counselorA
            )
            #expect(booking.warnings.contains { $0.contains("deliberate overlap") })
            // A cancelled session frees its slot.
            try await setup.sessions.setStatus(.cancelled, session: first, actor: setup.counselorA)
            _ = try await setup.sessions.schedule(
                .couple(couple),
                start: Self.monday.addingTimeInterval(-600),
                durationMinutes: 20,
                format: .video,
                actor: setup.counselorA
            )
            let audit = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }
            #expect(audit.contains { $0.entry.action == "session.schedule" && $0.entry.outcome == .denied })
            #expect(
                audit.contains {
                    $0.entry.action == "session.schedule.overlap" && $0.entry.entityID == booking.id
                        && $0.entry.clientIDs == [a]
                }
            )
        }
    }

    @Test func aCounselorOutsideOnesReachIsRefusedNamingTheField() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            for stranger in [UUID(), setup.counselorBID] {
                let refused = await #expect(throws: ServiceError.self) {
                    try await setup.sessions.book(
                        .couple(couple),
                        start: Self.monday,
                        durationMinutes: 50,
                        format: .video,
                        counselorID: stranger,
                        actor: setup.counselorA
                    )
                }
                #expect(refused?.kind == .invalidInput && refused?.field == "counselorId")
            }
            #expect(try await setup.fixture.owner.query("SELECT 1 FROM therapy_sessions").count == 0)
        }
    }

    @Test func anOverlapWithTheSameClientIsWarnedNotRefused() async throws {
        try await ClinicSetup.with { setup in
            let (couple, a, _) = try await setup.couple()
            // Counselor B sees partner A individually; counselor A books the couple at the same time.
            let individual = try await setup.sessions.book(
                .client(a),
                start: Self.monday,
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            #expect(individual.warnings.isEmpty)
            try await setup.fixture.owner.withConnection { connection in
                _ = try await connection.query(
                    "UPDATE therapy_sessions SET counselor_id = \(setup.counselorBID) WHERE id = \(individual.id)"
                )
            }
            let conjoint = try await setup.sessions.book(
                .couple(couple),
                start: Self.monday.addingTimeInterval(600),
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            #expect(conjoint.warnings.count == 1)
            #expect(conjoint.warnings[0].contains(individual.id.uuidString.lowercased().prefix(8)))
            #expect(conjoint.warnings[0].contains("also have a session"))
        }
    }

    @Test func twoConcurrentBookingsOfOneCounselorCannotBothWin() async throws {
        try await ClinicSetup.with { setup in
            var charts: [UUID] = []
            for _ in 0..<6 { charts.append(try await setup.couple().couple) }
            let sessions = setup.sessions
            let actor = setup.counselorA
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for chart in charts {
                    group.addTask {
                        do {
                            _ = try await sessions.schedule(
                                .couple(chart),
                                start: Self.monday,
                                durationMinutes: 50,
                                format: .video,
                                actor: actor
                            )
                            return true
                        } catch let error as ServiceError where error.kind == .conflict {
                            return false
                        } catch {
                            Issue.record("unexpected \(error)")
                            return false
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            let held = try await setup.fixture.owner.withConnection { connection in
                try await connection.query(
                    "SELECT count(*) FROM therapy_sessions WHERE counselor_id = \(setup.fixture.counselorID)"
                )[0].decode(Int64.self)
            }
            #expect(held == 1)
        }
    }

    @Test func theDatabaseHoldsTheRuleForAnyWriter() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            let first = try await setup.sessions.schedule(
                .couple(couple),
                start: Self.monday,
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            // Even the owner role cannot slip a second session into a held slot.
            let error = await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.withConnection { connection in
                    _ = try await connection.query(
                        """
                        INSERT INTO therapy_sessions (id, practice_id, couple_id, counselor_id, scheduled_start,
                                                      duration_minutes, format, session_type)
                        SELECT gen_random_uuid(), practice_id, couple_id, counselor_id, scheduled_start + interval '10 minutes',
                               30, format, session_type
                        FROM therapy_sessions WHERE id = \(first)
                        """
                    )
                }
            }
            #expect(error?.sqlState == "23P01")
        }
    }

    /// The service and the database allow the same lengths, and the slot check (which reads only the
    /// sessions starting less than the longest length before a new one, 0065) still sees the longest.
    @Test func theLongestSessionHoldsItsWholeSlot() async throws {
        try await ClinicSetup.with { setup in
            let longest = try await setup.fixture.owner.query("SELECT haven_session_longest_minutes()")
            #expect(try longest[0].decode(0, as: Int32.self) == Int32(SessionService.durationMinutes.upperBound))
            let (couple, _, _) = try await setup.couple()
            let (other, _, _) = try await setup.couple()
            let minutes = SessionService.durationMinutes.upperBound
            _ = try await setup.sessions.schedule(
                .couple(couple),
                start: Self.monday,
                durationMinutes: minutes,
                format: .video,
                actor: setup.counselorA
            )
            // A minute before the long session ends: refused; as it ends: booked.
            let error = await #expect(throws: ServiceError.self) {
                _ = try await setup.sessions.schedule(
                    .couple(other),
                    start: Self.monday.addingTimeInterval(Double(minutes - 1) * 60),
                    durationMinutes: 50,
                    format: .video,
                    actor: setup.counselorA
                )
            }
            #expect(error?.reason == "session-overlap", "\(String(describing: error))")
            _ = try await setup.sessions.schedule(
                .couple(other),
                start: Self.monday.addingTimeInterval(Double(minutes) * 60),
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            let tooLong = await #expect(throws: ServiceError.self) {
                _ = try await setup.sessions.schedule(
                    .couple(other),
                    start: Self.monday.addingTimeInterval(86_400),
                    durationMinutes: minutes + 1,
                    format: .video,
                    actor: setup.counselorA
                )
            }
            #expect(tooLong == SessionService.invalidDuration)
        }
    }

    @Test func aWrongStatusIsCorrectedWithAReasonAndAudited() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, a, b) = try await setup.completedSession()
            // Too short a reason: refused, nothing written.
            let short = await #expect(throws: ServiceError.self) {
                try await setup.sessions.correctStatus(
                    .noShow,
                    session: session,
                    reason: "oops",
                    actor: setup.counselorA
                )
            }
            #expect(short?.field == "reason")
            let reason = "Marked completed by mistake; neither partner attended."
            try await setup.sessions.correctStatus(.noShow, session: session, reason: reason, actor: setup.counselorA)
            var line = try await setup.sessions.list(chart: .couple(couple), actor: setup.counselorA)[0]
            #expect(line.status == "no_show")
            // The same status again is no correction.
            let same = await #expect(throws: ServiceError.self) {
                try await setup.sessions.correctStatus(
                    .noShow,
                    session: session,
                    reason: reason,
                    actor: setup.counselorA
                )
            }
            #expect(same?.field == "status")
            // Cancelled back to scheduled, unless the slot has been taken since.
            try await setup.sessions.correctStatus(
                .cancelled,
                session: session,
                reason: reason,
                actor: setup.counselorA
            )
            let taker = try await setup.sessions.schedule(
                .client(a),
                start: line.start,
                durationMinutes: 30,
                format: .video,
                actor: setup.counselorA
            )
            let taken = await #expect(throws: ServiceError.self) {
                try await setup.sessions.correctStatus(
                    .scheduled,
                    session: session,
                    reason: reason,
                    actor: setup.counselorA
                )
            }
            #expect(taken?.kind == .conflict && taken?.field == "start")
            try await setup.sessions.setStatus(.cancelled, session: taker, actor: setup.counselorA)
            try await setup.sessions.correctStatus(
                .scheduled,
                session: session,
                reason: reason,
                actor: setup.counselorA
            )
            line = try await setup.sessions.list(chart: .couple(couple), actor: setup.counselorA)[0]
            #expect(line.status == "scheduled")
            // Out of reach: not found.
            let foreign = await #expect(throws: ServiceError.self) {
                try await setup.sessions.correctStatus(
                    .noShow,
                    session: session,
                    reason: reason,
                    actor: setup.counselorB
                )
            }
            #expect(foreign?.kind == .notFound)
            let audit = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }
            let corrections = audit.filter {
                $0.entry.action == "session.status.correct" && $0.entry.entityID == session
            }
            #expect(corrections.filter { $0.entry.outcome == .success }.count == 3)
            #expect(corrections.contains { $0.entry.outcome == .denied && Set($0.entry.clientIDs) == [a, b] })
            // The reason is sealed, and the keys still verify.
            let stored = try await setup.fixture.owner.withConnection { connection in
                try await connection.query(
                    "SELECT status_correction_reason FROM therapy_sessions WHERE id = \(session)"
                )[0].decode([UInt8].self)
            }
            #expect(!String(decoding: stored, as: UTF8.self).contains("neither partner"))
            #expect(try await setup.keys.verify(pool: setup.fixture.owner).failures.isEmpty)
        }
    }

    @Test func aNotedSessionStaysCompleted() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            _ = try await setup.notes.writeDraft(.sample, session: session, actor: setup.counselorA)
            let error = await #expect(throws: ServiceError.self) {
                try await setup.sessions.correctStatus(
                    .noShow,
                    session: session,
                    reason: "Marked completed by mistake; neither partner attended.",
                    actor: setup.counselorA
                )
            }
            #expect(error?.kind == .conflict && error?.reason == "session-noted")
        }
    }

    @Test func settingStatusListsOnlyTheStatusesOneCanSet() async throws {
        try await ClinicSetup.with { setup in
            let (session, _, _, _) = try await setup.completedSession()
            let error = await #expect(throws: ServiceError.self) {
                try await setup.sessions.setStatus(.scheduled, session: session, actor: setup.counselorA)
            }
            #expect(error?.message == "is not one of: completed, cancelled, late_cancelled, no_show")
        }
    }
}
