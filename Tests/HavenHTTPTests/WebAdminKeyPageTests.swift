import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@testable import HavenHTTP

/// `/admin/keys`: the practice's key status for its admins, counts only, audited.
@Suite("The admin's key status page", .needsTestDatabase)
struct WebAdminKeyPageTests {
    @Test func anAdminSeesThisPracticesKeyCountsAndTheReadIsAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await WebAdminPageTests.addStaff(fixture)
            // A shredded key of another practice: not this practice's (which has none shredded).
            try await fixture.owner.query(
                """
                WITH other AS (INSERT INTO practices (name) VALUES ('Elsewhere Counseling') RETURNING id)
                INSERT INTO data_keys (id, practice_id, subject_kind, subject_id, state, shredded_at)
                SELECT gen_random_uuid(), other.id, 'test', 'elsewhere', 'shredded', now() FROM other
                """
            )
            let (active, shredded, master) = try await fixture.owner.withConnection { connection in
                let row = try await connection.query(
                    """
                    SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'shredded'),
                           max(master_key_version)
                    FROM data_keys WHERE practice_id = \(fixture.practiceID)
                    """
                )[0]
                return try row.decode((Int, Int, Int).self)
            }
            #expect(active > 0 && shredded == 0)
            let admin = try await WebPageTests.signIn(client, "office@harbor.example")
            let (status, html) = try await WebAdminPageTests.get(client, "/admin/keys", admin)
            #expect(status == .ok)
            let row = "<tr><th scope=\"row\">active</th><td>\(master)</td><td>\(active)</td><td>0</td></tr>"
            #expect(html.contains(row))
            #expect(!html.contains("none (shredded)"))
            #expect(!html.contains("A rotation has not finished"))
            #expect(!html.contains("Fictional"))
            #expect(try await WebAdminPageTests.count(fixture, action: "keys.status", outcome: .success) == 1)

            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let (refused, _) = try await WebAdminPageTests.get(client, "/admin/keys", dana)
            #expect(refused == .forbidden)
            #expect(try await WebAdminPageTests.count(fixture, action: "keys.status", outcome: .denied) == 1)
        }
    }
}
