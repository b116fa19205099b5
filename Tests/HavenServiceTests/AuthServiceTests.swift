import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Logging
import Postgres
import Sealing
import Testing

@Suite("Sign-in, sessions and disabling, through the application role", .needsTestDatabase)
struct AuthServiceTests {
    @Test func loginAuthenticateLogout() async throws {
        try await StaffFixture.with { fixture in
            let auth = fixture.auth()
            let signIn = try await auth.login(
                email: " dana@harbor.example ",
                password: StaffFixture.password,
                source: "test"
            )
            #expect(signIn.actor.staffID == fixture.counselorID)
            #expect(signIn.actor.roles == [.counselor])
            let actor = try await auth.authenticate(SessionToken(value: signIn.token.value), source: "test")
            #expect(actor.practiceID == fixture.practiceID)
            try await auth.logout(actor: actor)
            await #expect(throws: ServiceError.self) { try await auth.authenticate(signIn.token, source: "test") }
            // Only the token's hash is stored.
            let stored = try await fixture.owner.query("SELECT token_hash FROM staff_sessions")
            #expect(try stored[0].decode(0, as: [UInt8].self) == signIn.token.storageHash)
        }
    }

    @Test func wrongPasswordsAndUnknownEmailsAreRefusedAlikeAndAudited() async throws {
        try await StaffFixture.with { fixture in
            let auth = fixture.auth()
            let wrong = await #expect(throws: ServiceError.self) {
                try await auth.login(email: "dana@harbor.example", password: "not the password", source: "test")
            }
            let unknown = await #expect(throws: ServiceError.self) {
                try await auth.login(email: "nobody@harbor.example", password: "whatever", source: "test")
            }
            #expect(wrong == unknown)
            #expect(wrong?.kind == .unauthenticated)
            let audit = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: fixture.practiceID, action: "staff.login"), on: connection)
            }
            // Both refusals are audited alike (migration 0050): the unknown address with no entity.
            #expect(audit.map(\.entry.outcome) == [.denied, .denied])
            #expect(Set(audit.map(\.entry.entityID)) == [fixture.counselorID, nil])
        }
    }

    @Test func aDisabledAccountsSessionsStopAtOnce() async throws {
        try await StaffFixture.with { fixture in
            let auth = fixture.auth()
            let signIn = try await auth.login(
                email: "dana@harbor.example",
                password: StaffFixture.password,
                source: "test"
            )
            _ = try await auth.authenticate(signIn.token, source: "test")
            try await fixture.staff.disable(
                staffID: fixture.counselorID,
                practiceID: fixture.practiceID,
                source: "test"
            )
            await #expect(throws: ServiceError.self) { try await auth.authenticate(signIn.token, source: "test") }
            await #expect(throws: ServiceError.self) {
                try await auth.login(email: "dana@harbor.example", password: StaffFixture.password, source: "test")
            }
        }
    }

    @Test func idleSessionsExpire() async throws {
        try await StaffFixture.with { fixture in
            let auth = fixture.auth(.init(idleTimeout: .seconds(60), absoluteLifetime: .seconds(600)))
            let signIn = try await auth.login(
                email: "dana@harbor.example",
                password: StaffFixture.password,
                source: "test"
            )
            _ = try await auth.authenticate(signIn.token, source: "test")
            // An idle minute, without waiting for it (a sleep makes the test depend on machine load).
            try await fixture.owner.query(
                "UPDATE staff_session_activity SET last_seen_at = last_seen_at - interval '61 seconds'"
            )
            let error = await #expect(throws: ServiceError.self) {
                try await auth.authenticate(signIn.token, source: "test")
            }
            // The service says the session is over; each interface says how to sign in again.
            #expect(error == .sessionExpired)
        }
    }

    @Test func badStaffInputNamesTheFieldAndWritesNothing() async throws {
        try await StaffFixture.with { fixture in
            let cases: [(StaffService.NewStaff, String)] = [
                (
                    .init(
                        email: "not-an-email",
                        displayName: "X",
                        roles: [.counselor],
                        password: StaffFixture.password
                    ), "email"
                ),
                (
                    .init(
                        email: "a@b.example",
                        displayName: "  ",
                        roles: [.counselor],
                        password: StaffFixture.password
                    ), "displayName"
                ),
                (.init(email: "a@b.example", displayName: "X", roles: [], password: StaffFixture.password), "roles"),
                (.init(email: "a@b.example", displayName: "X", roles: [.admin], password: "short"), "password"),
                (
                    .init(
                        email: "DANA@harbor.example",
                        displayName: "X",
                        roles: [.admin],
                        password: StaffFixture.password
                    ), "email"
                ),
            ]
            for (new, field) in cases {
                let error = await #expect(throws: ServiceError.self) {
                    try await fixture.staff.createStaff(new, practiceID: fixture.practiceID, source: "test")
                }
                #expect(error?.field == field)
            }
            let count = try await fixture.owner.query("SELECT count(*) FROM staff")
            #expect(try count[0].decode(0, as: Int.self) == 1)
            let zone = await #expect(throws: ServiceError.self) {
                try await fixture.staff.createPractice(name: "X", timeZone: "Mars/Base")
            }
            #expect(zone?.field == "timeZone")
        }
    }
}

@Suite("Sign-in compares in the database and upgrades a weak hash only after the right password", .needsTestDatabase)
struct PasswordUpgradeTests {
    private func storedHash(_ fixture: StaffFixture) async throws -> String {
        try await fixture.owner.query("SELECT password_hash FROM staff WHERE id = \(fixture.counselorID)")[0]
            .decode(0, as: String.self)
    }

    @Test func theStoredHashChangesOnlyForStrongerParametersAndTheRightPassword() async throws {
        try await StaffFixture.with { fixture in
            let original = try await storedHash(fixture)
            for _ in 0..<2 {
                _ = try await fixture.auth().login(
                    email: "dana@harbor.example",
                    password: StaffFixture.password,
                    source: "t"
                )
            }
            #expect(try await storedHash(fixture) == original)
            let stronger = AuthService(
                pool: fixture.app,
                hasher: PasswordHasher(parameters: .init(logN: 11, r: 8, p: 1)),
                logger: TestDatabase.logger
            )
            await #expect(throws: ServiceError.self) {
                try await stronger.login(email: "dana@harbor.example", password: "not the password", source: "t")
            }
            #expect(try await storedHash(fixture) == original)
            _ = try await stronger.login(email: "dana@harbor.example", password: StaffFixture.password, source: "t")
            let upgraded = try await storedHash(fixture)
            #expect(upgraded != original && upgraded.hasPrefix("$scrypt$ln=11,"))
            _ = try await fixture.auth().login(
                email: "dana@harbor.example",
                password: StaffFixture.password,
                source: "t"
            )
        }
    }
}
