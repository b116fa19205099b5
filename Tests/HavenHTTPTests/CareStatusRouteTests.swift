import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `PUT /v1/couples/{id}/status` and `PUT /v1/clients/{id}/status`: a counselor pauses, discharges and
/// reactivates their own charts; bad values are 422 naming `status`, another counselor's chart 404, and
/// a reactivation that breaks the one-active-couple rule 409.
@Suite("/v1 care status: pause, discharge, reactivate", .needsTestDatabase)
struct CareStatusRouteTests {
    struct Change: Decodable, Equatable {
        var id: String
        var status: String
        var previousStatus: String
        var changed: Bool
    }

    static func put(
        _ client: any TestClientProtocol,
        _ path: String,
        _ body: String,
        _ auth: HTTPFields
    ) async throws -> (HTTPResponse.Status, ByteBuffer) {
        try await client.execute(uri: path, method: .put, headers: auth, body: ByteBuffer(string: body)) {
            ($0.status, $0.body)
        }
    }

    @Test func aCounselorSetsTheirChartsStatusAndIsRefusedPlainlyOtherwise() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let couple = fixture.danaCouple.uuidString.lowercased()
            let path = "/v1/couples/\(couple)/status"
            let (status, body) = try await Self.put(client, path, #"{"status": "paused"}"#, dana)
            #expect(status == .ok)
            let change = try JSONDecoder().decode(Change.self, from: Data(buffer: body))
            #expect(change == Change(id: couple, status: "paused", previousStatus: "active", changed: true))
            let (_, again) = try await Self.put(client, path, #"{"status": "paused"}"#, dana)
            #expect(try JSONDecoder().decode(Change.self, from: Data(buffer: again)).changed == false)
            try await client.execute(uri: "/v1/couples/\(couple)", method: .get, headers: dana) { response in
                #expect(String(buffer: response.body).contains(#""status":"paused""#))
            }
            // Bad values: 422 naming the field, the value never echoed.
            for bad in [#"{"status": "archived"}"#, #"{"status": ""}"#, #"{"status": "Paused"}"#] {
                let (status, body) = try await Self.put(client, path, bad, dana)
                #expect(status == .unprocessableContent, "\(bad)")
                let problem = try JSONDecoder().decode(Problem.self, from: Data(buffer: body))
                #expect(problem.field == "status" && problem.detail.contains("active, paused, discharged"))
                #expect(!problem.detail.contains("archived"))
            }
            let (missing, _) = try await Self.put(client, path, "{}", dana)
            #expect(missing == .unprocessableContent || missing == .badRequest)
            // Sam's couple, and a couple that is not there: 404, unchanged.
            let sam = "/v1/couples/\(fixture.samCouple.uuidString.lowercased())/status"
            #expect(try await Self.put(client, sam, #"{"status": "discharged"}"#, dana).0 == .notFound)
            #expect(
                try await Self.put(client, "/v1/couples/\(UUID())/status", #"{"status": "paused"}"#, dana).0
                    == .notFound
            )
            #expect(
                try await Self.put(client, "/v1/couples/nope/status", #"{"status": "paused"}"#, dana).0 == .badRequest
            )
            let samStatus = try await fixture.owner.query("SELECT status FROM couples WHERE id = \(fixture.samCouple)")
            #expect(try samStatus[0].decode(0, as: String.self) == "active")
            // Without a token: 401.
            #expect(try await Self.put(client, path, #"{"status": "active"}"#, [:]).0 == .unauthorized)

            // A client chart.
            let a = try await fixture.owner.query("SELECT partner_a_id FROM couples WHERE id = \(fixture.danaCouple)")[
                0
            ]
            .decode(0, as: UUID.self)
            let clientPath = "/v1/clients/\(a.uuidString.lowercased())/status"
            let (clientStatus, clientBody) = try await Self.put(client, clientPath, #"{"status": "discharged"}"#, dana)
            #expect(clientStatus == .ok)
            #expect(try JSONDecoder().decode(Change.self, from: Data(buffer: clientBody)).status == "discharged")

            // Reactivating while a partner is in another active couple: 409 naming the field.
            _ = try await Self.put(client, path, #"{"status": "discharged"}"#, dana)
            let charts = ChartService(pool: fixture.app, keys: fixture.keys)
            let c = try await charts.createClient(
                .init(legalName: "Fictional C", intakeDate: CalendarDate(year: 2026, month: 9, day: 1)!),
                actor: fixture.dana
            )
            _ = try await charts.createCouple(
                partnerA: a,
                partnerB: c,
                startDate: CalendarDate(year: 2026, month: 10, day: 1)!,
                presentingConcerns: nil,
                actor: fixture.dana
            )
            let (conflict, problemBody) = try await Self.put(client, path, #"{"status": "active"}"#, dana)
            #expect(conflict == .conflict)
            let problem = try JSONDecoder().decode(Problem.self, from: Data(buffer: problemBody))
            #expect(problem.field == "status" && problem.detail.contains("discharge that couple first"))
        }
    }
}
