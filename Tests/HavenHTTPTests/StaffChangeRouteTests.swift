import Foundation
import HTTPTypes
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Sealing
import Testing

@testable import HavenHTTP

@Suite("An admin's staff changes through /v1/staff: narrowing at once, widening by a second admin", .needsTestDatabase)
struct StaffChangeRouteTests {
    /// The practice of `WebAdminPageTests.addStaff` and a second admin.
    static func addStaff(_ fixture: HTTPFixture) async throws -> (WebAdminPageTests.Staff, second: UUID) {
        let staff = try await WebAdminPageTests.addStaff(fixture)
        let second = try await StaffService(
            pool: fixture.owner,
            hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        )
        .createStaff(
            .init(
                email: "second@harbor.example",
                displayName: "Second Admin",
                roles: [.admin],
                password: HTTPFixture.password
            ),
            practiceID: fixture.practiceID,
            source: "test"
        )
        return (staff, second)
    }

    struct Directory: Decodable {
        struct Colleague: Decodable {
            var id: String
            var displayName: String
        }

        struct Member: Decodable {
            var id: String
            var roles: [String]
            var active: Bool
            var supervisors: [Colleague]
        }

        struct Change: Decodable {
            var id: String
            var kind: String
            var roles: [String]
            var target: Colleague?
            var proposedBy: Colleague
        }

        var requireTotp: Bool
        var staff: [Member]
        var pendingChanges: [Change]

        func member(_ id: UUID) -> Member? { staff.first { $0.id == id.uuidString.lowercased() } }
    }

    static func directory(_ client: any TestClientProtocol, _ token: String) async throws -> Directory {
        try await client.execute(uri: "/v1/staff", method: .get, headers: HTTPFixture.bearer(token)) {
            #expect($0.status == .ok)
            return try json(Directory.self, $0)
        }
    }

    static func send(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        _ token: String,
        _ body: String? = nil
    ) async throws -> (HTTPResponse.Status, String) {
        var headers = HTTPFixture.bearer(token)
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        ) { ($0.status, String(buffer: $0.body)) }
    }

    static func audit(_ fixture: HTTPFixture, _ action: String, _ outcome: String, by staffID: UUID) async throws -> Int
    {
        try await fixture.owner.query(
            """
            SELECT count(*) FROM audit_log
            WHERE practice_id = \(fixture.practiceID) AND action = \(action) AND outcome = \(outcome) AND staff_id = \(staffID)
            """
        )[0].decode(0, as: Int.self)
    }

    @Test func aDisabledAccountsSessionsDieAtOnceForTheAPIAndTheBrowser() async throws {
        try await HTTPFixture.with { fixture, client in
            let (staff, _) = try await Self.addStaff(fixture)
            let office = try await HTTPFixture.signIn(client, "office@harbor.example")
            let danaToken = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let danaBrowser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let dana = fixture.dana.staffID.uuidString.lowercased()

            #expect(try await Self.send(client, .post, "/v1/staff/\(dana)/disable", office).0 == .noContent)
            #expect(try await WebPageTests.apiStatus(client, token: danaToken) == .unauthorized)
            let today = try await WebPageTests.get(client, danaBrowser, "/today")
            #expect(today.status == .seeOther && today.location?.hasPrefix("/sign-in") == true)
            #expect(try await Self.directory(client, office).member(fixture.dana.staffID)?.active == false)
            #expect(try await Self.audit(fixture, "staff.disable", "success", by: staff.admin) == 1)
            let (again, problem) = try await Self.send(client, .post, "/v1/staff/\(dana)/disable", office)
            #expect(again == .conflict && problem.contains("already disabled"), "\(problem)")

            #expect(try await Self.send(client, .post, "/v1/staff/\(dana)/enable", office).0 == .noContent)
            #expect(try await Self.directory(client, office).member(fixture.dana.staffID)?.active == true)
            #expect(try await Self.audit(fixture, "staff.enable", "success", by: staff.admin) == 1)
            _ = try await HTTPFixture.signIn(client, "dana@harbor.example")

            // End someone's sessions: their token is dead, their account is not.
            let samToken = try await HTTPFixture.signIn(client, "sam@harbor.example")
            let sam = fixture.sam.staffID.uuidString.lowercased()
            #expect(try await Self.send(client, .delete, "/v1/staff/\(sam)/sessions", office).0 == .noContent)
            #expect(try await WebPageTests.apiStatus(client, token: samToken) == .unauthorized)
            #expect(try await Self.audit(fixture, "staff.session.end", "success", by: staff.admin) == 1)
        }
    }

    @Test func aCounselorIsRefusedAndAnAdminCannotChangeThemselves() async throws {
        try await HTTPFixture.with { fixture, client in
            let (staff, _) = try await Self.addStaff(fixture)
            let danaToken = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let riley = staff.riley.uuidString.lowercased()
            #expect(try await Self.send(client, .post, "/v1/staff/\(riley)/disable", danaToken).0 == .forbidden)
            #expect(
                try await Self.send(client, .put, "/v1/staff/\(riley)/roles", danaToken, #"{"roles":["counselor"]}"#).0
                    == .forbidden
            )
            #expect(try await Self.audit(fixture, "staff.disable", "denied", by: fixture.dana.staffID) == 1)
            #expect(try await Self.audit(fixture, "staff.roles.set", "denied", by: fixture.dana.staffID) == 1)
            let office = try await HTTPFixture.signIn(client, "office@harbor.example")
            #expect(try await Self.directory(client, office).member(staff.riley)?.roles == ["counselor", "supervisor"])
            let me = staff.admin.uuidString.lowercased()
            let (status, problem) = try await Self.send(client, .post, "/v1/staff/\(me)/disable", office)
            #expect(status == .unprocessableContent && problem.contains("your own account"), "\(problem)")
            let unknown = try await Self.send(client, .put, "/v1/staff/\(riley)/roles", office, #"{"roles":["owner"]}"#)
            #expect(unknown.0 == .unprocessableContent && unknown.1.contains("'owner' is not a role"), "\(unknown.1)")
        }
    }

    @Test func clinicalRolesLinksAndAnOptionalPolicyWaitForASecondAdmin() async throws {
        try await HTTPFixture.with { fixture, client in
            let (staff, second) = try await Self.addStaff(fixture)
            let office = try await HTTPFixture.signIn(client, "office@harbor.example")
            let secondToken = try await HTTPFixture.signIn(client, "second@harbor.example")
            let sam = fixture.sam.staffID.uuidString.lowercased()
            let dana = fixture.dana.staffID.uuidString.lowercased()
            let riley = staff.riley.uuidString.lowercased()

            // Scheduler is granted at once; supervisor waits.
            let (granted, answer) = try await Self.send(
                client,
                .put,
                "/v1/staff/\(sam)/roles",
                office,
                #"{"roles":["counselor","scheduler","supervisor"]}"#
            )
            #expect(granted == .accepted && answer.contains(#""outcome":"proposed""#), "\(answer)")
            var directory = try await Self.directory(client, office)
            #expect(directory.member(fixture.sam.staffID)?.roles == ["counselor", "scheduler"])
            let change = try #require(directory.pendingChanges.first)
            #expect(change.kind == "grant_roles" && change.roles == ["supervisor"] && change.target?.id == sam)
            #expect(change.proposedBy.id == staff.admin.uuidString.lowercased())

            // The proposer cannot approve; the second admin can, once.
            let own = try await Self.send(client, .post, "/v1/staff/changes/\(change.id)/approve", office)
            #expect(own.0 == .forbidden, "\(own.1)")
            #expect(
                try await Self.send(client, .post, "/v1/staff/changes/\(change.id)/approve", secondToken).0
                    == .noContent
            )
            #expect(
                try await Self.send(client, .post, "/v1/staff/changes/\(change.id)/approve", secondToken).0 == .conflict
            )
            directory = try await Self.directory(client, office)
            #expect(directory.member(fixture.sam.staffID)?.roles == ["counselor", "scheduler", "supervisor"])
            #expect(directory.pendingChanges.isEmpty)
            #expect(try await Self.audit(fixture, "staff.change.approve", "success", by: second) == 1)
            #expect(try await Self.audit(fixture, "staff.change.approve", "denied", by: staff.admin) == 1)

            // Removing a role applies at once.
            let removed = try await Self.send(
                client,
                .put,
                "/v1/staff/\(riley)/roles",
                office,
                #"{"roles":["counselor"]}"#
            )
            #expect(removed.0 == .ok && removed.1.contains(#""outcome":"applied""#))

            // A link: ended at once, proposed again, approved by the other admin.
            #expect(try await Self.send(client, .delete, "/v1/staff/\(dana)/supervisors/\(sam)", office).0 == .conflict)
            let proposed = try await Self.send(
                client,
                .post,
                "/v1/staff/\(dana)/supervisors",
                office,
                #"{"supervisorId":"\#(sam)"}"#
            )
            #expect(proposed.0 == .accepted, "\(proposed.1)")
            let link = try #require(
                try await Self.directory(client, office).pendingChanges.first { $0.kind == "supervise" }
            )
            #expect(
                try await Self.send(client, .post, "/v1/staff/changes/\(link.id)/approve", secondToken).0 == .noContent
            )
            #expect(
                try await Self.directory(client, office).member(fixture.dana.staffID)?.supervisors.map(\.id).contains(
                    sam
                ) == true
            )
            #expect(
                try await Self.send(client, .delete, "/v1/staff/\(dana)/supervisors/\(sam)", office).0 == .noContent
            )
            #expect(
                try await Self.directory(client, office).member(fixture.dana.staffID)?.supervisors.map(\.id).contains(
                    sam
                ) == false
            )

            // The proposer may withdraw a waiting change.
            #expect(
                try await Self.send(client, .put, "/v1/staff/\(sam)/roles", office, #"{"roles":["admin","counselor"]}"#)
                    .0
                    == .accepted
            )
            let grant = try #require(try await Self.directory(client, office).pendingChanges.first)
            #expect(grant.roles == ["admin"])
            #expect(try await Self.send(client, .post, "/v1/staff/changes/\(grant.id)/decline", office).0 == .noContent)
            #expect(try await Self.audit(fixture, "staff.change.withdraw", "success", by: staff.admin) == 1)
            #expect(try await Self.directory(client, office).pendingChanges.isEmpty)

            // The TOTP policy: optional already (nothing to propose), then required at once. From then on
            // the admins themselves must enrol an app before anything else, as everyone must.
            let optional = try await Self.send(client, .put, "/v1/staff/totp-policy", office, #"{"required":false}"#)
            #expect(optional.0 == .conflict, "\(optional.1)")
            #expect(try await Self.send(client, .put, "/v1/staff/totp-policy", office, #"{"required":true}"#).0 == .ok)
            let required = try await fixture.owner.query(
                "SELECT require_totp FROM practices WHERE id = \(fixture.practiceID)"
            )[0].decode(0, as: Bool.self)
            #expect(required)
            #expect(try await Self.audit(fixture, "practice.totp.require", "success", by: staff.admin) == 1)
        }
    }
}
