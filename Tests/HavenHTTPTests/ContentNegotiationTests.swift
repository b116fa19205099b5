import Foundation
import HTTPTypes
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import HavenHTTP

@Suite("Accept: what a route can serve, else 406 before it runs")
struct ContentNegotiationTests {
    @Test func theClientsPreferenceWinsByWeightAndSpecificity() {
        let offered = ["application/json", "text/html", "text/markdown"]
        #expect(ContentNegotiation.choose(offered, accept: nil) == "application/json")
        #expect(ContentNegotiation.choose(offered, accept: "text/html") == "text/html")
        #expect(ContentNegotiation.choose(offered, accept: "text/*;q=0.5, text/markdown") == "text/markdown")
        #expect(
            ContentNegotiation.choose(offered, accept: "text/html;q=0.2, application/json;q=0.9") == "application/json"
        )
        #expect(ContentNegotiation.choose(offered, accept: "*/*") == "application/json")
        #expect(ContentNegotiation.choose(offered, accept: "*/*;q=0.1, text/markdown") == "text/markdown")
        #expect(ContentNegotiation.choose(offered, accept: "application/pdf") == nil)
        #expect(ContentNegotiation.choose(offered, accept: "application/json;q=0, text/*;q=0") == nil)
        // A more specific range's zero wins over a wildcard's weight.
        #expect(ContentNegotiation.choose(["application/json"], accept: "*/*, application/json;q=0") == nil)
        // Nothing valid in the header: as if there were none.
        #expect(ContentNegotiation.choose(offered, accept: "nonsense") == "application/json")
    }

    @Test(.needsTestDatabase) func anUnservableAcceptIs406AndNothingRuns() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            for uri in ["/v1/couples", "/v1/couples/\(fixture.danaCouple)/report"] {
                try await client.execute(
                    uri: uri,
                    method: .get,
                    headers: HTTPFixture.bearer(token, [.accept: "image/png"])
                ) { response in
                    #expect(response.status == .notAcceptable, "\(uri)")
                    let problem = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect(
                        problem?["title"] as? String == "Not Acceptable" && problem?["field"] as? String == "Accept"
                    )
                    #expect((problem?["detail"] as? String)?.contains("application/json") == true)
                }
            }
            try await client.execute(
                uri: "/v1/couples",
                method: .get,
                headers: HTTPFixture.bearer(token, [.accept: "text/html, application/json;q=0.5"])
            ) { #expect($0.status == .ok) }
            // Refused before the route: no caseload read was audited for the refused requests.
            let reads = try await fixture.owner.query(
                "SELECT count(*)::int4 FROM audit_log WHERE action IN ('couple.list', 'report.generate')"
            )
            #expect(try reads[0].decode(0, as: Int32.self) == 1)
        }
    }
}
