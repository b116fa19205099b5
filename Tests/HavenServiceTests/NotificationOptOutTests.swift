import Foundation
import HavenMail
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Opt-outs from the portal and the practice (migration 0047): a partner turns a kind off for
/// themselves only, an admin for the practice; both audited; raw SQL as `haven_app` reaches nothing else.
@Suite("Reminder opt-outs: the partner's and the practice's", .needsTestDatabase)
struct NotificationOptOutTests {
    @Test func aPartnerTurnsAKindOffForThemselvesOnlyAudited() async throws {
        try await PartnerAttackTests().portal { p in
            let portal = PortalService(pool: p.app, keys: p.setup.keys)
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            let jo = PartnerActor(sessionHash: p.joSession, source: "test")
            let before = try await portal.notificationSettings(alex)
            #expect(
                before.map(\.kind) == [.homeworkNew, .homeworkDue, .homeworkOverdue, .measureDue, .appointmentReminder]
            )
            #expect(before.allSatisfy { !$0.partnerOff && !$0.practiceOff })
            try await portal.setNotification(.appointmentReminder, send: false, actor: alex)
            try await portal.setNotification(.appointmentReminder, send: false, actor: alex)  // twice: one row
            let after = try await portal.notificationSettings(alex)
            #expect(after.filter(\.partnerOff).map(\.kind) == [.appointmentReminder])
            #expect(try await portal.notificationSettings(jo).allSatisfy { !$0.partnerOff })
            let rows = try await p.owner.query(
                """
                SELECT a.client_id, n.kind FROM notification_opt_outs n JOIN partner_accounts a ON a.id = n.account_id
                """
            ).map { try $0.decode((UUID, String).self) }
            #expect(rows.count == 1 && rows[0].0 == p.alex && rows[0].1 == "appointment-reminder")
            try await portal.setNotification(.appointmentReminder, send: true, actor: alex)
            #expect(try await portal.notificationSettings(alex).allSatisfy { !$0.partnerOff })
            let audit = try await p.owner.query(
                """
                SELECT action, partner_client_id, staff_id IS NULL FROM audit_log
                WHERE action LIKE 'portal.notification.%' ORDER BY seq
                """
            ).map { try $0.decode((String, UUID, Bool).self) }
            #expect(audit.map(\.0) == ["portal.notification.off", "portal.notification.off", "portal.notification.on"])
            #expect(audit.allSatisfy { $0.1 == p.alex && $0.2 })
        }
    }

    @Test func anAdminTurnsAKindOffForThePracticeACounselorCannot() async throws {
        try await PartnerAttackTests().portal { p in
            let practice = PracticeService(pool: p.app)
            let refused = await #expect(throws: ServiceError.self) {
                try await practice.setNotification(.homeworkNew, send: false, actor: p.setup.counselorA)
            }
            #expect(refused?.kind == .forbidden)
            try await practice.setNotification(.homeworkNew, send: false, actor: p.setup.admin)
            let settings = try await practice.notificationSettings(actor: p.setup.admin)
            #expect(settings.filter(\.practiceOff).map(\.kind) == [.homeworkNew])
            // The partner sees the practice's switch (and cannot change it: it is not theirs).
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            let portal = PortalService(pool: p.app, keys: p.setup.keys)
            #expect(try await portal.notificationSettings(alex).filter(\.practiceOff).map(\.kind) == [.homeworkNew])
            let audit = try await p.owner.query(
                "SELECT outcome FROM audit_log WHERE action = 'practice.notification.off' ORDER BY seq"
            ).map { try $0.decode(0, as: String.self) }
            #expect(audit == ["denied", "success"])
        }
    }

    @Test func rawSQLAsTheAppRoleReachesOnlyTheCallersOwnSwitches() async throws {
        try await PartnerAttackTests().portal { p in
            // A partner's context cannot use the practice's switch, read the table or name another account.
            await #expect(throws: PostgresError.self) {
                try await PartnerAttackTests.asPartner(p.alexSession, p.app) { connection in
                    try await connection.query("SELECT haven_admin_set_notification('homework-new', false)")
                }
            }
            await #expect(throws: PostgresError.self) {
                try await PartnerAttackTests.asPartner(p.alexSession, p.app) { connection in
                    try await connection.query("SELECT count(*) FROM notification_opt_outs")
                }
            }
            let unknown = try await PartnerAttackTests.asPartner(p.alexSession, p.app) { connection in
                try await connection.query("SELECT haven_portal_set_notification('invitation', false)")[0]
                    .decode(0, as: String.self)
            }
            #expect(unknown == "unknown-kind")
            // No context: nothing.
            await #expect(throws: PostgresError.self) {
                try await p.app.query("SELECT haven_portal_set_notification('homework-new', false)")
            }
            // A staff context cannot use the partner's function.
            await #expect(throws: PostgresError.self) {
                try await p.app.transaction(as: p.setup.counselorA) { connection in
                    try await connection.query("SELECT haven_portal_set_notification('homework-new', false)")
                }
            }
            #expect(
                try await p.owner.query("SELECT count(*) FROM notification_opt_outs")[0].decode(0, as: Int.self) == 0
            )
        }
    }
}
