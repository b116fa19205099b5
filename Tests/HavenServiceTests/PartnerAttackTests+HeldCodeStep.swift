import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// Migration 0077: a second-factor step kept open in a transaction (by someone with the app role's
/// password and the member's password) holds back no one else ending the member's sessions. Before
/// 0077 the step locked the waiting session's row and then made it live or deleted it, so an admin's
/// "end sessions" and a counselor's revoke waited for the attacker's commit (55P03 here).
extension PartnerAttackTests {
    @Test func aStaffCodeStepHeldOpenHoldsBackNoEndOfSessions() async throws {
        try await ClinicSetup.with { setup in
            let app = setup.fixture.app
            let phone = try await TOTPService(pool: app, keys: setup.keys).enrolledApp(for: setup.counselorA)
            let auth = setup.fixture.auth(keys: setup.keys)
            guard let token = try await auth.waitingForCode("dana@harbor.example") else { return }
            // The attacker opens the code step and gives a code without the server's attestation (refused),
            // and keeps the transaction open while the admin ends Dana's sessions.
            let refused = try await Self.whileOpen(
                "SELECT 1 FROM haven_open_pending_context(\(token.storageHash), 'attacker', NULL)",
                "SELECT haven_sign_in_second_factor(NULL, NULL, NULL)",
                on: app
            ) {
                try await Self.asStaffWithoutWaiting(
                    "SELECT haven_admin_staff_end_sessions(\(setup.counselorA.staffID))",
                    setup.admin,
                    app
                )
            }
            #expect(refused == "done")
            // Dana's sessions are ended, and the refused sign-in takes no code after it.
            let ended = await #expect(throws: PostgresError.self) {
                try await Self.asStaff("SELECT 'x'", setup.counselorA, app)
            }
            #expect(ended?.sqlState == "28000")
            await #expect(throws: ServiceError.self) {
                try await auth.completeSecondFactor(
                    token: token,
                    code: phone.code(step: phone.step(at: Date())),
                    source: "t"
                )
            }
        }
    }

    @Test func aPartnersCodeStepHeldOpenHoldsBackNoRevoke() async throws {
        try await PortalCodeAppTests.clinic { c in
            _ = try await PortalCodeAppTests.enrol(c)
            let app = c.setup.fixture.app
            let pending = try await c.portal.signIn(
                email: PortalCodeAppTests.email,
                passphrase: PortalCodeAppTests.passphrase,
                source: "test"
            )
            #expect(pending.codeNeeded)
            let answer = try await Self.whileOpen(
                "SELECT 1 FROM haven_portal_open_pending_context(\(pending.token.storageHash), 'attacker', NULL)",
                on: app
            ) {
                // The counselor revokes Alex's access, which deletes Alex's sessions (the waiting one too).
                try await Self.asStaffWithoutWaiting(
                    "SELECT haven_portal_revoke(\(c.alex), 'couple', \(c.couple))",
                    c.setup.counselorA,
                    app
                )
            }
            #expect(answer == "done")
            #expect(try await c.portal.codeAwaited(pending.token) == false)
            #expect(try await Self.opens(c.session.token.storageHash, app) == false)
        }
    }
}
