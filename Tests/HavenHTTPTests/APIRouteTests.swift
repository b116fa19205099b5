import Foundation
import HTTPTypes
import HavenHTTP
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite(
    "Every route and every error status, through Hummingbird's test client and the real database",
    .needsTestDatabase
)
struct APIRouteTests {
    @Test func operationsRoutesNeedNoToken() async throws {
        try await HTTPFixture.with { _, client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("ready"))
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
            }
            try await client.execute(uri: "/v1/nowhere", method: .get) { response in
                #expect(response.status == .notFound && response.headers[.contentType] == "application/problem+json")
            }
            // Outside the API, a wrong address is a browser's: the web app's page, with its headers.
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound && response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy] != nil)
            }
        }
    }

    @Test func signingInOutAndTheTokenWall() async throws {
        try await HTTPFixture.with { fixture, client in
            let wrong = ByteBuffer(string: #"{"email": "dana@harbor.example", "password": "nope nope nope"}"#)
            try await client.execute(
                uri: "/v1/auth/sessions",
                method: .post,
                headers: [.requestID: "req-42"],
                body: wrong
            ) {
                response in
                #expect(response.status == .unauthorized && response.headers[.requestID] == "req-42")
                let problem = try json(Problem.self, response)
                #expect(problem.type.hasSuffix("/unauthenticated") && problem.requestId == "req-42")
            }
            try await client.execute(uri: "/v1/auth/sessions", method: .post, body: ByteBuffer(string: "{not json")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/v1/me", method: .get) { response in
                #expect(response.status == .unauthorized && response.headers[.wwwAuthenticate] == "Bearer")
            }
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            try await client.execute(uri: "/v1/me", method: .get, headers: HTTPFixture.bearer(token)) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("Dana Reyes"))
                #expect(response.headers[.requestID]?.isEmpty == false)
            }
            try await client.execute(
                uri: "/v1/auth/sessions/current",
                method: .delete,
                headers: HTTPFixture.bearer(token)
            ) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/v1/me", method: .get, headers: HTTPFixture.bearer(token)) { response in
                // The service says what happened; the API adds its own next step, never a CLI command.
                let problem = try json(Problem.self, response)
                #expect(response.status == .unauthorized && problem.type.hasSuffix("/unauthenticated"))
                #expect(
                    problem.detail.hasPrefix(
                        "the session has expired or was ended; sign in again (POST /v1/auth/sessions)"
                    )
                )
                #expect(!problem.detail.contains("haven "))
            }
            // The old sign-in paths still work for one release, marked deprecated with their successor.
            let body = ByteBuffer(string: #"{"email": "dana@harbor.example", "password": "\#(HTTPFixture.password)"}"#)
            let old = try await client.execute(uri: "/v1/sessions", method: .post, body: body) { response in
                #expect(
                    response.status == .created && response.headers[.deprecation] == "@1796428800"
                )
                #expect(response.headers[.link] == "</v1/auth/sessions>; rel=\"successor-version\"")
                struct SignedIn: Decodable { var token: String }
                return try json(SignedIn.self, response).token
            }
            try await client.execute(uri: "/v1/sessions/current", method: .delete, headers: HTTPFixture.bearer(old)) {
                #expect(
                    $0.status == .noContent
                        && $0.headers[.link] == "</v1/auth/sessions/current>; rel=\"successor-version\""
                )
            }
            // A disabled account's token stops at once.
            let second = try await HTTPFixture.signIn(client, "dana@harbor.example")
            try await StaffService(pool: fixture.owner).disable(
                staffID: fixture.dana.staffID,
                practiceID: fixture.practiceID,
                source: "test"
            )
            try await client.execute(uri: "/v1/me", method: .get, headers: HTTPFixture.bearer(second)) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func theCaseloadWallIs404AndAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            struct Page: Decodable {
                struct Item: Decodable { var id: String }
                var items: [Item]
                var nextCursor: String?
            }
            try await client.execute(uri: "/v1/couples?limit=1", method: .get, headers: HTTPFixture.bearer(token)) {
                let page = try json(Page.self, $0)
                #expect(page.items.map(\.id) == [fixture.danaCouple.uuidString.lowercased()] && page.nextCursor == nil)
            }
            try await client.execute(uri: "/v1/couples?limit=0", method: .get, headers: HTTPFixture.bearer(token)) {
                let problem = try json(Problem.self, $0)
                #expect($0.status == .badRequest && problem.field == "limit")
            }
            try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)",
                method: .get,
                headers: HTTPFixture.bearer(token)
            ) {
                #expect($0.status == .ok && String(buffer: $0.body).contains("Fictional concerns."))
            }
            try await client.execute(
                uri: "/v1/couples/\(fixture.samCouple)",
                method: .get,
                headers: HTTPFixture.bearer(token)
            ) {
                response in
                #expect(response.status == .notFound)
                #expect(!String(buffer: response.body).contains("Fictional"))
            }
            try await client.execute(uri: "/v1/couples/not-a-uuid", method: .get, headers: HTTPFixture.bearer(token)) {
                let problem = try json(Problem.self, $0)
                #expect($0.status == .badRequest && problem.field == "coupleId")
            }
            let denied = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(
                        practiceID: fixture.practiceID,
                        staffID: fixture.dana.staffID,
                        action: "couple.read",
                        outcome: .denied
                    ),
                    on: connection
                )
            }
            #expect(denied.map(\.entry.entityID) == [fixture.samCouple])
            #expect(denied.allSatisfy { $0.entry.source.hasPrefix("http:") && $0.entry.requestID?.isEmpty == false })
        }
    }

    @Test func notesDraftEditWithIfMatchSignAndTheirErrors() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let draft =
                #"{"sessionId": "\#(fixture.danaSession)", "stage": 1, "step": 2, "interventions": ["tracking_the_cycle"], "body": "Fictional note."}"#
            let id = try await client.execute(
                uri: "/v1/notes",
                method: .post,
                headers: HTTPFixture.bearer(token),
                body: ByteBuffer(string: draft)
            ) { response -> String in
                #expect(response.status == .created && response.headers[.eTag] == "\"1\"")
                struct Written: Decodable { var id: String }
                return try json(Written.self, response).id
            }
            try await client.execute(uri: "/v1/notes/\(id)", method: .get, headers: HTTPFixture.bearer(token)) {
                response in
                #expect(response.headers[.eTag] == "\"1\"" && String(buffer: response.body).contains("Fictional note."))
            }
            let edit = #"{"stage": 1, "step": 3, "body": "Fictional note, revised."}"#
            try await client.execute(
                uri: "/v1/notes/\(id)",
                method: .put,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"1\""]),
                body: ByteBuffer(string: edit)
            ) { #expect($0.status == .ok && $0.headers[.eTag] == "\"2\"") }
            try await client.execute(
                uri: "/v1/notes/\(id)",
                method: .put,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"1\""]),
                body: ByteBuffer(string: edit)
            ) { response in
                // A failed If-Match: 412 naming the header, with the current version as the ETag.
                #expect(response.status == .preconditionFailed && response.headers[.eTag] == "\"2\"")
                let problem = try json(Problem.self, response)
                #expect(problem.type.hasSuffix("/stale-version") && problem.field == "If-Match")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["currentVersion"] as? Int == 2 && body?["title"] as? String == "Precondition Failed")
                #expect((body?["detail"] as? String)?.contains("now version 2") == true)
            }
            try await client.execute(
                uri: "/v1/notes/\(id)",
                method: .put,
                headers: HTTPFixture.bearer(token),
                body: ByteBuffer(string: edit)
            ) {
                #expect($0.status == .preconditionRequired)
            }
            let wrongStep = #"{"stage": 1, "step": 6, "body": "x"}"#
            try await client.execute(
                uri: "/v1/notes/\(id)",
                method: .put,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"2\""]),
                body: ByteBuffer(string: wrongStep)
            ) { response in
                let problem = try json(Problem.self, response)
                #expect(response.status == .unprocessableContent && problem.field == "step")
            }
            let huge = #"{"stage": 1, "step": 2, "body": ""# + String(repeating: "x", count: 2 << 20) + #""}"#
            try await client.execute(
                uri: "/v1/notes/\(id)",
                method: .put,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"2\""]),
                body: ByteBuffer(string: huge)
            ) { #expect($0.status == .contentTooLarge) }
            // A draft may lack its risk level; signing one is refused naming the field, and nothing changes.
            try await client.execute(
                uri: "/v1/notes/\(id)/sign",
                method: .post,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"2\""])
            ) { response in
                let problem = try json(Problem.self, response)
                #expect(response.status == .unprocessableContent && problem.field == "riskLevel")
            }
            try await client.execute(uri: "/v1/notes/\(id)", method: .get, headers: HTTPFixture.bearer(token)) {
                response in
                #expect(response.headers[.eTag] == "\"2\"" && String(buffer: response.body).contains("\"draft\""))
            }
            try await client.execute(
                uri: "/v1/notes/\(id)",
                method: .put,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"2\""]),
                body: ByteBuffer(
                    string: #"{"stage": 1, "step": 3, "riskLevel": "none", "body": "Fictional note, revised."}"#
                )
            ) { #expect($0.status == .ok && $0.headers[.eTag] == "\"3\"") }
            try await client.execute(
                uri: "/v1/notes/\(id)/sign",
                method: .post,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"3\""])
            ) {
                #expect($0.status == .ok && String(buffer: $0.body).contains("contentHash"))
            }
            try await client.execute(
                uri: "/v1/notes/\(id)",
                method: .put,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"2\""]),
                body: ByteBuffer(string: edit)
            ) { #expect($0.status == .conflict) }
            // Sam cannot read Dana's note: 404, not 403.
            let samToken = try await HTTPFixture.signIn(client, "sam@harbor.example")
            try await client.execute(uri: "/v1/notes/\(id)", method: .get, headers: HTTPFixture.bearer(samToken)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)/notes",
                method: .get,
                headers: HTTPFixture.bearer(token)
            ) {
                #expect($0.status == .ok && String(buffer: $0.body).contains("\"state\":\"signed\""))
            }
            // Reports follow Accept.
            for (accept, type, marker) in [
                ("text/html", "text/html; charset=utf-8", "<!DOCTYPE html>"),
                ("text/markdown", "text/markdown; charset=utf-8", "# Your progress in couple therapy"),
                ("application/json", "application/json", "\"schemaVersion\" : 1"),
            ] {
                try await client.execute(
                    uri: "/v1/couples/\(fixture.danaCouple)/report?audience=client",
                    method: .get,
                    headers: HTTPFixture.bearer(token, [.accept: accept])
                ) { response in
                    #expect(response.status == .ok && response.headers[.contentType] == type)
                    #expect(String(buffer: response.body).contains(marker))
                }
            }
            // The logs name request, route, status and actor; never a body.
            let lines = fixture.logs.entries.filter { $0.message == "request" }
            #expect(lines.contains { $0.metadata["route"] == "/v1/notes/{noteId}" && $0.metadata["status"] == "409" })
            #expect(!fixture.logs.entries.contains { $0.fullText.contains("Fictional note") })
        }
    }

    @Test func failedSignInsArePausedPerAccountAndAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            let wrong = ByteBuffer(string: #"{"email": "sam@harbor.example", "password": "wrong wrong wrong"}"#)
            for _ in 0..<5 {
                try await client.execute(uri: "/v1/auth/sessions", method: .post, body: wrong) {
                    #expect($0.status == .unauthorized)
                }
            }
            let right = ByteBuffer(string: #"{"email": "sam@harbor.example", "password": "\#(HTTPFixture.password)"}"#)
            try await client.execute(uri: "/v1/auth/sessions", method: .post, body: right) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
                let problem = try json(Problem.self, response)
                #expect(problem.type.hasSuffix("/too-many-attempts"))
            }
            // Another account from the same address is not paused yet.
            _ = try await HTTPFixture.signIn(client, "dana@harbor.example")
            // Each refusal is audited about Sam's account with no actor (migration 0046: nobody signed in).
            let denied = try await fixture.owner.query(
                """
                SELECT count(*) FROM audit_log
                WHERE practice_id = \(fixture.practiceID) AND action = 'staff.login' AND outcome = 'denied'
                  AND entity_id = \(fixture.sam.staffID) AND staff_id IS NULL
                """
            )[0].decode(0, as: Int.self)
            #expect(denied == 5)
        }
    }

    @Test func sessionsHomeworkAndMeasures() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let auth = HTTPFixture.bearer(token)
            struct Created: Decodable { var id: String }
            let schedule =
                #"{"coupleId": "\#(fixture.danaCouple)", "start": "2026-12-01T16:00:00Z", "durationMinutes": 50, "format": "video"}"#
            let session = try await client.execute(
                uri: "/v1/therapy-sessions",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: schedule)
            ) { response -> String in
                #expect(response.status == .created)
                return try json(Created.self, response).id
            }
            let zoom = schedule.replacingOccurrences(of: "video", with: "zoom")
            try await client.execute(
                uri: "/v1/therapy-sessions",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: zoom)
            ) {
                response in
                #expect(response.status == .unprocessableContent)
                let problem = try json(Problem.self, response)
                #expect(problem.detail.contains("in_person, video, phone"))
            }
            try await client.execute(
                uri: "/v1/therapy-sessions/\(session)/status",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"status": "no_show"}"#)
            ) { #expect($0.status == .noContent) }
            try await client.execute(
                uri: "/v1/therapy-sessions/\(session)/status",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"status": "completed"}"#)
            ) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/v1/couples/\(fixture.danaCouple)/sessions", method: .get, headers: auth) {
                #expect($0.status == .ok && String(buffer: $0.body).contains("no_show"))
            }

            let prompt = try await HTTPFixture.promptID(client, auth, joint: false)
            let assign =
                #"{"promptId": "\#(prompt)", "coupleId": "\#(fixture.danaCouple)", "sessionId": "\#(fixture.danaSession)", "dueOn": "2099-01-01"}"#
            let assignment = try await client.execute(
                uri: "/v1/homework/assignments",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: assign)
            ) { response -> String in
                #expect(response.status == .created)
                return try json(Created.self, response).id
            }
            try await client.execute(uri: "/v1/homework/open", method: .get, headers: auth) {
                #expect(String(buffer: $0.body).contains(assignment))
            }
            struct Couple: Decodable {
                struct Person: Decodable { var id: String }
                var partnerA: Person
                var partnerB: Person
            }
            let couple = try await client.execute(uri: "/v1/couples/\(fixture.danaCouple)", method: .get, headers: auth)
            {
                try json(Couple.self, $0)
            }
            for partner in [couple.partnerA.id, couple.partnerB.id] {
                try await client.execute(
                    uri: "/v1/homework/assignments/\(assignment)/responses",
                    method: .post,
                    headers: auth,
                    body: ByteBuffer(
                        string: #"{"partnerId": "\#(partner)", "completion": "completed", "text": "Fictional."}"#
                    )
                ) { #expect($0.status == .noContent) }
            }
            try await client.execute(uri: "/v1/homework/open", method: .get, headers: auth) {
                #expect(!String(buffer: $0.body).contains(assignment))
            }

            let csi = #"{"code": "CSI-4", "administeredOn": "2026-11-01", "items": [3, 3, 3, 3]}"#
            try await client.execute(
                uri: "/v1/clients/\(couple.partnerA.id)/measures",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: csi)
            ) { #expect($0.status == .created && String(buffer: $0.body).contains("\"total\":12")) }
            let bad = #"{"code": "CSI-4", "administeredOn": "2026-11-01", "items": [3, 3, 3, 9]}"#
            try await client.execute(
                uri: "/v1/clients/\(couple.partnerA.id)/measures",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: bad)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try json(Problem.self, response)
                #expect(problem.field == "items[4]")
            }
            try await client.execute(
                uri: "/v1/clients/\(couple.partnerA.id)/measures/CSI-4",
                method: .get,
                headers: auth
            ) {
                #expect($0.status == .ok && String(buffer: $0.body).contains("\"cutoff\":13.5"))
            }
        }
    }

    @Test func clientsGoalsInjuriesAddendaAndCosign() async throws {
        try await HTTPFixture.with { fixture, client in
            let token = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let auth = HTTPFixture.bearer(token)
            struct Created: Decodable { var id: String }
            struct Items: Decodable {
                struct Item: Decodable {
                    var id: String
                    var status: String?
                }
                var items: [Item]
            }
            let clients = try await client.execute(uri: "/v1/clients", method: .get, headers: auth) {
                try json(Items.self, $0)
            }
            #expect(clients.items.count == 2)
            try await client.execute(uri: "/v1/clients/\(clients.items[0].id)", method: .get, headers: auth) {
                #expect($0.status == .ok && String(buffer: $0.body).contains("Fictional"))
            }
            let goal = try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)/goals",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"description": "Fictional goal"}"#)
            ) { response -> String in
                #expect(response.status == .created)
                return try json(Created.self, response).id
            }
            try await client.execute(
                uri: "/v1/goals/\(goal)/status",
                method: .put,
                headers: auth,
                body: ByteBuffer(string: #"{"status": "met"}"#)
            ) { #expect($0.status == .noContent) }
            try await client.execute(
                uri: "/v1/goals/\(goal)/status",
                method: .put,
                headers: auth,
                body: ByteBuffer(string: #"{"status": "finished"}"#)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try json(Problem.self, response)
                #expect(problem.field == "status")
            }
            let goals = try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)/goals",
                method: .get,
                headers: auth
            ) {
                try json(Items.self, $0)
            }
            #expect(goals.items.map(\.status) == ["met"])
            let injury = #"{"description": "Fictional injury", "injuredPartnerId": "\#(clients.items[0].id)"}"#
            try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)/injuries",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: injury)
            ) { #expect($0.status == .created) }
            let injuryID = try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)/injuries",
                method: .get,
                headers: auth
            ) {
                let injuries = try json(Items.self, $0)
                #expect(injuries.items.map(\.status) == ["identified"])
                return try #require(injuries.items.first).id
            }
            // Through the resolution model; a made-up status names the field; Sam cannot reach it.
            for (body, status) in [
                (#"{"resolutionStep": 3, "status": "in_repair"}"#, HTTPResponse.Status.noContent),
                (#"{"resolutionStep": 3, "status": "mended"}"#, .unprocessableContent),
                (#"{"resolutionStep": 9, "status": "in_repair"}"#, .unprocessableContent),
            ] {
                try await client.execute(
                    uri: "/v1/injuries/\(injuryID)",
                    method: .put,
                    headers: auth,
                    body: ByteBuffer(string: body)
                ) { #expect($0.status == status, "\(body)") }
            }
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            try await client.execute(
                uri: "/v1/injuries/\(injuryID)",
                method: .put,
                headers: sam,
                body: ByteBuffer(string: #"{"resolutionStep": 4, "status": "in_repair"}"#)
            ) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/couples/\(fixture.danaCouple)/injuries", method: .get, headers: auth) {
                let injuries = try json(Items.self, $0)
                #expect(injuries.items.map(\.status) == ["in_repair"])
            }
            // A client's own notes and sessions (none yet); out of Sam's reach.
            for path in ["/v1/clients/\(clients.items[0].id)/notes", "/v1/clients/\(clients.items[0].id)/sessions"] {
                try await client.execute(uri: path, method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    let items = try json(Items.self, response).items
                    #expect(items.isEmpty)
                }
                try await client.execute(uri: path, method: .get, headers: sam) { #expect($0.status == .notFound) }
            }
            // The practice's own prompt joins the library.
            let prompt = #"""
                {"title": "Fictional check-in", "category": "responsiveness", "instructions": "Ask one question.",
                 "frequency": "daily", "stages": [1, 2], "joint": true}
                """#
            try await client.execute(
                uri: "/v1/homework/prompts",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: prompt)
            ) { #expect($0.status == .created) }
            try await client.execute(
                uri: "/v1/homework/prompts",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: prompt.replacingOccurrences(of: "[1, 2]", with: "[4]"))
            ) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try json(Problem.self, response)
                #expect(problem.field == "stages")
            }
            // A signed note takes an addendum; Dana is not a supervisor, so co-signing is refused.
            let draft =
                #"{"sessionId": "\#(fixture.danaSession)", "stage": 1, "step": 1, "riskLevel": "none", "body": "Fictional."}"#
            let note = try await client.execute(
                uri: "/v1/notes",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: draft)
            ) {
                try json(Created.self, $0).id
            }
            try await client.execute(
                uri: "/v1/notes/\(note)/addenda",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"reason": "Late entry", "text": "Fictional."}"#)
            ) { #expect($0.status == .conflict) }
            try await client.execute(
                uri: "/v1/notes/\(note)/sign",
                method: .post,
                headers: HTTPFixture.bearer(token, [.ifMatch: "\"1\""])
            ) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/v1/notes/\(note)/addenda",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"reason": "Late entry", "text": "Fictional."}"#)
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/notes/\(note)/addenda", method: .get, headers: auth) { response in
                struct Addenda: Decodable {
                    struct Addendum: Decodable {
                        var reason: String
                        var text: String
                    }
                    var items: [Addendum]
                }
                let addenda = try json(Addenda.self, response)
                #expect(addenda.items.map(\.reason) == ["Late entry"])
            }
            try await client.execute(uri: "/v1/notes/\(note)/cosign", method: .post, headers: auth) {
                #expect($0.status == .forbidden)
            }
        }
    }
}
