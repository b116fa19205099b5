import Foundation
import HavenMail
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Logging
import Postgres
import Testing

/// The outbox's sender against a real database and the local SMTP server: at most once, opt-outs,
/// revoked access, backoff, uncertain rows reported, each outcome audited without the address.
@Suite("The notification sender", .needsTestDatabase, .needsTestSMTP)
struct NotificationSenderTests {
    struct Clinic {
        var setup: ClinicSetup
        var couple: UUID
        var alex: UUID
        var email: String
        var sender: NotificationSender
    }

    /// Counselor A's couple with Alex on the portal under a fresh address (`local` steers the test
    /// SMTP server's answer).
    func clinic(local: String? = nil, _ body: (Clinic) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            let (couple, alex, _) = try await setup.couple()
            let email = try await setup.onPortal(
                alex,
                couple: couple,
                email: local.map { "\($0)@example.org" }
            )
            let sender = try setup.testSender()
            try await body(Clinic(setup: setup, couple: couple, alex: alex, email: email, sender: sender))
        }
    }

    /// Queues an appointment reminder for Alex, due now.
    @discardableResult
    func enqueue(_ c: Clinic, kind: String = "appointment-reminder") async throws -> UUID {
        let about = Date(timeIntervalSince1970: 1_797_346_800)
        let id = try await c.setup.fixture.owner.transaction(as: c.setup.counselorA) { connection in
            try await connection.query("SELECT haven_notification_enqueue(\(c.alex), \(kind), \(about), now())")[0]
                .decode(0, as: UUID?.self)
        }
        return try #require(id)
    }

    func state(_ c: Clinic, _ id: UUID) async throws -> (String, Int) {
        try await c.setup.fixture.owner.query("SELECT state, attempts FROM notification_outbox WHERE id = \(id)")[0]
            .decode((String, Int).self)
    }

    /// The messages the test SMTP server received for `address`.
    static func received(for address: String) throws -> [String] {
        let directory = ProcessInfo.processInfo.environment["HAVEN_TEST_SMTP_DIR"] ?? ""
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
            .compactMap {
                name in
                let meta = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
                guard meta.contains("\"\(address)\"") else { return nil }
                return try String(contentsOfFile: "\(directory)/\(name.dropLast(5)).eml", encoding: .utf8)
            }
    }

    @Test func aDueMessageIsSentOnceAuditedAndHoldsNoClinicalText() async throws {
        try await clinic { c in
            let id = try await enqueue(c)
            var summary = try await c.sender.run()
            #expect(summary.sent == 1)
            #expect(try await state(c, id) == ("sent", 1))
            summary = try await c.sender.run()
            #expect(summary == NotificationSender.Summary())
            let messages = try Self.received(for: c.email)
            #expect(messages.count == 1)
            let text = try #require(messages.first)
            #expect(text.contains("Your appointment is on Tuesday 15 December at 09:00."))  // America/Chicago
            #expect(text.contains("https://haven.harbor.example/portal"))
            for word in ["Alex", "Morgan", "Jordan", "Jo ", "argue", "pursues", "withdraws"] {
                #expect(!text.contains(word), "\(word)")
            }
            let audit = try await c.setup.fixture.owner.query(
                """
                SELECT entity_type, entity_id, request_id, staff_id IS NULL, outcome FROM audit_log
                WHERE action = 'notification.sent'
                """
            )
            #expect(audit.count == 1)
            let (type, _, request, noStaff, outcome) = try audit[0].decode((String, UUID, String, Bool, String).self)
            #expect(type == "partner_account" && request == "notification:\(id)" && noStaff && outcome == "success")
            let leaked = try await c.setup.fixture.owner.query(
                "SELECT count(*) FROM audit_log WHERE position(\(c.email) IN coalesce(request_id, '') || source) > 0"
            )[0].decode(0, as: Int.self)
            #expect(leaked == 0)
        }
    }

    @Test func optOutsAndRevokedAccessSkipWithoutSending() async throws {
        try await clinic { c in
            let owner = c.setup.fixture.owner
            let practice = c.setup.fixture.practiceID
            // The partner's own opt-out of this kind.
            let first = try await enqueue(c)
            _ = try await owner.query(
                """
                INSERT INTO notification_opt_outs (practice_id, account_id, kind)
                SELECT practice_id, id, 'appointment-reminder' FROM partner_accounts WHERE client_id = \(c.alex)
                """
            )
            // The practice's opt-out of another kind.
            let second = try await enqueue(c, kind: "homework-due")
            _ = try await owner.query(
                "INSERT INTO notification_opt_outs (practice_id, account_id, kind) VALUES (\(practice), NULL, 'homework-due')"
            )
            #expect(try await c.sender.run().skipped == 2)
            #expect(try await state(c, first).0 == "skipped")
            #expect(try await state(c, second).0 == "skipped")
            // Access revoked: nothing to a revoked account.
            let third = try await enqueue(c, kind: "measure-due")
            try await PortalService(pool: c.setup.fixture.app, hasher: StaffFixture.hasher)
                .revoke(c.alex, from: .couple(c.couple), actor: c.setup.counselorA)
            #expect(try await c.sender.run().skipped == 1)
            #expect(try await state(c, third).0 == "skipped")
            #expect(try Self.received(for: c.email).isEmpty)
        }
    }

    @Test func aTemporaryRefusalIsRetriedLaterAPermanentOneFails() async throws {
        try await clinic(local: "refuse-temp") { c in
            let id = try await enqueue(c)
            // Due again a minute after the refusal: the retry's now() lies between these two clocks.
            func clock() async throws -> Date {
                try await c.setup.fixture.owner.query("SELECT clock_timestamp()")[0].decode(0, as: Date.self)
            }
            let before = try await clock()
            #expect(try await c.sender.run().retrying == 1)
            let after = try await clock()
            #expect(try await state(c, id) == ("pending", 1))
            let due = try await c.setup.fixture.owner.query(
                "SELECT due_at FROM notification_outbox WHERE id = \(id)"
            )[0].decode(0, as: Date.self)
            #expect(
                due >= before.addingTimeInterval(60) && due <= after.addingTimeInterval(60),
                "due \(due), refused between \(before) and \(after)"
            )
            // Not due again yet: the next run sends nothing.
            #expect(try await c.sender.run() == NotificationSender.Summary())
            // The last allowed attempt fails for good.
            _ = try await c.setup.fixture.owner.query(
                "UPDATE notification_outbox SET attempts = 5, due_at = now() WHERE id = \(id)"
            )
            #expect(try await c.sender.run().failed == 1)
            #expect(try await state(c, id) == ("failed", 6))
        }
        try await clinic(local: "refuse-perm") { c in
            let id = try await enqueue(c)
            #expect(try await c.sender.run().failed == 1)
            #expect(try await state(c, id) == ("failed", 1))
        }
    }

    @Test func aRowLeftSendingPastItsLeaseIsReportedUncertainNotResent() async throws {
        try await clinic { c in
            let id = try await enqueue(c)
            _ = try await c.setup.fixture.owner.query(
                """
                UPDATE notification_outbox SET state = 'sending', attempts = 1, lease_until = now() - interval '1 second'
                WHERE id = \(id)
                """
            )
            #expect(try await c.sender.run().uncertain == 1)
            #expect(try await state(c, id) == ("uncertain", 1))
            #expect(try Self.received(for: c.email).isEmpty)
            let status = try await NotificationSender.status(pool: c.setup.fixture.owner)
            #expect(status.counts["uncertain"] == 1)
            #expect(status.uncertain.map(\.id) == [id])
        }
    }

    /// The kill test: `haven notify run` processes SIGKILLed at several moments of a batch (most land
    /// inside a conversation, since the relay takes 0.3 s to answer each message; some between
    /// messages), their leases then run out, and a last run finishes the batch. No message arrives
    /// twice, every row ends sent or uncertain, every sent row arrived exactly once, and at most one row
    /// per kill is uncertain.
    @Test(.needsHavenBinary)
    func aSenderKilledMidBatchSendsNothingTwiceAndLosesOnlyWhatItReports() async throws {
        try await clinic(local: "slow-\(UUID().uuidString.prefix(8).lowercased())") { c in
            let base = Date(timeIntervalSince1970: 1_797_346_800)  // 09:00 in Chicago
            for minute in 0..<30 {
                let about = base.addingTimeInterval(Double(minute) * 60)
                _ = try await c.setup.fixture.owner.transaction(as: c.setup.counselorA) { connection in
                    try await connection.query(
                        "SELECT haven_notification_enqueue(\(c.alex), 'appointment-reminder', \(about), now())"
                    )
                }
            }
            let binary = try TestDatabase.havenBinary()
            let port = ProcessInfo.processInfo.environment["HAVEN_TEST_SMTP_PORT"] ?? ""
            let arguments = [
                "notify", "run", "--database-url", try TestDatabase.url(for: c.setup.fixture.owner.configuration),
                "--mail", "smtp://127.0.0.1:\(port)", "--mail-from", "noreply@harbor.example",
                "--portal-url", "https://haven.harbor.example/portal",
            ]
            var kills = 0
            for delay in [900, 1_450, 700, 1_900, 1_150] {
                let pid = spawnProgram(binary, arguments: arguments)
                try #require(pid > 0)
                try await Task.sleep(for: .milliseconds(delay))
                if kill(pid, SIGKILL) == 0 { kills += 1 }
                _ = waitForProgram(pid)
                // Time passes: the killed sender's lease runs out.
                _ = try await c.setup.fixture.owner.query(
                    "UPDATE notification_outbox SET lease_until = now() - interval '1 second' WHERE state = 'sending'"
                )
            }
            let last = spawnProgram(binary, arguments: arguments)
            #expect(waitForProgram(last) == 0)
            let rows = try await c.setup.fixture.owner.query("SELECT about_time, state FROM notification_outbox")
                .map { try $0.decode((Date, String).self) }
            #expect(rows.count == 30)
            var arrived: [String: Int] = [:]
            for text in try Self.received(for: c.email) {
                let time = try #require(text.firstMatch(of: /is on Tuesday 15 December at (\d\d:\d\d)\./)?.1)
                arrived[String(time), default: 0] += 1
            }
            #expect(arrived.values.allSatisfy { $0 == 1 }, "a message arrived twice: \(arrived)")
            let shown = { (date: Date) in
                NotificationTemplate.shown(date, in: TimeZone(identifier: "America/Chicago")!).suffix(5)
            }
            var uncertain = 0
            for (about, state) in rows {
                switch state {
                case "sent": #expect(arrived[String(shown(about))] == 1, "sent but not received: \(about)")
                case "uncertain": uncertain += 1
                default: Issue.record("a row ended \(state)")
                }
            }
            #expect(uncertain <= kills)
            #expect(kills >= 3)
            // Nothing lost unseen: every message that arrived is one of the 30, and every row whose
            // message did not arrive is one the operator is shown as uncertain (`haven notify status`).
            #expect(Set(arrived.keys).isSubset(of: Set(rows.map { String(shown($0.0)) })))
            #expect(rows.filter { arrived[String(shown($0.0))] == nil }.allSatisfy { $0.1 == "uncertain" })
            let status = try await NotificationSender.status(pool: c.setup.fixture.owner)
            #expect(status.uncertain.count == uncertain && (status.counts["uncertain"] ?? 0) == uncertain)
        }
    }
}
