import HavenCore
import HavenTestSupport
import Postgres
import Testing

/// The CSI forms' item rule is written twice: in HavenCore (`CouplesSatisfactionIndex.score`, which the
/// server scores with) and in the database (`haven_csi_items_valid`, migration 0060, which the portal's
/// submit and the `measure_administrations` trigger ask). These tests hold the two to the same answer, so
/// neither can change alone.
@Suite("The CSI item rule: the database and HavenCore agree", .needsTestDatabase)
struct MeasureItemRuleTests {
    /// Answers probing `form`'s rule: each item just inside and just outside both of its bounds (the
    /// others at 0), every item at its highest, and every count from none to one past the longest form.
    static func probes(_ form: CouplesSatisfactionIndex) -> [[Int]] {
        let zeros = Array(repeating: 0, count: form.itemCount)
        var probes = (0...33).map { Array(repeating: 0, count: $0) }
        probes.append((0..<form.itemCount).map { form.range(ofItem: $0).upperBound })
        for index in 0..<form.itemCount {
            let allowed = form.range(ofItem: index)
            for response in [allowed.lowerBound - 1, allowed.lowerBound, allowed.upperBound, allowed.upperBound + 1] {
                var items = zeros
                items[index] = response
                probes.append(items)
            }
        }
        return probes
    }

    /// The database's answer for each of `probes` as `form`, in order.
    static func database(
        _ form: String,
        _ probes: [[Int]],
        on connection: PostgresConnection
    ) async throws -> [Bool] {
        let literals = probes.map { "{" + $0.map(String.init).joined(separator: ",") + "}" }
        return try await connection.query(
            """
            SELECT haven_csi_items_valid(\(form), p.items::int2[])
            FROM unnest(\(literals)::text[]) WITH ORDINALITY AS p (items, n) ORDER BY p.n
            """
        ).map { try $0.decode(0, as: Bool.self) }
    }

    @Test(arguments: CouplesSatisfactionIndex.allCases)
    func theDatabaseTakesExactlyTheAnswersHavenCoreScores(_ form: CouplesSatisfactionIndex) async throws {
        let probes = Self.probes(form)
        let core = probes.map { (try? form.score($0)) != nil }
        // The probes reach both sides of the rule: the right count, items in and out of range.
        #expect(core.filter { $0 }.count == 2 + 2 * form.itemCount)
        try await TestDatabase.with { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let sql = try await Self.database(form.rawValue, probes, on: connection)
                for (index, items) in probes.enumerated() where sql[index] != core[index] {
                    Issue.record(
                        "\(form.rawValue) \(items): HavenCore \(core[index] ? "scores" : "refuses") it, the database \(sql[index] ? "takes" : "refuses") it"
                    )
                }
                #expect(sql.count == probes.count)
            }
        }
    }

    @Test func theFormsAreTheBuiltInDefinitionsWithHavenCoresRanges() async throws {
        try await TestDatabase.with { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let rows = try await connection.query(
                    """
                    SELECT code, scoring, minimum, maximum FROM measure_definitions
                    WHERE practice_id IS NULL AND scoring <> 'single_score' ORDER BY code
                    """
                ).map { try $0.decode((String, String, Double, Double).self) }
                #expect(rows.map(\.0).sorted() == CouplesSatisfactionIndex.allCases.map(\.rawValue).sorted())
                for (code, scoring, minimum, maximum) in rows {
                    let form = try #require(CouplesSatisfactionIndex(rawValue: code))
                    #expect(scoring == "csi\(form.itemCount)", "\(code)")
                    #expect(minimum == 0 && maximum == Double(form.maximum), "\(code)")
                }
            }
        }
    }

    @Test func theDatabaseRefusesWhatSwiftCannotSend() async throws {
        try await TestDatabase.with { configuration in
            try await TestDatabase.withConnection(configuration) { connection in
                let answers = try await connection.query(
                    """
                    SELECT haven_csi_items_valid(f, i) IS FALSE
                    FROM (VALUES ('CSI-4', '{1,2,NULL,3}'::int2[]), ('CSI-4', '{{1,2},{3,4}}'), ('CSI-4', NULL),
                                 (NULL, '{1,2,3,4}'), ('csi4', '{1,2,3,4}'), ('CSI-8', '{1,2,3,4,1,2,3,4}'),
                                 ('CLOSE', '{1,2,3,4}')) AS t (f, i)
                    """
                ).map { try $0.decode(0, as: Bool.self) }
                #expect(answers == Array(repeating: true, count: 7))
                // Another lower bound is no answer (review 12, finding 2, migration 0062): stored as given, it
                // broke the client's record export, which reads items as a 1-based array.
                let shifted = try await connection.query(
                    "SELECT haven_csi_items_valid('CSI-4', '[0:3]={6,5,5,5}'::int2[])"
                )[0].decode(0, as: Bool.self)
                #expect(!shifted)
            }
        }
    }
}
