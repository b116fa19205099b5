import Foundation
import HTTPTypes
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Opening charts over HTTP: clients and couples", .needsTestDatabase)
struct ChartRouteTests {
    struct Created: Decodable { var id: String }
    struct Page: Decodable {
        struct Line: Decodable {
            var id: String
            var partnerA: String
        }
        var items: [Line]
    }

    @Test func aCounselorOpensTwoClientsAndTheirCouple() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            func open(_ body: String) async throws -> String {
                try await client.execute(
                    uri: "/v1/clients",
                    method: .post,
                    headers: dana,
                    body: ByteBuffer(string: body)
                ) {
                    response in
                    #expect(response.status == .created)
                    return try json(Created.self, response).id
                }
            }
            let a = try await open(
                #"{"legalName": "Riley Fictional", "preferredName": "Ri", "intakeDate": "2026-11-02"}"#
            )
            let b = try await open(
                #"{"legalName": "Casey Fictional", "intakeDate": "2026-11-02", "attachmentStyle": "anxious"}"#
            )
            for (body, field) in [
                (#"{"legalName": "X", "intakeDate": "11/02/2026"}"#, "intakeDate"),
                (#"{"legalName": "X", "intakeDate": "2026-11-02", "attachmentStyle": "clingy"}"#, "attachmentStyle"),
                (#"{"legalName": " ", "intakeDate": "2026-11-02"}"#, "legalName"),
            ] {
                try await client.execute(
                    uri: "/v1/clients",
                    method: .post,
                    headers: dana,
                    body: ByteBuffer(string: body)
                ) {
                    response in
                    #expect(response.status == .unprocessableContent)
                    let problem = try json(Problem.self, response)
                    #expect(problem.field == field)
                    #expect(!problem.detail.contains("clingy"))
                }
            }
            let couple = ByteBuffer(
                string: """
                    {"partnerAId": "\(a)", "partnerBId": "\(b)", "startDate": "2026-11-03",
                     "presentingConcerns": "Fictional: distance after a move."}
                    """
            )
            let id = try await client.execute(uri: "/v1/couples", method: .post, headers: dana, body: couple) {
                response in
                #expect(response.status == .created)
                return try json(Created.self, response).id
            }
            let caseload = try await client.execute(uri: "/v1/couples?limit=200", method: .get, headers: dana) {
                try json(Page.self, $0)
            }
            #expect(caseload.items.contains { $0.id == id && $0.partnerA == "Ri" })

            // Sam cannot open a couple of Dana's clients: not found, audited as denied.
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            try await client.execute(uri: "/v1/couples", method: .post, headers: sam, body: couple) { response in
                #expect(response.status == .notFound)
            }
            // The new client's own progress report, by Accept; out of reach for Sam.
            var markdown = dana
            markdown[.accept] = "text/markdown"
            try await client.execute(uri: "/v1/clients/\(a)/report?audience=client", method: .get, headers: markdown) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/markdown") == true)
            }
            try await client.execute(uri: "/v1/clients/\(a)/report", method: .get, headers: sam) { response in
                #expect(response.status == .notFound)
            }
            let denied = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: fixture.practiceID, staffID: fixture.sam.staffID, action: "couple.create"),
                    on: connection
                )
            }
            #expect(denied.filter { $0.entry.outcome == .denied }.count == 1, "Sam's own couple was opened in setup")
        }
    }
}
