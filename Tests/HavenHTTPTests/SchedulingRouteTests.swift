import Foundation
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Scheduling through the API: types, overlaps, status corrections", .needsTestDatabase)
struct SchedulingRouteTests {
    struct Scheduled: Decodable {
        var id: String
        var warnings: [String]
    }

    struct Line: Decodable {
        var id: String
        var sessionType: String
        var serviceCode: String?
        var status: String
    }

    struct Lines: Decodable { var items: [Line] }

    @Test func typesOverlapsAndCorrections() async throws {
        try await HTTPFixture.with { fixture, client in
            let auth = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            func post(_ uri: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: body)) { $0 }
            }
            let base =
                #"{"coupleId": "\#(fixture.danaCouple)", "start": "2026-12-20T16:00:00Z", "durationMinutes": 50, "format": "video""#
            var response = try await post(
                "/v1/therapy-sessions",
                base + #", "sessionType": "assessment", "serviceCode": "90847"}"#
            )
            #expect(response.status == .created)
            let first = try json(Scheduled.self, response)
            #expect(first.warnings.isEmpty)
            // A malformed code and an unknown type name their fields.
            for (extra, field) in [
                (#", "serviceCode": "9084""#, "serviceCode"), (#", "sessionType": "group""#, "sessionType"),
            ] {
                response = try await post("/v1/therapy-sessions", base + extra + "}")
                #expect(response.status == .unprocessableContent)
                #expect(try json(Problem.self, response).field == field)
            }
            // The same counselor at an overlapping time: 409 naming the other session's time, not its chart.
            let overlapping = base.replacingOccurrences(of: "16:00:00Z", with: "16:30:00Z") + "}"
            response = try await post("/v1/therapy-sessions", overlapping)
            #expect(response.status == .conflict)
            let problem = try json(Problem.self, response)
            #expect(problem.field == "start" && problem.detail.contains("2026-12-20T16:00:00Z"))
            #expect(problem.detail.contains(first.id.prefix(8)))
            #expect(!problem.detail.contains(fixture.danaCouple.uuidString.lowercased()))
            // On purpose: 201, with the overlap in the warnings.
            response = try await post(
                "/v1/therapy-sessions",
                String(overlapping.dropLast()) + #", "allowOverlap": true}"#
            )
            #expect(response.status == .created)
            #expect(try json(Scheduled.self, response).warnings.count == 1)
            response = try await client.execute(
                uri: "/v1/couples/\(fixture.danaCouple)/sessions",
                method: .get,
                headers: auth
            ) { $0 }
            let lines = try json(Lines.self, response).items
            #expect(lines.first { $0.id == first.id }?.sessionType == "assessment")
            #expect(lines.first { $0.id == first.id }?.serviceCode == "90847")
            #expect(lines.contains { $0.sessionType == "conjoint" })

            response = try await client.execute(uri: "/v1/therapy-sessions/\(first.id)", method: .get, headers: auth) {
                $0
            }
            #expect(response.status == .ok)
            #expect(try json(Line.self, response).serviceCode == "90847")
            let unknown = UUID().uuidString.lowercased()
            response = try await client.execute(uri: "/v1/therapy-sessions/\(unknown)", method: .get, headers: auth) {
                $0
            }
            #expect(response.status == .notFound)
            // The status route lists only the statuses one can set.
            response = try await post("/v1/therapy-sessions/\(first.id)/status", #"{"status": "scheduled"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(
                try json(Problem.self, response).detail
                    == "is not one of: completed, cancelled, late_cancelled, no_show"
            )
            // A correction: reason too short, then a real one.
            let session = fixture.danaSession.uuidString.lowercased()
            response = try await post(
                "/v1/therapy-sessions/\(session)/status-correction",
                #"{"status": "no_show", "reason": "oops"}"#
            )
            #expect(response.status == .unprocessableContent)
            #expect(try json(Problem.self, response).field == "reason")
            response = try await post(
                "/v1/therapy-sessions/\(session)/status-correction",
                #"{"status": "no_show", "reason": "Fictional: recorded completed by mistake, nobody came."}"#
            )
            #expect(response.status == .noContent)
            let corrected = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: fixture.practiceID), on: connection)
            }.map(\.entry).filter { $0.action == "session.status.correct" }
            #expect(corrected.map(\.outcome) == [.denied, .success] || corrected.map(\.outcome) == [.success])
        }
    }

    @Test func rescheduleMovesAScheduledSessionWithTheOverlapRules() async throws {
        try await HTTPFixture.with { fixture, client in
            let auth = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            func post(_ uri: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: body)) { $0 }
            }
            let couple = fixture.danaCouple
            var response = try await post(
                "/v1/therapy-sessions",
                #"{"coupleId": "\#(couple)", "start": "2030-01-14T16:00:00Z", "durationMinutes": 50, "format": "video"}"#
            )
            let first = try json(Scheduled.self, response).id
            response = try await post(
                "/v1/therapy-sessions",
                #"{"coupleId": "\#(couple)", "start": "2030-01-14T18:00:00Z", "durationMinutes": 50, "format": "video"}"#
            )
            let second = try json(Scheduled.self, response).id
            // Onto the first: 409 naming start and the other session's time.
            response = try await post(
                "/v1/therapy-sessions/\(second)/reschedule",
                #"{"start": "2030-01-14T16:30:00Z", "durationMinutes": 50}"#
            )
            #expect(response.status == .conflict)
            let problem = try json(Problem.self, response)
            #expect(problem.field == "start" && problem.detail.contains("2030-01-14T16:00:00Z"))
            // Its own slot does not count; a free time moves it.
            response = try await post(
                "/v1/therapy-sessions/\(second)/reschedule",
                #"{"start": "2030-01-14T18:30:00Z", "durationMinutes": 45}"#
            )
            #expect(response.status == .ok)
            #expect(try json(Scheduled.self, response).warnings.isEmpty)
            response = try await client.execute(uri: "/v1/therapy-sessions/\(second)", method: .get, headers: auth) {
                $0
            }
            struct Moved: Decodable {
                var start: Date
                var durationMinutes: Int
            }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let moved = try decoder.decode(Moved.self, from: Data(buffer: response.body))
            #expect(moved.durationMinutes == 45)
            #expect(moved.start == Date(timeIntervalSince1970: 1_894_645_800))
            // On purpose: moved, the overlap in the warnings; a bad length names durationMinutes.
            response = try await post(
                "/v1/therapy-sessions/\(second)/reschedule",
                #"{"start": "2030-01-14T16:30:00Z", "durationMinutes": 50, "allowOverlap": true}"#
            )
            #expect(response.status == .ok)
            #expect(try json(Scheduled.self, response).warnings.count == 1)
            response = try await post(
                "/v1/therapy-sessions/\(first)/reschedule",
                #"{"start": "2030-01-15T16:00:00Z", "durationMinutes": 4}"#
            )
            #expect(response.status == .unprocessableContent)
            #expect(try json(Problem.self, response).field == "durationMinutes")
            // A completed session does not move; another counselor's is not found.
            response = try await post(
                "/v1/therapy-sessions/\(fixture.danaSession)/reschedule",
                #"{"start": "2030-01-15T16:00:00Z", "durationMinutes": 50}"#
            )
            #expect(response.status == .conflict)
            let samAuth = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            response = try await client.execute(
                uri: "/v1/therapy-sessions/\(first)/reschedule",
                method: .post,
                headers: samAuth,
                body: ByteBuffer(string: #"{"start": "2030-01-15T16:00:00Z", "durationMinutes": 50}"#)
            ) { $0 }
            #expect(response.status == .notFound)
            let audited = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: fixture.practiceID), on: connection)
            }.map(\.entry).filter { $0.action == "session.reschedule" }
            #expect(audited.map(\.outcome).filter { $0 == .success }.count == 2)
        }
    }
}
