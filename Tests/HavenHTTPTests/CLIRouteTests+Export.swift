import Foundation
import HTTPTypes
import HavenService
import Hummingbird
import HummingbirdTesting
import Testing

extension CLIRouteTests {
    /// The export in Markdown or HTML by `Accept`, the same document; anything else a 406 before
    /// anything is read or audited.
    @Test func aClientExportIsReadableByAccept() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let partner = try await Self.partnerA(fixture, client, HTTPFixture.bearer(token))
            let uri = "/v1/clients/\(partner)/export"
            let html = try await Self.send(
                client,
                uri,
                .get,
                HTTPFixture.bearer(token, [.accept: "text/html"]),
                expect: .ok
            )
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: html.body).hasPrefix("<!DOCTYPE html>"))
            #expect(String(buffer: html.body).contains("Left out of this export"))
            let md = try await Self.send(
                client,
                uri,
                .get,
                HTTPFixture.bearer(token, [.accept: "text/markdown"]),
                expect: .ok
            )
            #expect(md.headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(String(buffer: md.body).hasPrefix("# Records export: "))
            let refused = try await Self.send(
                client,
                uri,
                .get,
                HTTPFixture.bearer(token, [.accept: "application/pdf"]),
                expect: .notAcceptable
            )
            #expect(try Self.field(refused) == "Accept")
            let exports = try await Self.audited(
                fixture,
                "client.export",
                staff: fixture.dana.staffID,
                outcome: .success
            )
            #expect(exports.count == 2)
        }
    }

    /// The review lists what concerns the other partner, without text; audited; out of reach 404
    /// audited as denied.
    @Test func aClientExportReviewIsAuditedAndOutOfReachIsNotFound() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            let partner = try await Self.partnerA(fixture, client, dana)
            let uri = "/v1/clients/\(partner)/export/review"
            let response = try await Self.send(client, uri, .get, dana, expect: .ok)
            #expect(response.headers[.contentType] == "application/json")
            let review = try json(ExportReview.self, response)
            #expect(review.clientID.uuidString.lowercased() == partner)
            #expect(review.items.allSatisfy { $0.partnerID.uuidString.lowercased() != partner })
            let audited = try await Self.audited(
                fixture,
                "client.export.review",
                staff: fixture.dana.staffID,
                outcome: .success
            )
            #expect(audited == [UUID(uuidString: partner)])
            try await Self.send(client, uri, .get, sam, expect: .notFound)
            let denied = try await Self.audited(
                fixture,
                "client.export.review",
                staff: fixture.sam.staffID,
                outcome: .denied
            )
            #expect(denied == [UUID(uuidString: partner)])
            let bad = try await Self.send(client, uri + "?psychotherapyNotes=yes", .get, dana, expect: .badRequest)
            #expect(try Self.field(bad) == "psychotherapyNotes")
            try await Self.send(client, uri, .get, [:], expect: .unauthorized)
        }
    }

    /// Partner A of Dana's couple, as lowercase id text.
    static func partnerA(
        _ fixture: HTTPFixture,
        _ client: any TestClientProtocol,
        _ dana: HTTPFields
    ) async throws
        -> String
    {
        struct Couple: Decodable {
            struct Person: Decodable { var id: String }
            var partnerA: Person
        }
        return try json(
            Couple.self,
            try await Self.send(client, "/v1/couples/\(fixture.danaCouple)", .get, dana, expect: .ok)
        ).partnerA.id
    }
}
