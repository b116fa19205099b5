import Foundation
import HavenHTTP
import HavenService
import HavenTestSupport
import Testing

extension CLIRouteTests {
    /// `haven measure trend --json` prints the route's own view: it names the measure and the client,
    /// and a practice's own code travels percent-encoded in the path.
    @Test func aTrendNamesItsMeasureAndClientAndTakesAnyCode() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            _ = try await StaffService(pool: fixture.owner).defineMeasure(
                .init(code: "Fictional scale", name: "Fictional scale", minimum: 0, maximum: 100, higherIsBetter: true),
                practiceID: fixture.practiceID,
                source: "test"
            )
            struct Couple: Decodable {
                struct Person: Decodable { var id: String }
                var partnerA: Person
            }
            let partner = try json(
                Couple.self,
                try await Self.send(client, "/v1/couples/\(fixture.danaCouple)", .get, dana, expect: .ok)
            ).partnerA.id
            try await Self.send(
                client,
                "/v1/clients/\(partner)/measures",
                .post,
                dana,
                #"{"code": "Fictional scale", "administeredOn": "2026-11-01", "score": 42}"#,
                expect: .created
            )
            let trend = try json(
                HavenAPI.TrendView.self,
                try await Self.send(
                    client,
                    "/v1/clients/\(partner)/measures/Fictional%20scale",
                    .get,
                    dana,
                    expect: .ok
                )
            )
            #expect(trend.measure == "Fictional scale" && trend.clientId == partner)
            #expect(trend.points.map(\.total) == [42] && trend.points.map(\.date) == ["2026-11-01"])
            // CSI-4 with its hyphen percent-encoded is still CSI-4 (no administrations yet).
            let csi = try json(
                HavenAPI.TrendView.self,
                try await Self.send(client, "/v1/clients/\(partner)/measures/CSI%2D4", .get, dana, expect: .ok)
            )
            #expect(csi.measure == "CSI-4" && csi.points.isEmpty && csi.cutoff == 13.5)
            let unknown = try await Self.send(
                client,
                "/v1/clients/\(partner)/measures/Fictional%20other",
                .get,
                dana,
                expect: .notFound
            )
            #expect(try Self.field(unknown) == "measure")
        }
    }
}
