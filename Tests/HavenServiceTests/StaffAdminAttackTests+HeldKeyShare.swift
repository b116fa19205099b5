import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Migration 0078: an admin's password reset waits for no transaction of the member's own. It locked
/// the member's staff row FOR UPDATE, which conflicts with the key share a foreign-key check takes:
/// the member turning a notification kind off (token only) and kept open made the reset wait (55P03
/// under the lock timeout here) while the member's sessions went on opening contexts.
extension StaffAdminAttackTests {
    @Test func aMembersOwnInsertHeldOpenHoldsBackNoPasswordReset() async throws {
        try await clinic { c in
            let app = c.fixture.app
            let scheduler = c.scheduler
            let answer = try await PartnerAttackTests.whileOpen(
                "SELECT 1 FROM haven_open_context(\(scheduler.sessionHash), false, 'attacker', NULL)",
                "SELECT haven_staff_set_notification('answer-digest', false)",
                on: app
            ) {
                try await PartnerAttackTests.asStaffWithoutWaiting(
                    "SELECT haven_admin_staff_password_link(\(scheduler.staffID), \(PartnerAttackTests.tokenHash()))",
                    c.admin,
                    app
                )
            }
            #expect(answer == "done")
            let ended = await #expect(throws: PostgresError.self) {
                try await app.query("SELECT 1 FROM haven_open_context(\(scheduler.sessionHash), false, 'x', NULL)")
            }
            #expect(ended?.sqlState == "28000")
        }
    }
}
