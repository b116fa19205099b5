import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Pausing, discharging and reactivating a chart: audited, within reach, one active couple", .needsTestDatabase)
struct ChartStatusTests {
    /// The care status the database holds for `chart`.
    static func stored(_ chart: ChartReference, _ setup: ClinicSetup) async throws -> String {
        let query: PostgresQuery =
            switch chart {
            case .couple(let id): "SELECT status FROM couples WHERE id = \(id)"
            case .client(let id): "SELECT status FROM clients WHERE id = \(id)"
            }
        return try await setup.fixture.owner.query(query)[0].decode(0, as: String.self)
    }

    /// The audit entries about `client` with `action`, oldest first.
    static func entries(_ action: String, client: UUID, _ setup: ClinicSetup) async throws -> [AuditEntry] {
        try await setup.fixture.owner.withConnection { connection in
            try await AuditStore.list(.init(practiceID: setup.fixture.practiceID, clientID: client), on: connection)
        }.map(\.entry).filter { $0.action == action }
    }

    @Test func aCoupleIsPausedDischargedAndReactivatedEachAuditedWithBothPartners() async throws {
        try await ClinicSetup.with { setup in
            let (couple, a, b) = try await setup.couple()
            let chart = ChartReference.couple(couple)
            let paused = try await setup.charts.setStatus(.paused, of: chart, actor: setup.counselorA)
            #expect(paused == .init(chart: chart, previous: .active, status: .paused) && paused.changed)
            #expect(try await setup.charts.couple(couple, actor: setup.counselorA).status == .paused)
            // The status it already has: nothing changes, and it says so.
            let again = try await setup.charts.setStatus(.paused, of: chart, actor: setup.counselorA)
            #expect(!again.changed && again.previous == .paused)
            let discharged = try await setup.charts.setStatus(.discharged, of: chart, actor: setup.counselorA)
            #expect(discharged.previous == .paused && discharged.status == .discharged)
            let back = try await setup.charts.setStatus(.active, of: chart, actor: setup.counselorA)
            #expect(back.previous == .discharged && back.status == .active)
            #expect(try await Self.stored(chart, setup) == "active")
            let audited = try await Self.entries("couple.status.set", client: a, setup)
            #expect(audited.count == 4)
            #expect(audited.allSatisfy { $0.outcome == .success && $0.clientIDs == [a, b] })
            #expect(audited.allSatisfy { $0.entityType == "couple" && $0.entityID == couple })
            #expect(audited.allSatisfy { $0.staffID == setup.fixture.counselorID })
            // The chart page's read carries the status (the report facts' header).
            _ = try await setup.charts.setStatus(.paused, of: chart, actor: setup.counselorA)
            let record = try await setup.charts.record(chart, actor: setup.counselorA)
            #expect(record.facts.careStatus == .paused)
        }
    }

    @Test func aClientChartsStatusIsSetAndAuditedWithTheClient() async throws {
        try await ClinicSetup.with { setup in
            let client = try await setup.charts.createClient(
                .init(legalName: "Fictional Casey Kim", intakeDate: CalendarDate(year: 2026, month: 9, day: 1)!),
                actor: setup.counselorA
            )
            let chart = ChartReference.client(client)
            let change = try await setup.charts.setStatus(.discharged, of: chart, actor: setup.counselorA)
            #expect(change.previous == .active && change.status == .discharged)
            #expect(try await setup.charts.client(client, actor: setup.counselorA).status == "discharged")
            let audited = try await Self.entries("client.status.set", client: client, setup)
            #expect(audited.map(\.clientIDs) == [[client]] && audited.map(\.outcome) == [.success])
            #expect(try await setup.charts.record(chart, actor: setup.counselorA).facts.careStatus == .discharged)
        }
    }

    @Test func anotherCounselorsOrAnAdminsAttemptIsNotFoundAuditedAsDeniedAndChangesNothing() async throws {
        try await ClinicSetup.with { setup in
            let (couple, a, _) = try await setup.couple()
            for chart in [ChartReference.couple(couple), .client(a)] {
                for actor in [setup.counselorB, setup.admin] {
                    let refused = await #expect(throws: ServiceError.self) {
                        try await setup.charts.setStatus(.discharged, of: chart, actor: actor)
                    }
                    #expect(refused?.kind == .notFound && refused?.field == chart.kind, "\(chart)")
                }
                #expect(try await Self.stored(chart, setup) == "active")
            }
            // A chart that does not exist: the same answer.
            let missing = await #expect(throws: ServiceError.self) {
                try await setup.charts.setStatus(.paused, of: .couple(UUID()), actor: setup.counselorA)
            }
            #expect(missing?.kind == .notFound)
            let denied = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, staffID: setup.counselorBID),
                    on: connection
                )
            }.map(\.entry)
            #expect(denied.map(\.action).sorted() == ["client.status.set", "couple.status.set"])
            #expect(denied.allSatisfy { $0.outcome == .denied && $0.clientIDs.isEmpty })
            // The front desk is refused before any chart is looked at.
            let desk = try await setup.frontDesk()
            let calendarOnly = await #expect(throws: ServiceError.self) {
                try await setup.charts.setStatus(.paused, of: .couple(couple), actor: desk)
            }
            #expect(calendarOnly?.kind == .forbidden)
            #expect(try await Self.stored(.couple(couple), setup) == "active")
        }
    }

    @Test func aChartReadButKeptByAnotherCounselorIsForbiddenAndAuditedWithItsClients() async throws {
        try await ClinicSetup.with { setup in
            // The couple moves to Sam (the owner's hand): Sam reaches the couple and, through it, its
            // partners, whose individual charts stay Dana's; row-level security lets Sam write neither.
            let (couple, a, b) = try await setup.couple()
            try await setup.fixture.owner.query(
                "UPDATE couples SET counselor_id = \(setup.counselorBID) WHERE id = \(couple)"
            )
            _ = try await setup.charts.client(a, actor: setup.counselorB)
            for chart in [ChartReference.client(a), .couple(couple)] {
                let refused = await #expect(throws: ServiceError.self) {
                    try await setup.charts.setStatus(.paused, of: chart, actor: setup.counselorB)
                }
                #expect(refused?.kind == .forbidden && refused?.field == chart.kind, "\(chart)")
                #expect(try await Self.stored(chart, setup) == "active")
            }
            let client = try await Self.entries("client.status.set", client: a, setup)
            #expect(client.map(\.outcome) == [.denied] && client.map(\.clientIDs) == [[a]])
            let pair = try await Self.entries("couple.status.set", client: b, setup)
            #expect(pair.map(\.outcome) == [.denied] && pair.map(\.clientIDs) == [[a, b]])
            // Dana no longer reaches the couple, and still keeps her client's own chart.
            let dana = await #expect(throws: ServiceError.self) {
                try await setup.charts.setStatus(.paused, of: .couple(couple), actor: setup.counselorA)
            }
            #expect(dana?.kind == .notFound)
            #expect(try await setup.charts.setStatus(.paused, of: .client(a), actor: setup.counselorA).changed)
        }
    }

    @Test func reactivatingIsRefusedWhileAPartnerIsInAnotherActiveCouple() async throws {
        try await ClinicSetup.with { setup in
            let (first, a, _) = try await setup.couple()
            _ = try await setup.charts.setStatus(.discharged, of: .couple(first), actor: setup.counselorA)
            let c = try await setup.charts.createClient(
                .init(legalName: "Fictional Casey Kim", intakeDate: CalendarDate(year: 2026, month: 9, day: 1)!),
                actor: setup.counselorA
            )
            let second = try await setup.charts.createCouple(
                partnerA: a,
                partnerB: c,
                startDate: CalendarDate(year: 2026, month: 10, day: 1)!,
                presentingConcerns: nil,
                actor: setup.counselorA
            )
            let refused = await #expect(throws: ServiceError.self) {
                try await setup.charts.setStatus(.active, of: .couple(first), actor: setup.counselorA)
            }
            #expect(refused?.kind == .conflict && refused?.field == "status")
            #expect(refused?.message == "a partner is already in another active couple; discharge that couple first")
            #expect(try await Self.stored(.couple(first), setup) == "discharged")
            // Pausing the first couple is no reactivation: allowed while the second is active.
            _ = try await setup.charts.setStatus(.paused, of: .couple(first), actor: setup.counselorA)
            // Once the other couple is discharged, the first may be active again.
            _ = try await setup.charts.setStatus(.discharged, of: .couple(second), actor: setup.counselorA)
            let back = try await setup.charts.setStatus(.active, of: .couple(first), actor: setup.counselorA)
            #expect(back.previous == .paused && back.status == .active)
        }
    }

    @Test func leavingActiveEndsThePartnersPortalSessionsInTheSameTransaction() async throws {
        try await ClinicSetup.with { setup in
            let (couple, a, b) = try await setup.couple()
            let portal = PortalService(pool: setup.fixture.app, hasher: StaffFixture.hasher)
            var addresses: [String] = []
            for partner in [a, b] { addresses.append(try await setup.onPortal(partner, couple: couple)) }
            func signIn(_ address: String) async throws -> PortalService.SignIn {
                try await portal.signIn(email: address, passphrase: "a long enough passphrase", source: "test")
            }
            var sessions: [PartnerActor] = []
            for address in addresses { sessions.append(try await signIn(address).actor) }
            for session in sessions { _ = try await portal.context(session) }
            func live() async throws -> Int {
                try await setup.fixture.owner.query(
                    """
                    SELECT count(*) FROM partner_sessions s
                    JOIN partner_session_activity v ON v.token_hash = s.token_hash WHERE v.chart_id = \(couple)
                    """
                )[0].decode(0, as: Int.self)
            }
            #expect(try await live() == 2)
            _ = try await setup.charts.setStatus(.paused, of: .couple(couple), actor: setup.counselorA)
            #expect(try await live() == 0)
            for session in sessions {
                let ended = await #expect(throws: ServiceError.self) { try await portal.context(session) }
                #expect(ended?.kind == .unauthenticated)
            }
            // Paused: the partners cannot sign in to it; active again, they can, their access kept.
            await #expect(throws: ServiceError.self) { try await signIn(addresses[0]) }
            _ = try await setup.charts.setStatus(.active, of: .couple(couple), actor: setup.counselorA)
            _ = try await signIn(addresses[0])
            // Discharged: signed out, and their access turned off for good.
            _ = try await setup.charts.setStatus(.discharged, of: .couple(couple), actor: setup.counselorA)
            #expect(try await live() == 0)
            let revoked = try await setup.fixture.owner.query(
                "SELECT count(*) FROM partner_chart_access WHERE chart_id = \(couple) AND revoked_at IS NOT NULL"
            )[0].decode(0, as: Int.self)
            #expect(revoked == 2)
        }
    }
}
