import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// A practice's own measure on the portal (migration 0081) tried from the attacker's side: raw SQL as
/// `haven_app` with a partner's live session, or a counselor's context.
extension PartnerAttackTests {
    /// Adds a single-score measure `code` (0 to 10) to `practice` as the owner; returns its id.
    static func practiceMeasure(_ code: String, _ practice: UUID, _ p: Portal) async throws -> UUID {
        let id = UUID()
        try await p.owner.query(
            """
            INSERT INTO measure_definitions (id, practice_id, code, name, scoring, minimum, maximum, higher_is_better)
            VALUES (\(id), \(practice), \(code), \(code + " scale"), 'single_score', 0, 10, true)
            """
        )
        return id
    }

    @Test func aPracticeMeasureTakesOneNumberWithinItsRangeFromItsOwnPartnerOnly() async throws {
        try await portal { p in
            let close = try await Self.practiceMeasure("CLOSE", p.setup.fixture.practiceID, p)
            let forAlex = try #require(
                UUID(uuidString: try await Self.scheduleMeasure("CLOSE", for: p.alex, "once", p))
            )
            let forBoth = try #require(UUID(uuidString: try await Self.scheduleMeasure("CLOSE", for: nil, "once", p)))
            func stored() async throws -> Int {
                try await p.owner.query(
                    "SELECT count(*) FROM measure_administrations WHERE definition_id = \(close)"
                )[0].decode(0, as: Int.self)
            }
            // Out of the range, not a number, a total with items, or none: refused, nothing written.
            let refused: [(items: String, total: String)] = [
                ("{}", "10.5"), ("{}", "-0.01"), ("{}", "1000000"), ("{}", "'NaN'"), ("{}", "'Infinity'"),
                ("{}", "'-Infinity'"), ("{}", "NULL"), ("{5}", "5"), ("{0,5}", "5"), ("NULL", "5"),
            ]
            for attempt in refused {
                let outcome = try await Self.partnerCall(
                    PostgresQuery(
                        sql: """
                            SELECT haven_portal_submit_measure('\(forAlex)', gen_random_uuid(), \
                            \(attempt.items == "NULL" ? "NULL" : "'\(attempt.items)'")::int2[], \
                            \(attempt.total)::double precision)
                            """
                    ),
                    p.alexSession,
                    p.app
                )
                #expect(outcome == "invalid", "\(attempt)")
            }
            #expect(try await stored() == 0)
            let denied = try await p.owner.query(
                """
                SELECT count(*) FROM audit_log
                WHERE action = 'portal.measure.submit' AND outcome = 'denied' AND partner_client_id = \(p.alex)
                """
            )[0].decode(0, as: Int.self)
            #expect(denied == refused.count)
            // Jo cannot answer Alex's item, whatever the number; Jo's answer to the couple's is Jo's own.
            #expect(try await Self.submitMeasure(forAlex, [], total: 4, p.joSession, p.app) == "not-found")
            #expect(try await Self.submitMeasure(forBoth, [], total: 4, p.joSession, p.app) == "submitted")
            // Alex's answers, the bounds included; once each, final.
            #expect(try await Self.submitMeasure(forAlex, [], total: 10, p.alexSession, p.app) == "submitted")
            #expect(try await Self.submitMeasure(forAlex, [], total: 0, p.alexSession, p.app) == "answered")
            #expect(try await Self.submitMeasure(forBoth, [], total: 0, p.alexSession, p.app) == "submitted")
            let rows = try await p.owner.query(
                """
                SELECT client_id, schedule_id, total FROM measure_administrations WHERE definition_id = \(close)
                ORDER BY created_at, id
                """
            ).map { try $0.decode((UUID, UUID, Double).self) }
            #expect(rows.map(\.0) == [p.jo, p.alex, p.alex] && rows.map(\.1) == [forBoth, forAlex, forBoth])
            #expect(rows.map(\.2) == [4, 10, 0])
            // No UPDATE reach: the answer stays as given.
            let update = try await Self.sqlState {
                try await Self.asPartner(p.alexSession, p.app) { connection in
                    _ = try await connection.execute("UPDATE measure_administrations SET total = 1")
                }
            }
            #expect(update == "42501")
            let total = try await p.owner.query(
                "SELECT sum(total) FROM measure_administrations WHERE definition_id = \(close)"
            )[0].decode(0, as: Double.self)
            #expect(total == 14)
        }
    }

    @Test func aPartnerLearnsOnlyTheMeasuresScheduledForThemAndNoOtherPracticesMeasureIsScheduled() async throws {
        try await portal { p in
            _ = try await Self.practiceMeasure("CLOSE", p.setup.fixture.practiceID, p)
            _ = try await Self.practiceMeasure("UNASKED", p.setup.fixture.practiceID, p)
            let other = try await p.owner.query(
                "INSERT INTO practices (name) VALUES ('Another Practice') RETURNING id"
            )[0]
            .decode(0, as: UUID.self)
            let foreign = try await Self.practiceMeasure("FOREIGN", other, p)
            // Another practice's measure is no form the counselor may schedule, and the refusal is audited.
            let refused = try await Self.asStaff(
                """
                SELECT s.result FROM haven_measure_schedule(\(p.couple), NULL, \(foreign), 'once', true) s
                """,
                p.setup.counselorA,
                p.app
            )
            #expect(refused == "invalid")
            let audited = try await p.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'measure.schedule' AND outcome = 'denied'"
            )[0].decode(0, as: Int.self)
            #expect(audited == 1)
            _ = try await Self.scheduleMeasure("CLOSE", for: p.alex, "every_session", p)
            // Alex learns the scheduled measure's name and range through the due list only; Jo nothing, and
            // neither reads the practice's definitions.
            func due(_ session: [UInt8]) async throws -> [String] {
                try await Self.asPartner(session, p.app) { connection in
                    try await connection.query("SELECT name, minimum, maximum FROM haven_portal_measures_due()").map {
                        let (name, minimum, maximum) = try $0.decode((String, Double, Double).self)
                        return "\(name) \(minimum)-\(maximum)"
                    }
                }
            }
            #expect(try await due(p.alexSession) == ["CLOSE scale 0.0-10.0"])
            #expect(try await due(p.joSession).isEmpty)
            let definitions = try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.query(
                    "SELECT count(*) FROM measure_definitions WHERE practice_id IS NOT NULL"
                )[0].decode(0, as: Int.self)
            }
            #expect(definitions == 0)
        }
    }

    @Test func aCounselorsContextCannotRecordAPracticeMeasureOutsideItsRange() async throws {
        try await portal { p in
            let close = try await Self.practiceMeasure("CLOSE", p.setup.fixture.practiceID, p)
            func insert(_ total: String) async throws -> String? {
                try await Self.sqlState {
                    _ = try await p.app.transaction(as: p.setup.counselorA) { connection in
                        try await connection.execute(
                            PostgresQuery(
                                sql: """
                                    INSERT INTO measure_administrations (id, practice_id, definition_id, client_id,
                                                                         counselor_id, administered_on, total)
                                    VALUES (gen_random_uuid(), '\(p.setup.fixture.practiceID)', '\(close)',
                                            '\(p.alex)', '\(p.setup.fixture.counselorID)', current_date,
                                            \(total)::double precision)
                                    """
                            )
                        )
                    }
                }
            }
            // The app role's own INSERT (MeasureService.record's statement without its Swift check).
            for total in ["11", "-1", "'NaN'", "'Infinity'"] {
                #expect(try await insert(total) == "23514", "\(total)")
            }
            #expect(try await insert("7.5") == nil)
        }
    }
}
