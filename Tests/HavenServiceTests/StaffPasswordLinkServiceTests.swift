import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// `StaffAdminService.create`/`passwordLink` and `AuthService.passwordLinkAccount`/`setPassword`: an
/// admin issues a link, the staff member sets their own password with it and signs in.
@Suite("Set-password links: an admin issues one, the staff member spends it once", .needsTestDatabase)
struct StaffPasswordLinkServiceTests {
    private func withAdmin(_ body: (StaffFixture, StaffActor) async throws -> Void) async throws {
        try await StaffFixture.with { fixture in
            let id = try await fixture.staff.createStaff(
                .init(
                    email: "office@harbor.example",
                    displayName: "Office",
                    roles: [.admin],
                    password: StaffFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            try await body(
                fixture,
                try await fixture.staff.openSession(for: id, practiceID: fixture.practiceID, source: "test")
            )
        }
    }

    @Test func aNewFrontDeskMemberSetsTheirPasswordOnceAndSignsIn() async throws {
        try await withAdmin { fixture, admin in
            let admins = StaffAdminService(pool: fixture.app)
            let auth = fixture.auth()
            let link = try await admins.create(
                email: " Front@Harbor.example ",
                displayName: "Front Desk",
                roles: [.scheduler],
                actor: admin
            )
            #expect("\(link.token)" == "<redacted token>")
            #expect(try await auth.passwordLinkAccount(link.token) == "front@harbor.example")
            // No password yet: the right-looking one is refused like any other.
            await #expect(throws: ServiceError.self) {
                try await auth.login(
                    email: "front@harbor.example",
                    password: "a new password of theirs",
                    source: "test"
                )
            }
            // The password rule, in words; the link stays open.
            let short = await #expect(throws: ServiceError.self) {
                try await auth.setPassword(with: link.token, to: "short", source: "test")
            }
            #expect(short?.field == "password")
            try await auth.setPassword(with: link.token, to: "a new password of theirs", source: "test")
            let signedIn = try await auth.login(
                email: "front@harbor.example",
                password: "a new password of theirs",
                source: "test"
            )
            #expect(signedIn.actor.staffID == link.staffID && signedIn.actor.roles == [.scheduler])
            // Spent: one answer, whatever is tried.
            #expect(try await auth.passwordLinkAccount(link.token) == nil)
            let again = await #expect(throws: ServiceError.self) {
                try await auth.setPassword(with: link.token, to: "the admin's password now", source: "test")
            }
            #expect(again?.kind == .notFound && again?.field == "link")
            let unknown = await #expect(throws: ServiceError.self) {
                try await auth.setPassword(
                    with: try SessionToken.generate(),
                    to: "the admin's password now",
                    source: "test"
                )
            }
            #expect(unknown == again)
        }
    }

    @Test func anAdminCreatesNoClinicalAccountAndOthersCreateNone() async throws {
        try await withAdmin { fixture, admin in
            let admins = StaffAdminService(pool: fixture.app)
            for roles: Set<StaffActor.Role> in [[.counselor], [.admin], [.scheduler, .supervisor], []] {
                let refused = await #expect(throws: ServiceError.self, "\(roles)") {
                    try await admins.create(email: "new@harbor.example", displayName: "New", roles: roles, actor: admin)
                }
                #expect(refused?.kind == .invalidInput && refused?.field == "roles", "\(roles)")
            }
            let taken = await #expect(throws: ServiceError.self) {
                try await admins.create(
                    email: "dana@harbor.example",
                    displayName: "Dana",
                    roles: [.scheduler],
                    actor: admin
                )
            }
            #expect(taken?.kind == .conflict && taken?.field == "email")
            let email = await #expect(throws: ServiceError.self) {
                try await admins.create(email: "not an email", displayName: "New", roles: [.scheduler], actor: admin)
            }
            #expect(email?.field == "email")
            let dana = try await fixture.staff.openSession(
                for: fixture.counselorID,
                practiceID: fixture.practiceID,
                source: "test"
            )
            let forbidden = await #expect(throws: ServiceError.self) {
                try await admins.create(
                    email: "new@harbor.example",
                    displayName: "New",
                    roles: [.scheduler],
                    actor: dana
                )
            }
            #expect(forbidden?.kind == .forbidden)
        }
    }

    @Test func aResetLinkIsForNonClinicalAccountsAndOnlyTheNewestWorks() async throws {
        try await withAdmin { fixture, admin in
            let admins = StaffAdminService(pool: fixture.app)
            let auth = fixture.auth()
            let clinical = await #expect(throws: ServiceError.self) {
                try await admins.passwordLink(for: fixture.counselorID, actor: admin)
            }
            #expect(clinical?.kind == .forbidden && clinical?.field == "staff")
            let desk = try await fixture.staff.createStaff(
                .init(
                    email: "desk@harbor.example",
                    displayName: "Desk",
                    roles: [.scheduler],
                    password: StaffFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            let session = try await auth.login(
                email: "desk@harbor.example",
                password: StaffFixture.password,
                source: "test"
            )
            let first = try await admins.passwordLink(for: desk, actor: admin)
            let second = try await admins.passwordLink(for: desk, actor: admin)
            await #expect(throws: ServiceError.self, "the reset ended the member's session") {
                try await auth.authenticate(session.token, source: "test")
            }
            #expect(try await auth.passwordLinkAccount(first.token) == nil)
            #expect(try await auth.passwordLinkAccount(second.token) == "desk@harbor.example")
            try await auth.setPassword(with: second.token, to: "their own new password", source: "test")
            _ = try await auth.login(email: "desk@harbor.example", password: "their own new password", source: "test")
            await #expect(throws: ServiceError.self) {
                try await auth.login(email: "desk@harbor.example", password: StaffFixture.password, source: "test")
            }
        }
    }
}
