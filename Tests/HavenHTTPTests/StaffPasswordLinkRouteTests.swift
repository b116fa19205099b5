import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Sealing
import Testing

@testable import HavenHTTP

@Suite("New staff and password resets through /v1/staff: a one-time link, shown once", .needsTestDatabase)
struct StaffPasswordLinkRouteTests {
    struct Link: Decodable {
        var staffId: String
        var token: String
        var path: String
        var expiresInSeconds: Int
    }

    @Test func anAdminCreatesAFrontDeskAccountWhoseMemberSetsTheirOwnPassword() async throws {
        try await HTTPFixture.with { fixture, client in
            let (staff, _) = try await StaffChangeRouteTests.addStaff(fixture)
            let office = try await HTTPFixture.signIn(client, "office@harbor.example")
            let body = #"{"email": "front@harbor.example", "displayName": "Front Desk", "roles": ["scheduler"]}"#
            let (status, text) = try await StaffChangeRouteTests.send(client, .post, "/v1/staff", office, body)
            #expect(status == .created, "\(text)")
            let link = try JSONDecoder().decode(Link.self, from: Data(text.utf8))
            #expect(link.path == "/welcome/\(link.token)" && link.expiresInSeconds == 72 * 3_600)
            #expect(try await StaffChangeRouteTests.audit(fixture, "staff.create", "success", by: staff.admin) == 1)
            // The member spends it (the welcome page's call) and signs in with their own password.
            let auth = AuthService(
                pool: fixture.app,
                hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1)),
                logger: fixture.logs.logger(level: .info)
            )
            try await auth.setPassword(with: SessionToken(value: link.token), to: HTTPFixture.password, source: "test")
            _ = try await HTTPFixture.signIn(client, "front@harbor.example")
            // A clinical role is not granted here; a taken email is a conflict.
            let clinical = #"{"email": "new@harbor.example", "displayName": "New", "roles": ["counselor"]}"#
            #expect(
                try await StaffChangeRouteTests.send(client, .post, "/v1/staff", office, clinical).0
                    == .unprocessableContent
            )
            #expect(try await StaffChangeRouteTests.send(client, .post, "/v1/staff", office, body).0 == .conflict)
            // A counselor creates nothing.
            let dana = try await HTTPFixture.signIn(client, "dana@harbor.example")
            let other = #"{"email": "other@harbor.example", "displayName": "Other", "roles": ["scheduler"]}"#
            #expect(try await StaffChangeRouteTests.send(client, .post, "/v1/staff", dana, other).0 == .forbidden)
            // The token reaches no log line.
            #expect(!fixture.logs.entries.contains { $0.fullText.contains(link.token) })
        }
    }

    @Test func aResetLinkIsForNonClinicalAccountsOnly() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await StaffChangeRouteTests.addStaff(fixture)
            let office = try await HTTPFixture.signIn(client, "office@harbor.example")
            let body = #"{"email": "front@harbor.example", "displayName": "Front Desk", "roles": ["scheduler"]}"#
            let created = try await StaffChangeRouteTests.send(client, .post, "/v1/staff", office, body).1
            let front = try JSONDecoder().decode(Link.self, from: Data(created.utf8)).staffId
            let (status, text) = try await StaffChangeRouteTests.send(
                client,
                .post,
                "/v1/staff/\(front)/password-link",
                office
            )
            #expect(status == .created, "\(text)")
            let dana = fixture.dana.staffID.uuidString.lowercased()
            let (refused, problem) = try await StaffChangeRouteTests.send(
                client,
                .post,
                "/v1/staff/\(dana)/password-link",
                office
            )
            #expect(refused == .forbidden && problem.contains("reset-password"), "\(problem)")
            let unknown = UUID().uuidString.lowercased()
            #expect(
                try await StaffChangeRouteTests.send(client, .post, "/v1/staff/\(unknown)/password-link", office).0
                    == .notFound
            )
        }
    }
}
