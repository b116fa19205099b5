import Foundation
import HTTPTypes
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The routes the CLI needs to be a pure client of the API: id prefixes, the day's schedule, report
/// summaries, exports, break-glass grants and psychotherapy notes.
@Suite(
    "Routes for the CLI: references, schedule, summaries, export, break-glass, psychotherapy notes",
    .needsTestDatabase
)
struct CLIRouteTests {
    struct Created: Decodable { var id: String }
    struct Reference: Decodable {
        var kind: String
        var id: String
    }

    /// The ids of `action` entries with `outcome` by `staff`.
    static func audited(
        _ fixture: HTTPFixture,
        _ action: String,
        staff: UUID,
        outcome: AuditEntry.Outcome,
        breakGlassOnly: Bool = false
    ) async throws -> [UUID?] {
        try await fixture.owner.withConnection { connection in
            try await AuditStore.list(
                .init(
                    practiceID: fixture.practiceID,
                    staffID: staff,
                    action: action,
                    breakGlassOnly: breakGlassOnly,
                    outcome: outcome
                ),
                on: connection
            )
        }.map(\.entry.entityID)
    }

    /// Sends `body` (JSON text) and expects `status`; returns the problem's field for failures.
    @discardableResult
    static func send(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ method: HTTPRequest.Method,
        _ headers: HTTPFields,
        _ body: String? = nil,
        expect status: HTTPResponse.Status
    ) async throws -> TestResponse {
        try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        ) { response in
            #expect(response.status == status, "\(method) \(uri)")
            return response
        }
    }

    static func field(_ response: TestResponse) throws -> String? { try json(Problem.self, response).field }

    @Test func prefixesResolveWithinReach() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            let couple = fixture.danaCouple.uuidString.lowercased()
            let found = try await Self.send(
                client,
                "/v1/references?kind=couple&prefix=\(couple.prefix(8))",
                .get,
                dana,
                expect: .ok
            )
            #expect(try json(Reference.self, found).id == couple)
            #expect(try json(Reference.self, found).kind == "couple")
            let hidden = try await Self.send(
                client,
                "/v1/references?kind=couple&prefix=\(couple.prefix(8))",
                .get,
                sam,
                expect: .notFound
            )
            #expect(try Self.field(hidden) == "prefix")
            let malformed = try await Self.send(
                client,
                "/v1/references?kind=couple&prefix=xyz",
                .get,
                dana,
                expect: .unprocessableContent
            )
            #expect(try Self.field(malformed) == "prefix")
            let missing = try await Self.send(
                client,
                "/v1/references?kind=couple",
                .get,
                dana,
                expect: .unprocessableContent
            )
            #expect(try Self.field(missing) == "prefix")
            let kind = try await Self.send(
                client,
                "/v1/references?kind=chart&prefix=abcdef12",
                .get,
                dana,
                expect: .badRequest
            )
            #expect(try Self.field(kind) == "kind")
            for suffix in ["1", "2"] {
                try await fixture.owner.query(
                    """
                    INSERT INTO clients (id, practice_id, legal_name, intake_date, primary_counselor_id)
                    VALUES (\(UUID(uuidString: "cccccccc-0000-4000-8000-\(suffix)00000000000")!), \(fixture.practiceID),
                            'Fictional \(suffix)', '2026-09-01', \(fixture.dana.staffID))
                    """
                )
            }
            let ambiguous = try await Self.send(
                client,
                "/v1/references?kind=client&prefix=cccccccc",
                .get,
                dana,
                expect: .conflict
            )
            let problem = try json(Problem.self, ambiguous)
            #expect(problem.field == "prefix" && problem.type.hasSuffix("/ambiguous-reference"))
            #expect(
                problem.detail.contains("cccccccc-0000-4000-8000-100000000000, cccccccc-0000-4000-8000-200000000000")
            )
            try await Self.send(client, "/v1/references?kind=client&prefix=cccccccc", .get, [:], expect: .unauthorized)
        }
    }

    @Test func theDaysScheduleSpansChartsInReach() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            struct Page: Decodable {
                struct Line: Decodable {
                    var id: String
                    var chartId: String
                }
                var items: [Line]
            }
            // The fixture's sessions start at 1_790_000_000 (2026-09-21T14:13:20Z).
            let day = "from=2026-09-21T00:00:00-05:00&to=2026-09-22T00:00:00-05:00"
            let page = try json(
                Page.self,
                try await Self.send(client, "/v1/therapy-sessions?\(day)", .get, dana, expect: .ok)
            )
            #expect(page.items.map(\.id) == [fixture.danaSession.uuidString.lowercased()])
            let before = "from=2026-09-20T00:00:00Z&to=2026-09-21T00:00:00Z"
            #expect(
                try json(
                    Page.self,
                    try await Self.send(client, "/v1/therapy-sessions?\(before)", .get, dana, expect: .ok)
                ).items.isEmpty
            )
            let bad = try await Self.send(
                client,
                "/v1/therapy-sessions?from=2026-09-21",
                .get,
                dana,
                expect: .badRequest
            )
            #expect(try Self.field(bad) == "from")
            try await Self.send(client, "/v1/therapy-sessions", .get, [:], expect: .unauthorized)
            let audited = try await Self.audited(
                fixture,
                "session.list",
                staff: fixture.dana.staffID,
                outcome: .success
            )
            #expect(audited == [fixture.dana.staffID, fixture.dana.staffID])
        }
    }

    @Test func aCounselorWritesAReportSummary() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            let uri = "/v1/couples/\(fixture.danaCouple.uuidString.lowercased())/report-summaries"
            let body =
                #"{"summary": "Fictional: steadier.", "from": "2026-09-01", "to": "2026-09-30", "nextReview": "2026-10-31"}"#
            let created = try await Self.send(client, uri, .post, dana, body, expect: .created)
            #expect(UUID(uuidString: try json(Created.self, created).id) != nil)
            let hidden = try await Self.send(client, uri, .post, sam, body, expect: .notFound)
            #expect(!String(buffer: hidden.body).contains("steadier"))
            #expect(
                try await Self.audited(fixture, "report.summary.set", staff: fixture.sam.staffID, outcome: .denied) == [
                    fixture.danaCouple
                ]
            )
            for (bad, field) in [
                (#"{"summary": " ", "from": "2026-09-01", "to": "2026-09-30"}"#, "summary"),
                (#"{"summary": "Fictional.", "from": "2026-09-01", "to": "30/09/2026"}"#, "to"),
                (#"{"summary": "Fictional.", "from": "2026-09-30", "to": "2026-09-01"}"#, "to"),
                (
                    #"{"summary": "Fictional.", "from": "2026-09-01", "to": "2026-09-30", "nextReview": "2026-09-02"}"#,
                    "nextReview"
                ),
            ] {
                let refused = try await Self.send(client, uri, .post, dana, bad, expect: .unprocessableContent)
                #expect(try Self.field(refused) == field)
                #expect(!String(buffer: refused.body).contains("Fictional"))
            }
            try await Self.send(client, "/v1/clients/\(UUID())/report-summaries", .post, dana, body, expect: .notFound)
            try await Self.send(client, uri, .post, [:], body, expect: .unauthorized)
        }
    }

    @Test func aClientExportIsTheCLIsDocument() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            struct Couple: Decodable {
                struct Person: Decodable { var id: String }
                var partnerA: Person
            }
            let couple = try json(
                Couple.self,
                try await Self.send(client, "/v1/couples/\(fixture.danaCouple)", .get, dana, expect: .ok)
            )
            let uri = "/v1/clients/\(couple.partnerA.id)/export"
            let plain = try await Self.send(client, uri, .get, dana, expect: .ok)
            #expect(plain.headers[.cacheControl] == "no-store")
            #expect(plain.headers[.contentType] == "application/json")
            let export = try ClientExport.decoder.decode(ClientExport.self, from: Data(buffer: plain.body))
            #expect(export.format == "haven-client-export-v1")
            #expect(export.client.id.uuidString.lowercased() == couple.partnerA.id)
            #expect(export.psychotherapyNotes == nil)
            #expect(Data(buffer: plain.body) == (try ClientExport.encoder.encode(export)), "the CLI's encoding")
            try await Self.send(
                client,
                "/v1/couples/\(fixture.danaCouple)/psychotherapy-notes",
                .post,
                dana,
                #"{"body": "Fictional process note."}"#,
                expect: .created
            )
            let withNotes = try await Self.send(client, uri + "?psychotherapyNotes=true", .get, dana, expect: .ok)
            let full = try ClientExport.decoder.decode(ClientExport.self, from: Data(buffer: withNotes.body))
            #expect(full.psychotherapyNotes?.map(\.body) == ["Fictional process note."])
            let bad = try await Self.send(client, uri + "?psychotherapyNotes=yes", .get, dana, expect: .badRequest)
            #expect(try Self.field(bad) == "psychotherapyNotes")
            try await Self.send(client, uri, .get, sam, expect: .notFound)
            let denied = try await Self.audited(fixture, "client.export", staff: fixture.sam.staffID, outcome: .denied)
            #expect(denied == [UUID(uuidString: couple.partnerA.id)])
            #expect(
                try await Self.audited(
                    fixture,
                    "client.export.psychotherapy_notes",
                    staff: fixture.dana.staffID,
                    outcome: .success
                ).count == 1
            )
            try await Self.send(client, uri, .get, [:], expect: .unauthorized)
        }
    }

    @Test func breakGlassOpensReadsUnderTheHeaderAndCloses() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            var samGlass = sam
            samGlass[.havenBreakGlass] = "on"
            let couple = fixture.danaCouple.uuidString.lowercased()
            let note = try json(
                Created.self,
                try await Self.send(
                    client,
                    "/v1/couples/\(couple)/psychotherapy-notes",
                    .post,
                    dana,
                    #"{"body": "Fictional private note."}"#,
                    expect: .created
                )
            ).id
            try await Self.send(client, "/v1/couples/\(couple)", .get, samGlass, expect: .notFound)
            let reason = "Fictional: the client's counselor is away and a crisis call came in."
            for (body, field) in [
                (#"{"chartKind": "couple", "chartId": "\#(couple)", "reason": "too short"}"#, "reason"),
                (
                    #"{"chartKind": "couple", "chartId": "\#(couple)", "reason": "\#(reason)", "durationMinutes": 0}"#,
                    "durationMinutes"
                ),
                (
                    #"{"chartKind": "couple", "chartId": "\#(couple)", "reason": "\#(reason)", "durationMinutes": 9223372036854775807}"#,
                    "durationMinutes"
                ),
                (#"{"chartKind": "chart", "chartId": "\#(couple)", "reason": "\#(reason)"}"#, "chartKind"),
            ] {
                let refused = try await Self.send(
                    client,
                    "/v1/break-glass-grants",
                    .post,
                    sam,
                    body,
                    expect: .unprocessableContent
                )
                #expect(try Self.field(refused) == field)
                #expect(!String(buffer: refused.body).contains("crisis"))
            }
            let nowhere = try await Self.send(
                client,
                "/v1/break-glass-grants",
                .post,
                sam,
                #"{"chartKind": "couple", "chartId": "\#(UUID())", "reason": "\#(reason)"}"#,
                expect: .notFound
            )
            #expect(try Self.field(nowhere) == "chartId")
            let opened = try await Self.send(
                client,
                "/v1/break-glass-grants",
                .post,
                sam,
                #"{"chartKind": "couple", "chartId": "\#(couple)", "reason": "\#(reason)", "durationMinutes": 30}"#,
                expect: .created
            )
            struct Grant: Decodable {
                var id: String
                var chartKind: String
                var chartId: String
                var expiresAt: Date
                var live: Bool
            }
            let grant = try json(Grant.self, opened)
            #expect(grant.chartKind == "couple" && grant.chartId == couple && grant.live)
            #expect(grant.expiresAt.timeIntervalSinceNow < 31 * 60)

            // Without the header the grant widens nothing; with it, reads reach the chart, flagged.
            try await Self.send(client, "/v1/couples/\(couple)", .get, sam, expect: .notFound)
            try await Self.send(client, "/v1/couples/\(couple)", .get, samGlass, expect: .ok)
            let read = try await Self.send(client, "/v1/psychotherapy-notes/\(note)", .get, samGlass, expect: .ok)
            #expect(String(buffer: read.body).contains("Fictional private note."))
            let flagged = try await Self.audited(
                fixture,
                "couple.read",
                staff: fixture.sam.staffID,
                outcome: .success,
                breakGlassOnly: true
            )
            #expect(flagged == [fixture.danaCouple])
            // A write under it is refused, and writes nothing.
            try await Self.send(
                client,
                "/v1/couples/\(couple)/goals",
                .post,
                samGlass,
                #"{"description": "Fictional goal."}"#,
                expect: .forbidden
            )
            var badHeader = sam
            badHeader[.havenBreakGlass] = "yes"
            let header = try await Self.send(client, "/v1/couples/\(couple)", .get, badHeader, expect: .badRequest)
            #expect(try Self.field(header) == "Haven-Break-Glass")

            struct Page: Decodable { var items: [Grant] }
            let list = try json(
                Page.self,
                try await Self.send(client, "/v1/break-glass-grants", .get, sam, expect: .ok)
            )
            #expect(list.items.map(\.id) == [grant.id])
            #expect(
                try json(Page.self, try await Self.send(client, "/v1/break-glass-grants", .get, dana, expect: .ok))
                    .items.isEmpty
            )
            try await Self.send(client, "/v1/break-glass-grants/\(grant.id)", .delete, dana, expect: .notFound)
            try await Self.send(client, "/v1/break-glass-grants/\(grant.id)", .delete, sam, expect: .noContent)
            try await Self.send(client, "/v1/break-glass-grants/\(grant.id)", .delete, sam, expect: .notFound)
            try await Self.send(client, "/v1/couples/\(couple)", .get, samGlass, expect: .notFound)
            let closed = try json(
                Page.self,
                try await Self.send(client, "/v1/break-glass-grants", .get, sam, expect: .ok)
            )
            #expect(closed.items.map(\.live) == [false])
            try await Self.send(client, "/v1/break-glass-grants", .get, [:], expect: .unauthorized)
            try await Self.send(client, "/v1/break-glass-grants/\(grant.id)", .delete, [:], expect: .unauthorized)
        }
    }

    @Test func psychotherapyNotesAreTheirAuthorsAlone() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            let uri = "/v1/couples/\(fixture.danaCouple)/psychotherapy-notes"
            let created = try await Self.send(
                client,
                uri,
                .post,
                dana,
                #"{"body": "Fictional hunch."}"#,
                expect: .created
            )
            let id = try json(Created.self, created).id
            #expect(created.headers[.location] == "/v1/psychotherapy-notes/\(id)")
            let read = try await Self.send(client, "/v1/psychotherapy-notes/\(id)", .get, dana, expect: .ok)
            struct Note: Decodable {
                var id: String
                var body: String
            }
            #expect(try json(Note.self, read).body == "Fictional hunch.")
            #expect(read.headers[.cacheControl] == "no-store")
            let hidden = try await Self.send(client, "/v1/psychotherapy-notes/\(id)", .get, sam, expect: .notFound)
            #expect(!String(buffer: hidden.body).contains("hunch"))
            let readDenied = try await Self.audited(
                fixture,
                "psychotherapy_note.read",
                staff: fixture.sam.staffID,
                outcome: .denied
            )
            #expect(readDenied == [UUID(uuidString: id)])
            try await Self.send(client, uri, .post, sam, #"{"body": "Fictional."}"#, expect: .notFound)
            let writeDenied = try await Self.audited(
                fixture,
                "psychotherapy_note.write",
                staff: fixture.sam.staffID,
                outcome: .denied
            )
            #expect(writeDenied == [fixture.danaCouple])
            let empty = try await Self.send(client, uri, .post, dana, #"{"body": "  "}"#, expect: .unprocessableContent)
            #expect(try Self.field(empty) == "body")
            try await Self.send(
                client,
                "/v1/clients/\(UUID())/psychotherapy-notes",
                .post,
                dana,
                #"{"body": "Fictional."}"#,
                expect: .notFound
            )
            try await Self.send(client, uri, .post, [:], #"{"body": "Fictional."}"#, expect: .unauthorized)
            try await Self.send(client, "/v1/psychotherapy-notes/\(id)", .get, [:], expect: .unauthorized)
        }
    }
}
