import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Sealing
import Testing

@Suite("The front desk through the API: the calendar, and 403 everywhere else", .needsTestDatabase)
struct SchedulerRouteTests {
    struct Line: Decodable {
        var id: String
        var chartId: String
        var counselorId: String
        var counselorName: String?
        var names: [String]
        var status: String
    }

    struct Lines: Decodable { var items: [Line] }

    struct Scheduled: Decodable { var id: String }

    @Test func aSchedulerSeesEveryCounselorsDayBooksAndCancelsAndNothingClinical() async throws {
        try await HTTPFixture.with { fixture, client in
            let staff = StaffService(
                pool: fixture.owner,
                hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
            )
            _ = try await staff.createStaff(
                .init(
                    email: "desk@harbor.example",
                    displayName: "Fictional Desk",
                    roles: [.scheduler],
                    password: HTTPFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            let auth = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "desk@harbor.example"))
            func get(_ uri: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .get, headers: auth) { $0 }
            }
            func post(_ uri: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: body)) { $0 }
            }
            // The day both counselors' sessions start on (2026-09-21): both, with names and counselors.
            var response = try await get("/v1/therapy-sessions?from=2026-09-21T00:00:00Z&to=2026-09-22T00:00:00Z")
            #expect(response.status == .ok)
            let day = try json(Lines.self, response).items
            #expect(day.count == 2)
            let couples = Set([fixture.danaCouple, fixture.samCouple].map { $0.uuidString.lowercased() })
            #expect(Set(day.map(\.chartId)) == couples)
            #expect(day.allSatisfy { $0.names == ["Fictional A", "Fictional B"] && $0.counselorName != nil })
            #expect(Set(day.compactMap(\.counselorName)) == ["Dana Reyes", "Sam Ortiz"])

            // Books for Sam's couple (Sam by default), then cancels it.
            response = try await post(
                "/v1/therapy-sessions",
                #"{"coupleId": "\#(fixture.samCouple)", "start": "2026-12-21T16:00:00Z", "durationMinutes": 50, "format": "video"}"#
            )
            #expect(response.status == .created)
            let booked = try json(Scheduled.self, response).id
            response = try await get("/v1/therapy-sessions/\(booked)")
            #expect(try json(Line.self, response).counselorId == fixture.sam.staffID.uuidString.lowercased())
            response = try await post("/v1/therapy-sessions/\(booked)/status", #"{"status": "no_show"}"#)
            #expect(response.status == .forbidden)
            response = try await post("/v1/therapy-sessions/\(booked)/status", #"{"status": "cancelled"}"#)
            #expect(response.status == .noContent)

            // Every clinical route: 403, naming the role's reach, never the chart.
            let couple = fixture.danaCouple.uuidString.lowercased()
            for uri in [
                "/v1/couples", "/v1/clients", "/v1/couples/\(couple)", "/v1/couples/\(couple)/notes",
                "/v1/couples/\(couple)/sessions", "/v1/couples/\(couple)/goals", "/v1/couples/\(couple)/injuries",
                "/v1/couples/\(couple)/report", "/v1/homework/open", "/v1/audit", "/v1/me/today",
            ] {
                response = try await get(uri)
                #expect(response.status == .forbidden, "\(uri)")
                if response.status == .forbidden {
                    let problem = try json(Problem.self, response)
                    #expect(problem.detail.contains("calendar only") && !problem.detail.contains(couple), "\(uri)")
                }
            }
        }
    }
}
