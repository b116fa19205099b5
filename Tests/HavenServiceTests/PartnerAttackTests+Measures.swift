import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// Measures on the portal (migration 0055) tried from the attacker's side: raw SQL as `haven_app` with a
/// partner's live session, through the portal's measure functions only.
extension PartnerAttackTests {
    /// Counselor A schedules `code` for `partner` (nil: both) of the couple; returns the schedule's id.
    static func scheduleMeasure(
        _ code: String,
        for partner: UUID?,
        _ cadence: String,
        trend: Bool = false,
        _ p: Portal,
        as actor: StaffActor? = nil
    ) async throws -> String {
        try await asStaff(
            """
            SELECT coalesce(s.id::text, s.result) FROM haven_measure_schedule(\(p.couple), \(partner), \
            (SELECT id FROM measure_definitions WHERE code = \(code)), \(cadence), \(trend)) s
            """,
            actor ?? p.setup.counselorA,
            p.app
        )
    }

    /// The schedule ids due from `session`'s partner now.
    static func due(_ session: [UInt8], _ pool: ConnectionPool) async throws -> Set<UUID> {
        try await asPartner(session, pool) { connection in
            Set(
                try await connection.query("SELECT schedule_id FROM haven_portal_measures_due()")
                    .map { try $0.decode(0, as: UUID.self) }
            )
        }
    }

    /// Submits `items` (with `total`) for `schedule` from `session`'s context; the outcome.
    static func submitMeasure(
        _ schedule: UUID,
        _ items: [Int32],
        total: Double,
        _ session: [UInt8],
        _ pool: ConnectionPool
    ) async throws -> String? {
        try await partnerCall(
            "SELECT haven_portal_submit_measure(\(schedule), \(UUID()), \(items)::int2[], \(total))",
            session,
            pool
        )
    }

    @Test func aCounselorsContextCannotFileAPortalAnswerThePartnerNeverGave() async throws {
        try await portal { p in
            let forAlex = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CSI-4", for: p.alex, "every_session", p))
            )
            // Review 11, finding 2: the app role's own INSERT with the schedule named, as counselor A.
            let forged = await #expect(throws: PostgresError.self) {
                try await p.app.transaction(as: p.setup.counselorA) { connection in
                    try await connection.execute(
                        """
                        INSERT INTO measure_administrations (id, practice_id, definition_id, client_id, counselor_id,
                                                             administered_on, items, total, schedule_id, due_session_id)
                        SELECT gen_random_uuid(), m.practice_id, m.definition_id, \(p.alex), m.counselor_id,
                               current_date, '{}', 999, m.id, \(p.nextSession)
                        FROM measure_schedules m WHERE m.id = \(forAlex)
                        """
                    )
                }
            }
            #expect(forged?.sqlState == "42501")
            // Alex's own answer is still due and goes through the portal's function.
            #expect(try await Self.due(p.alexSession, p.app) == [forAlex])
            #expect(
                try await Self.submitMeasure(forAlex, [4, 3, 3, 2], total: 12, p.alexSession, p.app) == "submitted"
            )
            // A counselor's own measure (no schedule) still inserts through the same policy.
            let measures = MeasureService(pool: p.app, keys: p.setup.keys)
            _ = try await measures.record(
                measure: try await p.owner.query("SELECT id FROM measure_definitions WHERE code = 'CSI-4'")[0]
                    .decode(0, as: UUID.self),
                client: p.alex,
                administeredOn: CalendarDate(year: 2026, month: 9, day: 22)!,
                items: [4, 3, 3, 3],
                actor: p.setup.counselorA
            )
        }
    }

    @Test func aPartnerCannotFileAnAnswerNoFormHas() async throws {
        try await portal { p in
            let csi4 = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CSI-4", for: p.alex, "every_session", p))
            )
            let csi32 = try #require(UUID(uuidString: try await Self.scheduleMeasure("CSI-32", for: nil, "once", p)))
            let fives = Array(repeating: Int32(5), count: 31)
            // Migration 0060, review 11 finding 3: each total is within the form's range and (but for the
            // last) the items' sum, as 0055 checked; the items are no answer of the form.
            let refused: [(schedule: UUID, items: [Int32], total: Double)] = [
                (csi4, [6, 5, 5], 16),  // a count too few
                (csi4, [4, 3, 3, 3, 0], 13),  // one too many
                (csi4, [21], 21),  // one item holding the total
                (csi4, Array(repeating: 0, count: 39) + [10], 10),  // forty
                (csi4, Array(repeating: 1, count: 16), 16),  // another form's count
                (csi4, [7, 3, 3, 3], 16),  // item 1 is scored 0–6
                (csi4, [4, 6, 3, 3], 16),  // every other item 0–5
                (csi4, [0, 0, 0, 99], 99),
                (csi4, [-1, 5, 5, 5], 14),
                (csi32, [6] + fives.dropLast(), 156),  // 31 items
                (csi32, [6, 6] + fives.dropLast(2) + [4], 161),  // item 2 at 6
                (csi4, [4, 3, 3, 3], 14),  // a total that is not the items' sum
            ]
            for attempt in refused {
                let outcome = try await Self.submitMeasure(
                    attempt.schedule,
                    attempt.items,
                    total: attempt.total,
                    p.alexSession,
                    p.app
                )
                #expect(outcome == "invalid", "\(attempt.items) = \(attempt.total)")
            }
            func stored() async throws -> Int {
                try await p.owner.query(
                    "SELECT count(*) FROM measure_administrations WHERE schedule_id IN (\(csi4), \(csi32))"
                )[0].decode(0, as: Int.self)
            }
            #expect(try await stored() == 0)
            // Still due, each refusal audited as denied; the forms' highest answers go through.
            #expect(try await Self.due(p.alexSession, p.app) == [csi4, csi32])
            let denied = try await p.owner.query(
                """
                SELECT count(*) FROM audit_log
                WHERE action = 'portal.measure.submit' AND outcome = 'denied' AND partner_client_id = \(p.alex)
                """
            )[0].decode(0, as: Int.self)
            // Review 12, finding 2 (migration 0062): the right items with another lower bound are refused too.
            let shifted = try await Self.partnerCall(
                "SELECT haven_portal_submit_measure(\(csi4), \(UUID()), '[0:3]={6,5,5,5}'::int2[], 21)",
                p.alexSession,
                p.app
            )
            #expect(shifted == "invalid")
            #expect(try await stored() == 0)
            #expect(denied == refused.count)
            #expect(try await Self.submitMeasure(csi4, [6, 5, 5, 5], total: 21, p.alexSession, p.app) == "submitted")
            #expect(try await Self.submitMeasure(csi32, [6] + fives, total: 161, p.alexSession, p.app) == "submitted")
            #expect(try await stored() == 2)
        }
    }

    @Test func aCounselorsContextCannotRecordACSIAnswerNoFormHas() async throws {
        try await portal { p in
            let csi4 = try await p.owner.query("SELECT id FROM measure_definitions WHERE code = 'CSI-4'")[0]
                .decode(0, as: UUID.self)
            func insert(_ items: String, _ total: Double, as actor: StaffActor) async throws -> String? {
                try await Self.sqlState {
                    _ = try await p.app.transaction(as: actor) { connection in
                        try await connection.execute(
                            """
                            INSERT INTO measure_administrations (id, practice_id, definition_id, client_id,
                                                                 counselor_id, administered_on, items, total)
                            VALUES (gen_random_uuid(), \(p.setup.fixture.practiceID), \(csi4), \(p.alex),
                                    \(p.setup.fixture.counselorID), current_date, \(items)::int2[], \(total))
                            """
                        )
                    }
                }
            }
            func count() async throws -> Int {
                try await p.owner.query("SELECT count(*) FROM measure_administrations")[0].decode(0, as: Int.self)
            }
            let before = try await count()
            // The app role's own INSERT, as the couple's counselor (MeasureService.record's statement
            // without its Swift checks): an item-less total, a wrong count, an item out of range, a total
            // that is not the items' sum.
            for (items, total) in [
                ("{}", 13.0), ("{4,3,3}", 10), ("{4,3,3,3,0}", 13), ("{7,3,3,3}", 16), ("{4,3,3,3}", 14),
                ("[0:3]={4,3,3,3}", 13),  // another lower bound (review 12, finding 2)
            ] {
                #expect(try await insert(items, total, as: p.setup.counselorA) == "23514", "\(items) = \(total)")
            }
            // Who may write answers first: counselor B, without the couple, is refused for reach (42501)
            // whatever the row holds.
            #expect(try await insert("{7,3,3,3}", 16, as: p.setup.counselorB) == "42501")
            #expect(try await count() == before)
            #expect(try await insert("{4,3,3,3}", 13, as: p.setup.counselorA) == nil)
            // A practice's own single-score measure takes a total without items, as before.
            try await p.owner.query(
                """
                INSERT INTO measure_definitions (id, practice_id, code, name, scoring, minimum, maximum, higher_is_better)
                VALUES (\(UUID()), \(p.setup.fixture.practiceID), 'CLOSE', 'Closeness (practice scale)',
                        'single_score', 0, 100, true)
                """
            )
            let measures = MeasureService(pool: p.app, keys: p.setup.keys)
            _ = try await measures.record(
                measure: try await measures.definitionID(code: "CLOSE", actor: p.setup.counselorA),
                client: p.alex,
                administeredOn: CalendarDate(year: 2026, month: 9, day: 22)!,
                score: 40,
                actor: p.setup.counselorA
            )
            #expect(try await count() == before + 2)
        }
    }

    @Test func aPartnerAnswersOnlyTheirOwnDueMeasureOnceAndTheOtherNeverSeesIt() async throws {
        try await portal { p in
            // Counselor B's caseload does not hold the couple: refused, the same as no couple.
            #expect(try await Self.scheduleMeasure("CSI-4", for: nil, "once", p, as: p.setup.counselorB) == "not-found")
            #expect(try await Self.scheduleMeasure("CSI-4", for: p.setup.fixture.counselorID, "once", p) == "invalid")
            let forAlex = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CSI-4", for: p.alex, "every_session", p))
            )
            let forBoth = try #require(UUID(uuidString: try await Self.scheduleMeasure("CSI-16", for: nil, "once", p)))
            // No table reach: the schedules and the administrations are not readable or writable.
            for statement: PostgresQuery in [
                "INSERT INTO measure_schedules (id, practice_id, couple_id, definition_id, cadence, counselor_id, created_by) SELECT gen_random_uuid(), practice_id, couple_id, definition_id, 'once', counselor_id, created_by FROM measure_schedules",
                "UPDATE measure_administrations SET total = 0",
                "UPDATE measure_schedules SET show_trend = true",
                """
                INSERT INTO measure_administrations (id, practice_id, definition_id, client_id, counselor_id, administered_on, total)
                SELECT gen_random_uuid(), (SELECT id FROM practices), d.id, \(p.alex), \(p.setup.fixture.counselorID),
                       current_date, 21
                FROM measure_definitions d WHERE d.code = 'CSI-4'
                """,
                "SELECT haven_measure_schedule(\(p.couple), NULL, NULL, 'once', true)",
            ] {
                let state = try await Self.sqlState {
                    try await Self.asPartner(p.alexSession, p.app) { connection in
                        _ = try await connection.execute(statement)
                    }
                }
                #expect(state == "42501", "\(statement.sql)")
            }
            let seen = try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.query(
                    "SELECT (SELECT count(*) FROM measure_schedules) + (SELECT count(*) FROM measure_administrations)"
                )[0].decode(0, as: Int.self)
            }
            #expect(seen == 0)
            // Each partner's due items are their own: Jo has only the couple's form.
            #expect(try await Self.due(p.alexSession, p.app) == [forAlex, forBoth])
            #expect(try await Self.due(p.joSession, p.app) == [forBoth])
            // Jo answering Alex's item is the same as answering none, audited as denied.
            for schedule in [forAlex, UUID()] {
                #expect(
                    try await Self.submitMeasure(schedule, [4, 3, 3, 3], total: 13, p.joSession, p.app) == "not-found"
                )
            }
            // Items that do not add up to the total, or out of the form's range, are refused.
            #expect(try await Self.submitMeasure(forAlex, [1, 1, 1, 1], total: 9, p.alexSession, p.app) == "invalid")
            #expect(try await Self.submitMeasure(forAlex, [90, 0, 0, 0], total: 90, p.alexSession, p.app) == "invalid")
            #expect(
                try await Self.submitMeasure(forAlex, [4, 3, 3, 3], total: 13, p.alexSession, p.app) == "submitted"
            )
            // Once only: the due item is answered and final.
            #expect(try await Self.submitMeasure(forAlex, [6, 5, 5, 5], total: 21, p.alexSession, p.app) == "answered")
            #expect(try await Self.due(p.alexSession, p.app) == [forBoth])
            let stored = try await p.owner.query(
                """
                SELECT count(*), bool_and(client_id = \(p.alex) AND due_session_id = \(p.nextSession)
                                          AND counselor_id = \(p.setup.fixture.counselorID) AND total = 13)
                FROM measure_administrations WHERE schedule_id = \(forAlex)
                """
            )[0].decode((Int, Bool).self)
            #expect(stored == (1, true))
            let audited = try await p.owner.query(
                """
                SELECT partner_client_id::text || ':' || outcome || ':' || coalesce(entity_type, '-') || ':'
                       || (client_ids @> ARRAY[\(p.alex), \(p.jo)])::text
                FROM audit_log WHERE action = 'portal.measure.submit' AND staff_id IS NULL ORDER BY seq
                """
            ).map { try $0.decode(0, as: String.self) }
            let jo = p.jo.uuidString.lowercased()
            let alex = p.alex.uuidString.lowercased()
            #expect(
                audited == [
                    "\(jo):denied:-:true", "\(jo):denied:-:true", "\(alex):denied:-:true", "\(alex):denied:-:true",
                    "\(alex):success:measure:true", "\(alex):denied:-:true",
                ]
            )
            // Jo reads nothing of Alex's answer: no trend row, no due row, no count.
            let joSees = try await Self.asPartner(p.joSession, p.app) { connection in
                try await connection.query("SELECT count(*) FROM haven_portal_measure_trend()")[0].decode(
                    0,
                    as: Int.self
                )
            }
            #expect(joSees == 0)
            // Safety mode does not block a partner's own measure.
            try await Self.openHighRisk(p)
            #expect(
                try await Self.submitMeasure(forBoth, Array(repeating: 3, count: 16), total: 48, p.joSession, p.app)
                    == "submitted"
            )
            #expect(try await Self.due(p.joSession, p.app).isEmpty)
            #expect(try await Self.due(p.alexSession, p.app) == [forBoth])
        }
    }

    @Test func everyOtherSessionSkipsTheSecondAndTheTrendFollowsTheCounselorsFlag() async throws {
        try await portal { p in
            let other = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CSI-4", for: nil, "every_other_session", p))
            )
            let every = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CSI-32", for: nil, "every_session", p))
            )
            // The next session is the first after scheduling: both are due.
            #expect(try await Self.due(p.alexSession, p.app) == [other, every])
            // Scheduled ten days ago with a session since: the next one is the second, skipped.
            _ = try await p.owner.query(
                "UPDATE measure_schedules SET created_at = now() - interval '10 days' WHERE id IN (\(other), \(every))"
            )
            _ = try await p.setup.sessions.schedule(
                .couple(p.couple),
                start: Date().addingTimeInterval(-2 * 86_400),
                durationMinutes: 60,
                format: .inPerson,
                actor: p.setup.counselorA
            )
            #expect(try await Self.due(p.alexSession, p.app) == [every])
            // The trend: nothing until the counselor allows it; then the partner's own answers only.
            let once = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CSI-4", for: p.alex, "once", trend: true, p))
            )
            #expect(try await Self.submitMeasure(once, [4, 3, 3, 3], total: 13, p.alexSession, p.app) == "submitted")
            func trend(_ session: [UInt8]) async throws -> [Double] {
                try await Self.asPartner(session, p.app) { connection in
                    try await connection.query("SELECT total FROM haven_portal_measure_trend()")
                        .map { try $0.decode(0, as: Double.self) }
                }
            }
            #expect(try await trend(p.alexSession) == [13])
            #expect(try await trend(p.joSession).isEmpty)
            // Ending the schedule ends the trend and the due item; only the counselor may end it.
            let refused = try await Self.sqlState {
                _ = try await Self.partnerCall("SELECT haven_measure_schedule_end(\(once))", p.alexSession, p.app)
            }
            #expect(refused == "42501")
            #expect(
                try await Self.asStaff("SELECT haven_measure_schedule_end(\(once))", p.setup.counselorB, p.app)
                    == "not-found"
            )
            #expect(
                try await Self.asStaff("SELECT haven_measure_schedule_end(\(once))", p.setup.counselorA, p.app)
                    == "done"
            )
            #expect(try await trend(p.alexSession).isEmpty)
        }
    }

    @Test func aDueMeasureQueuesOneReminderBeforeTheSessionAndNoneOnceAnswered() async throws {
        try await portal { p in
            // The outbox's measure-due rows: (client, session, state), as the owner reads them.
            func rows() async throws -> [String] {
                try await p.owner.query(
                    """
                    SELECT a.client_id::text || ':' || o.session_id::text || ':' || o.state
                           || ':' || (o.due_at = o.about_time - interval '2 days')::text
                    FROM notification_outbox o JOIN partner_accounts a ON a.id = o.account_id
                    WHERE o.kind = 'measure-due' ORDER BY 1
                    """
                ).map { try $0.decode(0, as: String.self) }
            }
            /// Why the sender would skip the pending measure-due row of `client` now (nil: it sends).
            func skip(_ client: UUID) async throws -> String? {
                try await p.owner.query(
                    """
                    SELECT haven_notification_skip_reason(o, a)
                    FROM notification_outbox o JOIN partner_accounts a ON a.id = o.account_id
                    WHERE o.kind = 'measure-due' AND o.state = 'pending' AND a.client_id = \(client)
                    """
                )[0].decode(0, as: String?.self)
            }
            #expect(try await rows().isEmpty)
            let forAlex = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CSI-4", for: p.alex, "every_session", p))
            )
            // One row for Alex before the booked session, none for Jo (the form is Alex's); a second
            // schedule adds no second row.
            let alex = p.alex.uuidString.lowercased()
            let next = p.nextSession.uuidString.lowercased()
            #expect(try await rows() == ["\(alex):\(next):pending:true"])
            _ = try await Self.scheduleMeasure("CSI-16", for: nil, "once", p)
            let jo = p.jo.uuidString.lowercased()
            #expect(
                try await rows().sorted() == ["\(alex):\(next):pending:true", "\(jo):\(next):pending:true"].sorted()
            )
            #expect(try await skip(p.alex) == nil)
            // Moving the session supersedes the row and queues one for the new time.
            _ = try await p.setup.sessions.reschedule(
                session: p.nextSession,
                start: Date().addingTimeInterval(6 * 86_400),
                durationMinutes: 60,
                actor: p.setup.counselorA
            )
            let moved = try await rows()
            #expect(moved.filter { $0.hasPrefix(alex) && $0.contains(":pending:") }.count == 1)
            #expect(moved.filter { $0.hasPrefix(alex) && $0.contains(":skipped:") }.count == 1)
            // Once nothing is waiting from Alex (both forms answered), the sender skips it as answered.
            #expect(
                try await Self.submitMeasure(forAlex, [4, 3, 3, 3], total: 13, p.alexSession, p.app) == "submitted"
            )
            #expect(try await skip(p.alex) == nil)
            let both = try await p.owner.query("SELECT id FROM measure_schedules WHERE partner_id IS NULL")[0]
                .decode(0, as: UUID.self)
            #expect(
                try await Self.submitMeasure(both, Array(repeating: 3, count: 16), total: 48, p.alexSession, p.app)
                    == "submitted"
            )
            #expect(try await skip(p.alex) == "answered")
            #expect(try await skip(p.jo) == nil)
            // The partner's opt-out of questionnaires applies.
            _ = try await Self.partnerCall(
                "SELECT haven_portal_set_notification('measure-due', false)::text",
                p.joSession,
                p.app
            )
            #expect(try await skip(p.jo) == "opted out")
        }
    }
}
