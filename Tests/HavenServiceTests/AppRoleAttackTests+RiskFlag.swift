import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

extension AppRoleAttackTests {
    /// A couple's high-risk flag is the chart's clinical data (migration 0073): with raw SQL, a
    /// counselor outside the chart and an admin learn neither that it is open nor which note opened it;
    /// the front desk learns only the yes-or-no its booking gate needs; the chart's counselor both.
    @Test func aCouplesRiskFlagIsToldOnlyWithinReachOfTheChart() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, _, _) = try await setup.completedSession()
            let (note, _) = try await setup.notes.writeDraft(.highRisk, session: session, actor: setup.counselorA)
            let scheduler = try await setup.frontDesk()
            // What psql on the app role answers inside a context opened from `actor`'s live session.
            func flag(as actor: StaffActor) async throws -> (Bool, UUID?) {
                try await setup.fixture.asAppRole(actor) { connection in
                    try await connection.query(
                        "SELECT haven_couple_high_risk(\(couple)), haven_couple_open_risk_note(\(couple))"
                    )[0].decode((Bool, UUID?).self)
                }
            }
            let own = try await flag(as: setup.counselorA)
            #expect(own.0 && own.1 == note)
            for outsider in [setup.counselorB, setup.admin] {
                let told = try await flag(as: outsider)
                #expect(!told.0 && told.1 == nil, "\(outsider.roleNames) learned the flag of a chart out of reach")
            }
            let desk = try await flag(as: scheduler)
            #expect(desk.0 && desk.1 == nil)
        }
    }
}
