import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Cycle maps: versioned per partner, sealed", .needsTestDatabase)
struct CycleMapServiceTests {
    static let map = CycleMapService.Map(
        trigger: "Partner comes home late without calling",
        actionTendency: "Criticizes, follows from room to room",
        perceptionOfPartner: "He doesn't care whether I'm there",
        reactiveEmotion: "Anger",
        primaryEmotion: "Fear of not mattering",
        unmetNeed: "To know she is his priority"
    )

    @Test func revisionsAddVersionsAndTheHistoryStays() async throws {
        try await ClinicSetup.with { setup in
            let maps = CycleMapService(pool: setup.fixture.app, keys: setup.keys)
            let (couple, a, b) = try await setup.couple()
            #expect(
                try await maps.revise(
                    couple: couple,
                    partner: a,
                    position: .pursuer,
                    map: Self.map,
                    actor: setup.counselorA
                ) == 1
            )
            var refined = Self.map
            refined.primaryEmotion = "Fear of being alone when it counts"
            #expect(
                try await maps.revise(
                    couple: couple,
                    partner: a,
                    position: .pursuer,
                    map: refined,
                    actor: setup.counselorA
                ) == 2
            )
            #expect(
                try await maps.revise(
                    couple: couple,
                    partner: b,
                    position: .withdrawer,
                    map: Self.map,
                    actor: setup.counselorA
                ) == 1
            )
            let history = try await maps.history(couple: couple, partner: a, actor: setup.counselorA)
            #expect(history.map(\.version) == [1, 2])
            #expect(history.map(\.map) == [Self.map, refined])
            #expect(history.allSatisfy { $0.position == .pursuer })
            let stored = try await setup.fixture.owner.query("SELECT map FROM cycle_maps")
            #expect(
                try stored.allSatisfy {
                    !String(decoding: try $0.decode(0, as: [UInt8].self), as: UTF8.self).contains("Fear")
                }
            )
            let stranger = await #expect(throws: ServiceError.self) {
                try await maps.revise(
                    couple: couple,
                    partner: UUID(),
                    position: .pursuer,
                    map: Self.map,
                    actor: setup.counselorA
                )
            }
            #expect(stranger?.field == "partnerID")
            // Out of reach is "not found" (and audited as denied), not an empty history.
            let outside = await #expect(throws: ServiceError.self) {
                try await maps.history(couple: couple, partner: a, actor: setup.counselorB)
            }
            #expect(outside?.kind == .notFound)
            let foreign = await #expect(throws: ServiceError.self) {
                try await maps.history(couple: couple, partner: UUID(), actor: setup.counselorA)
            }
            #expect(foreign?.field == "partnerID")
        }
    }
}
