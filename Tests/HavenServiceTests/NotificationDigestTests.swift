import Foundation
import HavenMail
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// The counselor's digest of new portal answers (migration 0052): a submitted answer, shared or not,
/// queues one digest for the couple's counselor (coalesced: one pending at a time, due at the next
/// 09:00), sent to the staff member's address with the number of unread answers and nothing else;
/// turned off by the counselor or the practice; and, from the attacker's side, no more reachable to
/// `haven_app` or `haven_notify` than the partners' reminders.
@Suite("The counselor's digest of new homework answers (migration 0052)", .needsTestDatabase, .needsTestSMTP)
struct NotificationDigestTests {
    /// PartnerAttackTests' couple (Alex and Jo signed in) with counselor A under a fresh address (the
    /// test SMTP server is shared), and the portal over the application role.
    func clinic(
        _ body: (PartnerAttackTests.Portal, PortalService, _ address: String) async throws -> Void
    ) async throws {
        try await PartnerAttackTests().portal { p in
            let address = "dana-\(UUID().uuidString.prefix(8).lowercased())@harbor.example"
            try await p.owner.query("UPDATE staff SET email = \(address) WHERE id = \(p.setup.fixture.counselorID)")
            try await body(p, PortalService(pool: p.app, keys: p.setup.keys), address)
        }
    }

    /// A partner answers `assignment` in the portal (a draft, then submitted).
    func answer(_ portal: PortalService, _ assignment: UUID, _ session: [UInt8], _ text: String) async throws {
        let actor = PartnerActor(sessionHash: session, source: "test")
        let draft = try await portal.saveDraft(
            assignment: assignment,
            draft: nil,
            expectedVersion: 0,
            text: text,
            share: false,
            actor: actor
        )
        let version = try #require(draft.version)
        #expect(try await portal.submit(assignment: assignment, expectedVersion: version, actor: actor) == .submitted)
    }

    /// The digests: state, recipient staff, whether a partner, chart or cause is named, and the due
    /// time's hour and minute in the practice's zone.
    func digests(_ p: PartnerAttackTests.Portal) async throws -> [(String, UUID, Bool, String)] {
        try await p.owner.query(
            """
            SELECT o.state, o.staff_id, num_nonnulls(o.account_id, o.chart_id, o.assignment_id, o.session_id) > 0,
                   to_char(o.due_at AT TIME ZONE p.time_zone, 'HH24:MI')
            FROM notification_outbox o JOIN practices p ON p.id = o.practice_id
            WHERE o.kind = 'answer-digest' ORDER BY o.created_at
            """
        ).map { try $0.decode((String, UUID, Bool, String).self) }
    }

    /// Makes the pending digest due now (the clock's part, not the rule's).
    func makeDue(_ p: PartnerAttackTests.Portal) async throws {
        try await p.owner.query(
            "UPDATE notification_outbox SET due_at = now() WHERE kind = 'answer-digest' AND state = 'pending'"
        )
    }

    @Test func answersQueueOneDigestThatSaysOnlyHowManyWait() async throws {
        try await clinic { p, portal, address in
            // The counselor's own entries (not from the portal) queue nothing.
            #expect(try await digests(p).isEmpty)
            try await answer(portal, p.forAlex, p.alexSession, "Fictional SENTINEL words of Alex")
            let first = try await digests(p)
            #expect(first.count == 1)
            let (state, staff, namesMore, due) = try #require(first.first)
            #expect(state == "pending" && staff == p.setup.fixture.counselorID && !namesMore && due == "09:00")
            // A second answer, the other partner's and shared, joins the pending digest.
            try await answer(portal, p.forJo, p.joSession, "Fictional SENTINEL words of Jo")
            #expect(try await digests(p).count == 1)
            try await makeDue(p)
            #expect(try await p.setup.testSender().run().sent == 1)
            let messages = try TestMailbox.received(for: address)
            #expect(messages.count == 1)
            let text = try #require(messages.first)
            #expect(text.contains("Subject: New homework answers in Haven"))
            #expect(text.contains("You have 2 new homework answers in Haven."))
            #expect(text.contains("https://haven.harbor.example/today"))
            let title = try await p.owner.query(
                "SELECT p.title FROM homework_assignments a JOIN homework_prompts p ON p.id = a.prompt_id WHERE a.id = \(p.forAlex)"
            )[0].decode(0, as: String.self)
            for word in ["Alex", "Morgan", "Jordan", "Jo ", "SENTINEL", "Fictional", "Reyes", title] {
                #expect(!text.contains(word), "\(word)")
            }
            let audit = try await p.owner.query(
                "SELECT entity_type, entity_id, cardinality(client_ids)::bigint FROM audit_log WHERE action = 'notification.sent'"
            ).map { try $0.decode((String, UUID, Int).self) }
            #expect(audit.count == 1 && audit[0].0 == "staff" && audit[0].1 == p.setup.fixture.counselorID)
            #expect(audit.first?.2 == 0)
            // Read before it is due: the next digest finds nothing new and is skipped.
            try await answer(portal, p.joint, p.alexSession, "Fictional SENTINEL joint words")
            let homework = HomeworkService(pool: p.app, keys: p.setup.keys)
            for assignment in [p.forAlex, p.forJo, p.joint] {
                _ = try await homework.assignment(
                    assignment,
                    today: NotificationCauseTests.today,
                    actor: p.setup.counselorA
                )
            }
            try await makeDue(p)
            #expect(try await p.setup.testSender().run().skipped == 1)
            #expect(try await digests(p).map(\.0) == ["sent", "skipped"])
            #expect(try TestMailbox.received(for: address).count == 1)
        }
    }

    @Test func answersSubmittedAtTheSameTimeStillQueueOneDigest() async throws {
        try await clinic { p, portal, _ in
            async let alex: Void = answer(portal, p.forAlex, p.alexSession, "Fictional SENTINEL words")
            async let jo: Void = answer(portal, p.forJo, p.joSession, "Fictional SENTINEL words")
            _ = try await (alex, jo)
            #expect(try await digests(p).map(\.0) == ["pending"])
        }
    }

    @Test func aDigestThatFailsWhileANewerOneWaitsIsCoalescedNotPutBack() async throws {
        try await clinic { p, portal, _ in
            try await answer(portal, p.forAlex, p.alexSession, "Fictional SENTINEL words")
            // The sender claims the digest (the claim's own state change), and Jo answers during the send.
            let first = try await p.owner.query(
                "UPDATE notification_outbox SET state = 'sending', attempts = 1, lease_until = now() + interval '5 minutes' WHERE kind = 'answer-digest' RETURNING id"
            )[0].decode(0, as: UUID.self)
            try await answer(portal, p.forJo, p.joSession, "Fictional SENTINEL words")
            #expect(try await digests(p).map(\.0) == ["sending", "pending"])
            // The relay said "try later": the one-pending index must not make the retry fail.
            let retried = try await p.owner.query(
                "SELECT haven_notification_retry(\(first), 'the relay timed out', 60)"
            )[0].decode(0, as: Bool.self)
            #expect(retried)
            #expect(try await digests(p).map(\.0) == ["skipped", "pending"])
            let audit = try await p.owner.query(
                "SELECT action, outcome FROM audit_log WHERE request_id = \("notification:" + first.uuidString.uppercased())"
            ).map { try $0.decode((String, String).self) }
            #expect(audit.count == 1 && audit[0].0 == "notification.skipped" && audit[0].1 == "denied")
        }
    }

    @Test func theCounselorOrThePracticeTurnsTheDigestOff() async throws {
        try await clinic { p, portal, address in
            let practice = PracticeService(pool: p.app)
            try await practice.setOwnNotification(.answerDigest, send: false, actor: p.setup.counselorA)
            #expect(try await practice.ownNotificationSettings(actor: p.setup.counselorA).map(\.partnerOff) == [true])
            // The partners' kinds are not a staff member's to switch.
            await #expect(throws: ServiceError.self) {
                try await practice.setOwnNotification(.homeworkNew, send: false, actor: p.setup.counselorA)
            }
            try await answer(portal, p.forAlex, p.alexSession, "Fictional SENTINEL words")
            try await makeDue(p)
            #expect(try await p.setup.testSender().run().skipped == 1)
            // On again for Dana, off for the practice: still skipped.
            try await practice.setOwnNotification(.answerDigest, send: true, actor: p.setup.counselorA)
            try await practice.setNotification(.answerDigest, send: false, actor: p.setup.admin)
            try await answer(portal, p.forJo, p.joSession, "Fictional SENTINEL words")
            try await makeDue(p)
            #expect(try await p.setup.testSender().run().skipped == 1)
            #expect(try TestMailbox.received(for: address).isEmpty)
            let reasons = try await p.owner.query(
                "SELECT last_error FROM notification_outbox WHERE kind = 'answer-digest' ORDER BY created_at"
            ).map { try $0.decode(0, as: String.self) }
            #expect(reasons == ["opted out", "opted out"])
            let actions = try await p.owner.query(
                "SELECT action FROM audit_log WHERE action LIKE '%.notification.%' ORDER BY seq"
            ).map { try $0.decode(0, as: String.self) }
            #expect(actions == ["staff.notification.off", "staff.notification.on", "practice.notification.off"])
            // A partner cannot switch the counselor's digest, not even for themselves.
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            await #expect(throws: ServiceError.self) {
                try await portal.setNotification(.answerDigest, send: false, actor: alex)
            }
        }
    }

    @Test func theDigestRevealsNothingMoreThanAReminderToEitherRole() async throws {
        try await clinic { p, portal, address in
            try await answer(portal, p.forAlex, p.alexSession, "Fictional SENTINEL words")
            try await makeDue(p)
            // The application role: no outbox, no opt-outs, no sender function, no staff switch without
            // a staff context of its own.
            try await p.app.withConnection { connection in
                for call in [
                    "SELECT count(*) FROM notification_outbox", "SELECT count(*) FROM notification_opt_outs",
                    "SELECT * FROM haven_notification_claim(60)",
                    "SELECT haven_staff_set_notification('answer-digest', false)",
                    "SELECT * FROM haven_staff_notification_settings()",
                ] {
                    await #expect(throws: PostgresError.self, "\(call)") {
                        try await connection.query(PostgresQuery(sql: call))
                    }
                }
            }
            // The sender's role: the claim names the staff member, their address and a count, and no
            // partner, client, chart or answer; it reads no table.
            let notify = try PostgresConfiguration(try await TestDatabase.notifyURL(for: p.owner.configuration))
            try await TestDatabase.withConnection(notify) { connection in
                for table in ["homework_responses", "staff", "couples", "notification_outbox"] {
                    await #expect(throws: PostgresError.self, "\(table)") {
                        try await connection.query("SELECT count(*) FROM \(identifier: table)")
                    }
                }
                let claimed = try await connection.query(
                    """
                    SELECT account_id, client_id, staff_id, kind, email, answers, skip_reason
                    FROM haven_notification_claim(60)
                    """
                )
                #expect(claimed.count == 1)
                let (account, client, staff, kind, email, answers, reason) = try claimed[0].decode(
                    (UUID?, UUID?, UUID?, String, String?, Int32?, String?).self
                )
                #expect(account == nil && client == nil && staff == p.setup.fixture.counselorID)
                #expect(kind == "answer-digest" && email == address && answers == 1 && reason == nil)
            }
            // The row itself holds no text and no cause: a staff member, a kind and two times.
            let row = try await p.owner.query(
                """
                SELECT num_nonnulls(account_id, chart_kind, chart_id, assignment_id, session_id, last_error)
                FROM notification_outbox WHERE kind = 'answer-digest'
                """
            )[0].decode(0, as: Int.self)
            #expect(row == 0)
        }
    }
}
