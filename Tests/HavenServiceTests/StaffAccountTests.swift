import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Operators' staff accounts: show, roles, ending supervision, resetting a password", .needsTestDatabase)
struct StaffAccountTests {
    func audited(_ action: String, in setup: ClinicSetup) async throws -> [UUID?] {
        try await setup.fixture.owner.withConnection { connection in
            try await AuditStore.list(.init(practiceID: setup.fixture.practiceID, action: action), on: connection)
        }.map(\.entry.entityID)
    }

    @Test func endingASupervisionLinkEndsTheSupervisorsReach() async throws {
        try await ClinicSetup.with { setup in
            let staff = setup.fixture.staff
            let practiceID = setup.fixture.practiceID
            let (id, _, _) = try await setup.couple()
            let empty = await #expect(throws: ServiceError.self) {
                try await staff.setRoles([], of: setup.counselorBID, practiceID: practiceID, source: "test")
            }
            #expect(empty?.field == "roles")
            try await staff.setRoles(
                [.counselor, .supervisor],
                of: setup.counselorBID,
                practiceID: practiceID,
                source: "test"
            )
            #expect(try await audited("staff.roles.set", in: setup) == [setup.counselorBID])
            try await staff.addSupervision(
                supervisor: setup.counselorBID,
                supervisee: setup.fixture.counselorID,
                practiceID: practiceID,
                source: "test"
            )
            let sam = try await staff.account(setup.counselorBID, practiceID: practiceID)
            #expect(sam.roles == ["counselor", "supervisor"])
            #expect(sam.supervisees.map(\.id) == [setup.fixture.counselorID])
            #expect(sam.supervisors.isEmpty && !sam.preLicensed && sam.active && !sam.totpEnrolled)
            let dana = try await staff.account(setup.fixture.counselorID, practiceID: practiceID)
            #expect(dana.supervisors == [.init(id: setup.counselorBID, displayName: "Sam Ortiz")])
            let listed = try await staff.accounts(practiceID: practiceID)
            #expect(listed.first { $0.id == setup.fixture.counselorID }?.supervisors.map(\.id) == [setup.counselorBID])

            // Through the service as haven_app: reached while linked, not after.
            var supervisor = setup.counselorB
            supervisor.roles = [.counselor, .supervisor]
            #expect(try await setup.charts.couple(id, actor: supervisor).counselorID == setup.fixture.counselorID)
            try await staff.removeSupervision(
                supervisor: setup.counselorBID,
                supervisee: setup.fixture.counselorID,
                practiceID: practiceID,
                source: "test"
            )
            await #expect(throws: ServiceError.self) { try await setup.charts.couple(id, actor: supervisor) }
            #expect(try await setup.charts.listCouples(actor: supervisor).isEmpty)
            #expect(try await audited("staff.unsupervise", in: setup) == [setup.fixture.counselorID])
            #expect(try await staff.account(setup.counselorBID, practiceID: practiceID).supervisees.isEmpty)

            let again = await #expect(throws: ServiceError.self) {
                try await staff.removeSupervision(
                    supervisor: setup.counselorBID,
                    supervisee: setup.fixture.counselorID,
                    practiceID: practiceID,
                    source: "test"
                )
            }
            #expect(again?.kind == .notFound && again?.field == "supervisee")
            await #expect(throws: ServiceError.self) {
                try await staff.account(UUID(), practiceID: practiceID)
            }
        }
    }

    @Test func aPasswordResetEndsSessionsAndTheNewPasswordSignsIn() async throws {
        try await StaffFixture.with { fixture in
            let auth = fixture.auth()
            let signIn = try await auth.login(
                email: "dana@harbor.example",
                password: StaffFixture.password,
                source: "test"
            )
            let short = await #expect(throws: ServiceError.self) {
                try await fixture.staff.resetPassword(
                    of: fixture.counselorID,
                    to: "short",
                    practiceID: fixture.practiceID,
                    source: "test"
                )
            }
            #expect(short?.field == "password")
            _ = try await auth.authenticate(signIn.token, source: "test")
            let fresh = "a new fictional passphrase"
            try await fixture.staff.resetPassword(
                of: fixture.counselorID,
                to: fresh,
                practiceID: fixture.practiceID,
                source: "test"
            )
            await #expect(throws: ServiceError.self) { try await auth.authenticate(signIn.token, source: "test") }
            await #expect(throws: ServiceError.self) {
                try await auth.login(email: "dana@harbor.example", password: StaffFixture.password, source: "test")
            }
            let again = try await auth.login(email: "dana@harbor.example", password: fresh, source: "test")
            #expect(again.actor.staffID == fixture.counselorID)
            let resets = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: fixture.practiceID, action: "staff.password.reset"),
                    on: connection
                )
            }
            #expect(resets.map(\.entry.entityID) == [fixture.counselorID])
        }
    }
}
