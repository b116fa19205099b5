import Foundation
import HTTPTypes
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Sealing
import Testing

@Suite("Cycle maps, cursor pages and the admins' audit routes", .needsTestDatabase)
struct AuditAndCycleMapRouteTests {
    struct Page<Item: Decodable>: Decodable {
        var items: [Item]
        var nextCursor: String?
    }

    struct Version: Decodable {
        var version: Int
        var position: String
        var primaryEmotion: String
    }

    struct Couple: Decodable {
        struct Person: Decodable { var id: String }
        var partnerA: Person
    }

    struct Entry: Decodable {
        var seq: Int
        var action: String
        var outcome: String
        var hash: String
    }

    struct Verification: Decodable {
        var intact: Bool
        var entries: Int
        var headSeq: Int?
    }

    /// The id of a couple's first partner, as its counselor reads the chart.
    static func firstPartner(
        of couple: UUID,
        _ client: any TestClientProtocol,
        _ headers: HTTPFields
    ) async throws
        -> String
    {
        try await client.execute(uri: "/v1/couples/\(couple)", method: .get, headers: headers) {
            try json(Couple.self, $0).partnerA.id
        }
    }

    static func map(_ position: String, _ emotion: String) -> ByteBuffer {
        ByteBuffer(
            string: """
                {"position": "\(position)", "trigger": "Late replies", "actionTendency": "Criticizes",
                 "perceptionOfPartner": "Does not care", "reactiveEmotion": "Anger",
                 "primaryEmotion": "\(emotion)", "unmetNeed": "Reassurance"}
                """
        )
    }

    @Test func cycleMapVersionsArePagedByCursor() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let partner = try await Self.firstPartner(of: fixture.danaCouple, client, dana)
            let path = "/v1/couples/\(fixture.danaCouple)/cycle-maps/\(partner)"
            for (index, emotion) in ["Fear of rejection", "Loneliness", "Shame"].enumerated() {
                try await client.execute(uri: path, method: .post, headers: dana, body: Self.map("pursuer", emotion)) {
                    response in
                    #expect(response.status == .created)
                    let version = try json([String: Int].self, response)["version"]
                    #expect(version == index + 1)
                }
            }
            try await client.execute(uri: path, method: .post, headers: dana, body: Self.map("chaser", "x")) {
                response in
                #expect(response.status == .unprocessableContent)
                let problem = try json(Problem.self, response)
                #expect(problem.field == "position")
            }
            let first = try await client.execute(uri: path + "?limit=2", method: .get, headers: dana) { response in
                try json(Page<Version>.self, response)
            }
            #expect(first.items.map(\.version) == [1, 2])
            let cursor = try #require(first.nextCursor)
            let second = try await client.execute(uri: path + "?limit=2&cursor=\(cursor)", method: .get, headers: dana)
            {
                try json(Page<Version>.self, $0)
            }
            #expect(second.items.map(\.primaryEmotion) == ["Shame"])
            #expect(second.nextCursor == nil)
            try await client.execute(uri: path + "?cursor=99", method: .get, headers: dana) { response in
                #expect(response.status == .badRequest)
                let problem = try json(Problem.self, response)
                #expect(problem.type.hasSuffix("/bad-cursor"))
            }
            // Another counselor's couple stays invisible.
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            try await client.execute(uri: path, method: .get, headers: sam) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func aChartsListsAre404OutsideTheCaseloadAndAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let partner = try await Self.firstPartner(of: fixture.danaCouple, client, dana)
            let sam = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "sam@harbor.example"))
            let paths = [
                "/v1/couples/\(fixture.danaCouple)/notes", "/v1/couples/\(fixture.danaCouple)/sessions",
                "/v1/couples/\(fixture.danaCouple)/goals", "/v1/couples/\(fixture.danaCouple)/injuries",
                "/v1/clients/\(partner)/measures/CSI-4",
            ]
            for path in paths {
                try await client.execute(uri: path, method: .get, headers: dana) { response in
                    #expect(response.status == .ok, "\(path) for its counselor")
                }
                try await client.execute(uri: path, method: .get, headers: sam) { response in
                    #expect(response.status == .notFound, "\(path) outside the caseload")
                    let problem = try json(Problem.self, response)
                    #expect(!problem.detail.contains(partner))
                }
            }
            let denied = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: fixture.practiceID, staffID: fixture.sam.staffID, outcome: .denied),
                    on: connection
                )
            }
            #expect(
                Set(denied.map(\.entry.action)) == [
                    "note.list", "session.list", "goal.list", "injury.list", "measure.trend",
                ]
            )
        }
    }

    @Test func onlyAdminsReadTheAuditLogAndEveryReadIsAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await StaffService(
                pool: fixture.owner,
                hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
            )
            .createStaff(
                .init(
                    email: "office@harbor.example",
                    displayName: "Office",
                    roles: [.admin],
                    password: HTTPFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            try await client.execute(uri: "/v1/audit", method: .get, headers: dana) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/audit/verification", method: .get, headers: dana) { response in
                #expect(response.status == .forbidden)
            }
            let admin = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "office@harbor.example"))
            let first = try await client.execute(uri: "/v1/audit?limit=3", method: .get, headers: admin) {
                try json(Page<Entry>.self, $0)
            }
            #expect(first.items.map(\.seq) == [1, 2, 3])
            #expect(first.items.allSatisfy { $0.hash.count == 64 })
            let next = try await client.execute(
                uri: "/v1/audit?limit=200&cursor=\(try #require(first.nextCursor))",
                method: .get,
                headers: admin
            ) { try json(Page<Entry>.self, $0) }
            #expect(next.items.first?.seq == 4)
            let denied = try await client.execute(
                uri: "/v1/audit?outcome=denied&action=audit.list",
                method: .get,
                headers: admin
            ) { try json(Page<Entry>.self, $0) }
            #expect(denied.items.count == 1, "Dana's refused read")
            let verification = try await client.execute(uri: "/v1/audit/verification", method: .get, headers: admin) {
                try json(Verification.self, $0)
            }
            #expect(verification.intact)
            #expect(verification.entries == verification.headSeq)
            #expect(verification.entries > next.items.count)
            for bad in ["outcome=maybe", "clientId=nope", "from=yesterday", "cursor=-4", "breakGlass=1", "limit=0"] {
                try await client.execute(uri: "/v1/audit?\(bad)", method: .get, headers: admin) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }
            // Only actions of the catalogue: anything else could match nothing (the service's rule).
            for unknown in [String(repeating: "a", count: 101), "note.reed"] {
                try await client.execute(uri: "/v1/audit?action=\(unknown)", method: .get, headers: admin) { response in
                    let problem = try json(Problem.self, response)
                    #expect(response.status == .unprocessableContent && problem.field == "action")
                    #expect(
                        problem.detail.contains("is not an audit action; one of: ")
                            && problem.detail.contains("note.read")
                    )
                }
            }
            let reads = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: fixture.practiceID, action: "audit.list"), on: connection)
            }
            #expect(reads.map(\.entry.outcome) == [.denied, .success, .success, .success])
        }
    }
}
