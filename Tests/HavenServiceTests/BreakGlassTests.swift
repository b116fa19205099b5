import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Break-glass access: written reason, time-limited, read-only, flagged in the audit log", .needsTestDatabase)
struct BreakGlassTests {
    static let reason = "Client called the crisis line; their counselor is away until Monday."

    @Test func aGrantOpensOneChartToReadOnlyInBreakGlassMode() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, a, b) = try await setup.completedSession()
            let (note, _) = try await setup.notes.writeDraft(
                NoteService.Draft.sample,
                session: session,
                actor: setup.counselorA
            )
            let process = PsychotherapyNoteService(pool: setup.fixture.app, keys: setup.keys)
            let processNote = try await process.write("Process note.", chart: .couple(couple), actor: setup.counselorA)
            let service = BreakGlassService(pool: setup.fixture.app, keys: setup.keys)
            var emergency = setup.counselorB
            emergency.breakGlass = true
            // Without a grant, break-glass mode reaches nothing new.
            await #expect(throws: ServiceError.self) { try await setup.notes.note(note, actor: emergency) }

            let grant = try await service.open(.couple(couple), reason: Self.reason, actor: setup.counselorB)
            #expect(grant.isLive())
            #expect(grant.expiresAt.timeIntervalSince(grant.grantedAt) == 3600)
            // The grant does nothing outside break-glass mode...
            let outside = await #expect(throws: ServiceError.self) {
                try await setup.notes.note(note, actor: setup.counselorB)
            }
            #expect(outside?.kind == .notFound)
            // ...and in it, the chart reads, psychotherapy notes included, and writes stay refused.
            #expect(try await setup.notes.note(note, actor: emergency).draft == NoteService.Draft.sample)
            #expect(try await process.read(processNote, actor: emergency) == "Process note.")
            _ = try await setup.charts.couple(couple, actor: emergency)
            let write = await #expect(throws: ServiceError.self) {
                try await setup.notes.writeDraft(NoteService.Draft.sample, session: session, actor: emergency)
            }
            #expect(write?.kind == .forbidden)

            // Every entry in break-glass mode is flagged; opening it names both partners.
            let entries = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }.map(\.entry).filter { $0.staffID == setup.counselorBID }
            let opened = try #require(entries.first { $0.action == "break_glass.open" })
            #expect(opened.breakGlass && Set(opened.clientIDs) == [a, b])
            let reads = entries.filter { $0.action == "note.read" && $0.outcome == .success }
            #expect(!reads.isEmpty && reads.allSatisfy { $0.breakGlass })
            let processReads = entries.filter { $0.action == "psychotherapy_note.read" && $0.outcome == .success }
            #expect(processReads.count == 1 && processReads.allSatisfy { $0.breakGlass })

            // Closing it, or letting it expire, ends the reach.
            try await service.close(grant.id, actor: setup.counselorB)
            await #expect(throws: ServiceError.self) { try await setup.notes.note(note, actor: emergency) }
            let second = try await service.open(
                .client(a),
                reason: Self.reason,
                duration: .seconds(600),
                actor: setup.counselorB
            )
            #expect(try await setup.notes.note(note, actor: emergency).id == note)
            try await setup.fixture.owner.query(
                """
                UPDATE break_glass_grants SET granted_at = granted_at - interval '1 hour',
                    expires_at = now() - interval '1 second' WHERE id = \(second.id)
                """
            )
            await #expect(throws: ServiceError.self) { try await setup.notes.note(note, actor: emergency) }
            #expect(try await service.grants(actor: setup.counselorB).map(\.id) == [grant.id, second.id])
            #expect(try await service.grants(actor: setup.counselorA).isEmpty)
        }
    }

    @Test func badRequestsAreRefusedAndNothingIsWritten() async throws {
        try await ClinicSetup.with { setup in
            let (couple, _, _) = try await setup.couple()
            let service = BreakGlassService(pool: setup.fixture.app, keys: setup.keys)
            let short = await #expect(throws: ServiceError.self) {
                try await service.open(.couple(couple), reason: "urgent", actor: setup.counselorB)
            }
            #expect(short?.field == "reason")
            let long = await #expect(throws: ServiceError.self) {
                try await service.open(
                    .couple(couple),
                    reason: Self.reason,
                    duration: .seconds(9 * 3600),
                    actor: setup.counselorB
                )
            }
            #expect(long?.field == "duration")
            let admin = await #expect(throws: ServiceError.self) {
                try await service.open(.couple(couple), reason: Self.reason, actor: setup.admin)
            }
            #expect(admin?.kind == .forbidden)
            let missing = await #expect(throws: ServiceError.self) {
                try await service.open(.couple(UUID()), reason: Self.reason, actor: setup.counselorB)
            }
            #expect(missing?.kind == .notFound && missing?.field == "chart")
            let count = try await setup.fixture.owner.query("SELECT count(*) FROM break_glass_grants")[0]
            #expect(try count.decode(0, as: Int.self) == 0)
            let denied = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "break_glass.open"),
                    on: connection
                )
            }
            #expect(denied.map(\.entry.outcome) == [.denied])
        }
    }
}
