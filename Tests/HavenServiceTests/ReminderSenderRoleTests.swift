import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// The sender's own role and `haven serve`'s sender task (migration 0047; docs/security.md "The
/// reminder sender's role"): `haven_notify` calls the claim and mark functions and nothing else,
/// `haven_app` cannot call them, and a server with mail configured sends a queued reminder through the
/// local SMTP server and stops cleanly.
@Suite("The reminder sender's role and its task in haven serve", .needsTestDatabase, .needsTestSMTP)
struct ReminderSenderRoleTests {
    /// Counselor A's couple with Alex on the portal under a fresh address, and one appointment
    /// reminder for Alex due now.
    func clinic(_ body: (ClinicSetup, _ email: String, _ queued: UUID) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            let (couple, alex, _) = try await setup.couple()
            let email = try await setup.onPortal(alex, couple: couple)
            let about = Date(timeIntervalSince1970: 1_797_346_800)
            let queued = try await setup.fixture.owner.transaction(as: setup.counselorA) { connection in
                try await connection.query(
                    "SELECT haven_notification_enqueue(\(alex), 'appointment-reminder', \(about), now())"
                )[0].decode(0, as: UUID?.self)
            }
            try await body(setup, email, try #require(queued))
        }
    }

    @Test func theSenderRoleCallsTheSenderFunctionsOnlyAndTheAppRoleNotThem() async throws {
        try await clinic { setup, email, queued in
            let notify = try PostgresConfiguration(
                try await TestDatabase.notifyURL(for: setup.fixture.owner.configuration)
            )
            try await TestDatabase.withConnection(notify) { connection in
                for table in [
                    "notification_outbox", "notification_opt_outs", "partner_accounts", "practices", "audit_log",
                ] {
                    await #expect(throws: PostgresError.self, "\(table)") {
                        try await connection.query("SELECT count(*) FROM \(identifier: table)")
                    }
                }
                await #expect(throws: PostgresError.self) {
                    try await connection.query(
                        "SELECT haven_notification_enqueue(gen_random_uuid(), 'homework-due', now(), now())"
                    )
                }
                // A lease outside 1 to 60 minutes is refused (a holder cannot park a row for days).
                await #expect(throws: PostgresError.self) {
                    try await connection.query("SELECT * FROM haven_notification_claim(86400)")
                }
                let claimed = try await connection.query(
                    "SELECT id, email, skip_reason FROM haven_notification_claim(60)"
                )
                #expect(claimed.count == 1)
                let (id, address, reason) = try claimed[0].decode((UUID, String?, String?).self)
                #expect(id == queued && address == email && reason == nil)
                #expect(
                    try await connection.query("SELECT haven_notification_finish(\(id), 'sent', NULL)")[0].decode(
                        0,
                        as: Bool.self
                    )
                )
                // Ended once: a second mark changes nothing.
                #expect(
                    !(try await connection.query("SELECT haven_notification_finish(\(id), 'failed', 'x')")[0].decode(
                        0,
                        as: Bool.self
                    ))
                )
            }
            let audit = try await setup.fixture.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'notification.sent' AND request_id = \("notification:\(queued)")"
            )[0].decode(0, as: Int.self)
            #expect(audit == 1)
            // The application role reaches none of the sender's functions.
            try await setup.fixture.app.withConnection { connection in
                for call in [
                    "SELECT * FROM haven_notification_claim(60)",
                    "SELECT haven_notification_finish(gen_random_uuid(), 'sent', NULL)",
                    "SELECT haven_notification_retry(gen_random_uuid(), 'x', 60)",
                    "SELECT haven_notification_expire_leases()",
                ] {
                    await #expect(throws: PostgresError.self, "\(call)") {
                        try await connection.query(PostgresQuery(sql: call))
                    }
                }
            }
        }
    }

    /// `haven serve` with mail and the sender's URL configured sends a due reminder within a round,
    /// logs no address, and stops cleanly on SIGTERM.
    @Test(.needsHavenBinary)
    func serveWithMailConfiguredSendsAQueuedReminder() async throws {
        try await clinic { setup, email, queued in
            let directory = NSTemporaryDirectory() + "haven-serve-notify-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let keyFile = directory + "/master.key"
            try setup.keys.ring.fileText().write(toFile: keyFile, atomically: false, encoding: .utf8)
            chmod(keyFile, 0o600)
            let owner = setup.fixture.owner.configuration
            let environment = ProcessInfo.processInfo.environment
            let cli = HavenCLI(
                binary: try TestDatabase.havenBinary(),
                environment: [
                    "HOME": directory, "PATH": "/usr/bin:/bin",
                    "HAVEN_DATABASE_URL": try await TestDatabase.appURL(for: owner),
                    "HAVEN_DATABASE_POOLER": TestDatabase.appPooler.rawValue,
                    "HAVEN_MASTER_KEY_FILE": keyFile,
                    "HAVEN_MAIL": "smtp://127.0.0.1:\(environment["HAVEN_TEST_SMTP_PORT"] ?? "")",
                    "HAVEN_MAIL_FROM": "noreply@harbor.example",
                    "HAVEN_NOTIFY_DATABASE_URL": try await TestDatabase.notifyURL(for: owner),
                    "HAVEN_PORTAL_URL": "https://haven.harbor.example/portal",
                ]
            )
            let server = try await HavenServer.start(cli, directory: directory)
            var state = "pending"
            let deadline = ContinuousClock.now + .seconds(30)
            while state != "sent", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                state = try await setup.fixture.owner.query(
                    "SELECT state FROM notification_outbox WHERE id = \(queued)"
                )[0].decode(0, as: String.self)
            }
            server.stop()
            #expect(state == "sent")
            let messages = try NotificationSenderTests.received(for: email)
            #expect(messages.count == 1)
            #expect(messages.first?.contains("https://haven.harbor.example/portal") == true)
            let log = server.log
            #expect(log.contains("reminders are sent by this server"))
            #expect(log.contains("notifications handled"))
            #expect(!log.contains(email))
            #expect(!log.contains("error"), "\(log.suffix(2_000))")
        }
    }
}
