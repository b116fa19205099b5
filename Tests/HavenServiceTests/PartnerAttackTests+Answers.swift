import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// A partner's own answers (migration 0045) tried from the attacker's side: raw SQL as `haven_app` with
/// a partner's live session, through the portal's functions only.
extension PartnerAttackTests {
    /// The chart's active key id, as the portal seals with it (from `session`'s context).
    static func sealingKey(_ session: [UInt8], _ pool: ConnectionPool) async throws -> UUID {
        try await asPartner(session, pool) { connection in
            try await connection.query("SELECT id FROM haven_portal_sealing_key()")[0].decode(0, as: UUID.self)
        }
    }

    /// Runs one portal function from `session`'s context and decodes its first column as text.
    static func partnerCall(
        _ statement: PostgresQuery,
        _ session: [UInt8],
        _ pool: ConnectionPool
    ) async throws
        -> String?
    {
        try await asPartner(session, pool) { connection in
            try await connection.query(statement)[0].decode(0, as: String?.self)
        }
    }

    /// What `session`'s context reads of the chart's answers: (assignment, own, draft version, shared).
    static func answers(
        _ session: [UInt8],
        _ pool: ConnectionPool
    ) async throws
        -> [(assignment: UUID, own: Bool, draft: Int?, shared: Bool)]
    {
        try await asPartner(session, pool) { connection in
            try await connection.query(
                "SELECT assignment_id, own, draft_version, shared_with_partner FROM haven_portal_answers()"
            ).map { row in
                let (assignment, own, draft, shared) = try row.decode((UUID, Bool, Int?, Bool).self)
                return (assignment, own, draft, shared)
            }
        }
    }

    /// Opens a high-risk flag on the couple: a later completed session whose note records high risk.
    static func openHighRisk(_ p: Portal) async throws {
        let session = try await p.setup.sessions.schedule(
            .couple(p.couple),
            start: Date(timeIntervalSince1970: 1_790_000_000 + 30 * 86_400),
            durationMinutes: 60,
            format: .inPerson,
            actor: p.setup.counselorA
        )
        try await p.setup.sessions.setStatus(.completed, session: session, actor: p.setup.counselorA)
        _ = try await p.setup.notes.writeDraft(.highRisk, session: session, actor: p.setup.counselorA)
    }

    static let sealed: [UInt8] = Array("not really sealed: the database only stores it".utf8)

    @Test func aPartnerWritesOnlyTheirOwnAnswerThroughThePortalsFunctions() async throws {
        try await portal { p in
            // No table privilege: the drafts are out of reach, the answers are not writable.
            for statement: PostgresQuery in [
                "SELECT count(*) FROM portal_answer_drafts",
                """
                INSERT INTO portal_answer_drafts (id, practice_id, assignment_id, partner_id, key_subject, body, body_key_id)
                SELECT gen_random_uuid(), practice_id, id, \(p.alex), key_subject, '\\x00', \(UUID())
                FROM homework_assignments
                """,
                "UPDATE homework_responses SET counselor_read_at = NULL",
            ] {
                let state = try await Self.sqlState {
                    try await Self.asPartner(p.alexSession, p.app) { connection in
                        _ = try await connection.execute(statement)
                    }
                }
                #expect(state == "42501", "\(statement.sql)")
            }
            let key = try await Self.sealingKey(p.alexSession, p.app)
            let sealed = Self.sealed
            // Jo's own assignment is no assignment to Alex: the same answer as an unknown id, audited.
            for assignment in [p.forJo, UUID()] {
                let outcome = try await Self.partnerCall(
                    "SELECT outcome FROM haven_portal_save_draft(\(assignment), \(UUID()), 0, \(sealed), \(key), false)",
                    p.alexSession,
                    p.app
                )
                #expect(outcome == "not-found")
            }
            let denied = try await p.owner.query(
                """
                SELECT count(*) FROM audit_log WHERE action = 'portal.answer.draft' AND outcome = 'denied'
                  AND partner_client_id = \(p.alex) AND staff_id IS NULL
                """
            )[0].decode(0, as: Int.self)
            #expect(denied == 2)
            // A key other than the chart's active one is refused.
            let wrongKey = try await Self.sqlState {
                _ = try await Self.partnerCall(
                    "SELECT outcome FROM haven_portal_save_draft(\(p.forAlex), \(UUID()), 0, \(sealed), \(UUID()), false)",
                    p.alexSession,
                    p.app
                )
            }
            #expect(wrongKey == "23514")
            // Drafts carry a version: a stale save or submit is a conflict, not a lost update.
            let draft = UUID()
            func save(_ expected: Int) async throws -> String? {
                try await Self.partnerCall(
                    """
                    SELECT outcome || ':' || coalesce(version::text, '-')
                    FROM haven_portal_save_draft(\(p.forAlex), \(draft), \(Int32(expected)), \(sealed), \(key), false)
                    """,
                    p.alexSession,
                    p.app
                )
            }
            #expect(try await save(0) == "saved:1")
            #expect(try await save(0) == "conflict:1")
            #expect(try await save(1) == "saved:2")
            func submit(_ expected: Int) async throws -> String? {
                try await Self.partnerCall(
                    """
                    SELECT haven_portal_submit_answer(\(p.forAlex), \(UUID()), \(Int32(expected)), \(sealed), \(key),
                                                      'completed')
                    """,
                    p.alexSession,
                    p.app
                )
            }
            #expect(try await submit(1) == "conflict")
            #expect(try await submit(2) == "submitted")
            let stored = try await p.owner.query(
                """
                SELECT answered_in_portal, NOT shared_with_partner, counselor_id = \(p.setup.fixture.counselorID),
                       (SELECT count(*) FROM portal_answer_drafts) = 0
                FROM homework_responses WHERE assignment_id = \(p.forAlex) AND partner_id = \(p.alex)
                """
            )[0].decode((Bool, Bool, Bool, Bool).self)
            #expect(stored == (true, true, true, true))
            let audited = try await p.owner.query(
                """
                SELECT array_agg(action ORDER BY seq) FROM audit_log
                WHERE partner_client_id = \(p.alex) AND entity_id = \(p.forAlex) AND outcome = 'success'
                """
            )[0].decode(0, as: [String].self)
            #expect(audited == ["portal.answer.draft", "portal.answer.draft", "portal.answer.submit"])
            // Alex reads their own answer; Jo reads nothing of it, not even a row.
            #expect(try await Self.answers(p.alexSession, p.app).contains { $0.assignment == p.forAlex && $0.own })
            #expect(try await Self.answers(p.joSession, p.app).allSatisfy { $0.assignment != p.forAlex })
        }
    }

    @Test func theOtherPartnerReadsOnlySharedAnswersAndNeverThatAnUnsharedOneExists() async throws {
        try await portal { p in
            // Both answered the joint assignment privately (the counselor typed them in): each sees one row,
            // their own, and no count, draft or key tells of the other's.
            for session in [p.alexSession, p.joSession] {
                let rows = try await Self.answers(session, p.app)
                #expect(rows.count == 1 && rows[0].assignment == p.joint && rows[0].own)
            }
            let hidden = try await Self.asPartner(p.joSession, p.app) { connection in
                try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM homework_responses),
                           (SELECT count(*) FROM haven_portal_answers() WHERE NOT own)
                    """
                )[0].decode((Int, Int).self)
            }
            #expect(hidden == (0, 0))
            // Alex shares: Jo reads it, without the counselor's read time; Alex stops sharing: gone again.
            let share: PostgresQuery = "SELECT haven_portal_share_answer(\(p.joint), true)"
            let unshare: PostgresQuery = "SELECT haven_portal_share_answer(\(p.joint), false)"
            #expect(try await Self.partnerCall(share, p.alexSession, p.app) == "shared")
            let seen = try await Self.asPartner(p.joSession, p.app) { connection in
                try await connection.query(
                    "SELECT count(*), bool_and(counselor_read IS NULL) FROM haven_portal_answers() WHERE NOT own"
                )[0].decode((Int, Bool).self)
            }
            #expect(seen == (1, true))
            #expect(try await Self.partnerCall(unshare, p.alexSession, p.app) == "unshared")
            #expect(try await Self.answers(p.joSession, p.app).filter { !$0.own }.isEmpty)
            // Jo cannot share (or unshare) Alex's answer: Jo's call acts on Jo's own answer only.
            #expect(try await Self.partnerCall(share, p.joSession, p.app) == "shared")
            #expect(try await Self.answers(p.alexSession, p.app).filter { !$0.own }.count == 1)
            let alexShared = try await p.owner.query(
                "SELECT shared_with_partner FROM homework_responses WHERE assignment_id = \(p.joint) AND partner_id = \(p.alex)"
            )[0].decode(0, as: Bool.self)
            #expect(!alexShared)
            // Once the counselor has read the answers, they and their sharing are final.
            let marked = try await Self.asStaff(
                "SELECT haven_homework_mark_read(\(p.joint))::text",
                p.setup.counselorA,
                p.app
            )
            #expect(marked == "2")
            let notMine = try await Self.asStaff(
                "SELECT haven_homework_mark_read(\(p.forAlex))::text",
                p.setup.counselorB,
                p.app
            )
            #expect(notMine == "0")
            #expect(try await Self.partnerCall(share, p.alexSession, p.app) == "read")
            #expect(try await Self.partnerCall(unshare, p.joSession, p.app) == "read")
            let key = try await Self.sealingKey(p.alexSession, p.app)
            let sealed = Self.sealed
            let draft = try await Self.partnerCall(
                "SELECT outcome FROM haven_portal_save_draft(\(p.joint), \(UUID()), 0, \(sealed), \(key), false)",
                p.alexSession,
                p.app
            )
            #expect(draft == "read")
            // A partner context cannot mark anything read (a staff function).
            let state = try await Self.sqlState {
                _ = try await Self.partnerCall(
                    "SELECT haven_homework_mark_read(\(p.joint))::text",
                    p.alexSession,
                    p.app
                )
            }
            #expect(state == "42501")
        }
    }

    @Test func anOpenHighRiskFlagRefusesSharingAndHidesWhatWasShared() async throws {
        try await portal { p in
            #expect(
                try await Self.partnerCall("SELECT haven_portal_share_answer(\(p.joint), true)", p.alexSession, p.app)
                    == "shared"
            )
            try await Self.openHighRisk(p)
            // The staff check answers false in a partner context (why 0045 has its own); the portal's is true.
            let checks = try await Self.asPartner(p.joSession, p.app) { connection in
                try await connection.query(
                    "SELECT haven_couple_high_risk(\(p.couple)), haven_portal_safety_mode()"
                )[0].decode((Bool, Bool).self)
            }
            #expect(checks == (false, true))
            // What Alex shared before the flag is not shown to Jo while it is open.
            #expect(try await Self.answers(p.joSession, p.app).filter { !$0.own }.isEmpty)
            // Sharing is refused everywhere; stopping to share is allowed.
            #expect(
                try await Self.partnerCall("SELECT haven_portal_share_answer(\(p.joint), true)", p.joSession, p.app)
                    == "safety-mode"
            )
            let key = try await Self.sealingKey(p.alexSession, p.app)
            let sealed = Self.sealed
            let draft = UUID()
            let sharedDraft = try await Self.partnerCall(
                "SELECT outcome FROM haven_portal_save_draft(\(p.forAlex), \(draft), 0, \(sealed), \(key), true)",
                p.alexSession,
                p.app
            )
            #expect(sharedDraft == "safety-mode")
            #expect(
                try await Self.partnerCall("SELECT haven_portal_share_answer(\(p.joint), false)", p.alexSession, p.app)
                    == "unshared"
            )
            // The staff check still answers for the counselor (same rule, one function).
            let banner = try await Self.asStaff(
                "SELECT haven_couple_high_risk(\(p.couple))::text",
                p.setup.counselorA,
                p.app
            )
            #expect(banner == "true")
        }
    }

    @Test func aPartnerContextReachesOnlyTheChartsKeyAndOnlyForAnswersItMayRead() async throws {
        try await portal { p in
            // Another subject's key (Alex's individual chart) beside the couple's.
            try await p.owner.withConnection { connection in
                _ = try await p.setup.keys.seal(
                    "individual",
                    practiceID: p.setup.fixture.practiceID,
                    at: SealedPlace(
                        subject: KeySubject(kind: .client, id: p.alex.uuidString.lowercased()),
                        table: "progress_notes",
                        column: "body",
                        rowID: UUID()
                    ),
                    on: connection
                )
            }
            let owned = try await p.owner.query(
                """
                SELECT id, subject_kind, subject_id FROM data_keys WHERE state = 'active' ORDER BY subject_kind, subject_id
                """
            ).map { try $0.decode((UUID, String, String).self) }
            let chartKey = try #require(owned.first { $0.1 == "couple" && $0.2 == p.couple.uuidString.lowercased() }).0
            #expect(owned.count > 1, "only the chart's key exists: the test proves nothing")
            #expect(try await Self.sealingKey(p.alexSession, p.app) == chartKey)
            for (key, _, _) in owned {
                let opened = try await Self.asPartner(p.alexSession, p.app) { connection in
                    try await connection.query("SELECT count(*) FROM haven_portal_opening_key(\(key))")[0]
                        .decode(0, as: Int.self)
                }
                // Alex's own joint answer was sealed with the chart's key; no other key comes back.
                #expect(opened == (key == chartKey ? 1 : 0))
            }
            // The portal's functions refuse a staff context.
            for statement: PostgresQuery in [
                "SELECT id::text FROM haven_portal_sealing_key()", "SELECT id::text FROM haven_portal_answers()",
                "SELECT haven_portal_share_answer(\(p.joint), true)",
            ] {
                let state = try await Self.sqlState {
                    _ = try await Self.asStaff(statement, p.setup.counselorA, p.app)
                }
                #expect(state == "42501", "\(statement.sql)")
            }
        }
    }
}
