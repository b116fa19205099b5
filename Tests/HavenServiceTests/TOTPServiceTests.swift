import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("A second sign-in factor: TOTP enrolment, sign-in with codes, and the practice policy", .needsTestDatabase)
struct TOTPServiceTests {
    static func auditActions(_ setup: ClinicSetup, _ action: String) async throws -> [AuditEntry.Outcome] {
        try await setup.fixture.owner.withConnection { connection in
            try await AuditStore.list(.init(practiceID: setup.fixture.practiceID, action: action), on: connection)
                .map(\.entry.outcome)
        }
    }

    @Test func enrolledAccountsNeedAFreshCodeToSignIn() async throws {
        try await ClinicSetup.with { setup in
            let totp = TOTPService(pool: setup.fixture.app, keys: setup.keys)
            let auth = setup.fixture.auth(keys: setup.keys)
            let dana = setup.counselorA
            let enrollment = try await totp.begin(actor: dana)
            #expect(enrollment.uri.contains("Haven:dana@harbor.example"))
            #expect(try await totp.status(actor: dana) == .init(enrolled: false, pending: true, required: false))
            // Unconfirmed, the app is not asked for yet.
            _ = try await auth.login(email: "dana@harbor.example", password: StaffFixture.password, source: "test")

            let app = try enrollment.authenticatorApp()
            let wrongConfirm = await #expect(throws: ServiceError.self) {
                try await totp.confirm(code: app.code(step: app.step(at: Date()) + 5), actor: dana)
            }
            #expect(wrongConfirm?.field == "code")
            // The previous step is still in the window; later steps stay free for the sign-ins below.
            let confirmed = try await app.previousStep()
            try await totp.confirm(code: app.code(step: confirmed), actor: dana)
            #expect(try await totp.status(actor: dana) == .init(enrolled: true, pending: false, required: false))
            let again = await #expect(throws: ServiceError.self) { try await totp.begin(actor: dana) }
            #expect(again?.kind == .conflict)

            // The secret is sealed: its bytes are nowhere in the row.
            let stored = try await setup.fixture.owner.query("SELECT secret FROM staff_totp")[0].decode(
                0,
                as: [UInt8].self
            )
            let secret = try #require(Base32.decode(enrollment.secret))
            #expect(!stored.indices.contains { stored[$0...].starts(with: secret) })

            let missing = await #expect(throws: ServiceError.self) {
                try await auth.login(email: "dana@harbor.example", password: StaffFixture.password, source: "test")
            }
            #expect(missing?.reason == "totp-required")
            #expect(missing?.kind == .unauthenticated)
            let reused = await #expect(throws: ServiceError.self) {
                try await auth.login(
                    email: "dana@harbor.example",
                    password: StaffFixture.password,
                    totpCode: app.code(step: confirmed),
                    source: "test"
                )
            }
            #expect(reused?.reason == "totp-invalid", "the confirming code was used")
            let step = try await app.step(after: confirmed)
            let signIn = try await auth.login(
                email: "dana@harbor.example",
                password: StaffFixture.password,
                totpCode: app.code(step: step),
                source: "test"
            )
            #expect(!signIn.actor.totpEnrollmentDue)
            let replay = await #expect(throws: ServiceError.self) {
                try await auth.login(
                    email: "dana@harbor.example",
                    password: StaffFixture.password,
                    totpCode: app.code(step: step),
                    source: "test"
                )
            }
            #expect(replay?.reason == "totp-invalid")
            // Without the master key the secret cannot be opened, so the account cannot sign in.
            let keyless = setup.fixture.auth()
            let unavailable = await #expect(throws: ServiceError.self) {
                try await keyless.login(
                    email: "dana@harbor.example",
                    password: StaffFixture.password,
                    totpCode: "000000",
                    source: "test"
                )
            }
            #expect(unavailable?.reason == "totp-unavailable")

            let logins = try await Self.auditActions(setup, "staff.login")
            #expect(logins.filter { $0 == .success }.count == 2)
            #expect(logins.filter { $0 == .denied }.count == 2, "the reused and the replayed code")
            #expect(try await Self.auditActions(setup, "staff.totp.confirm") == [.denied, .success])

            // Removing takes a fresh code too.
            await #expect(throws: ServiceError.self) {
                try await totp.remove(code: app.code(step: step), actor: dana)
            }
            try await totp.remove(code: app.code(step: try await app.step(after: step)), actor: dana)
            #expect(try await totp.status(actor: dana) == .init(enrolled: false, pending: false, required: false))
        }
    }

    @Test func thePracticePolicyConfinesUnenrolledSessionsAtOnce() async throws {
        try await ClinicSetup.with { setup in
            let owner = setup.fixture.owner
            let practiceID = setup.fixture.practiceID
            let totp = TOTPService(pool: setup.fixture.app, keys: setup.keys)
            let auth = setup.fixture.auth(keys: setup.keys)
            let signIn = try await auth.login(
                email: "sam@harbor.example",
                password: StaffFixture.password,
                source: "test"
            )
            #expect(!signIn.actor.totpEnrollmentDue)

            try await TOTPService.setRequired(true, practiceID: practiceID, source: "test", pool: owner)
            let sam = try await auth.authenticate(signIn.token, source: "test")
            #expect(sam.totpEnrollmentDue, "a live session is confined as soon as the policy is on")
            let refused = await #expect(throws: ServiceError.self) { try await setup.charts.listCouples(actor: sam) }
            #expect(refused?.reason == "totp-enrollment-required")
            #expect(refused?.kind == .forbidden)
            // Paths that open their own transaction pass the same gate.
            let read = await #expect(throws: ServiceError.self) { try await setup.notes.note(UUID(), actor: sam) }
            #expect(read == .totpEnrollmentDue)
            let write = await #expect(throws: ServiceError.self) {
                try await setup.notes.writeDraft(NoteService.Draft.sample, session: UUID(), actor: sam)
            }
            #expect(write == .totpEnrollmentDue)
            let prefix = await #expect(throws: ServiceError.self) {
                try await ReferenceResolver(pool: setup.fixture.app).resolve("abcdef12", as: .couple, actor: sam)
            }
            #expect(prefix == .totpEnrollmentDue)
            let confined = try await Self.auditActions(setup, "staff.totp.required")
            #expect(confined == [.denied, .denied, .denied, .denied], "each refusal audited once")
            let fresh = try await auth.login(
                email: "sam@harbor.example",
                password: StaffFixture.password,
                source: "test"
            )
            #expect(fresh.actor.totpEnrollmentDue)

            let enrollment = try await totp.begin(actor: sam)
            let app = try enrollment.authenticatorApp()
            let step = app.step(at: Date())
            try await totp.confirm(code: app.code(step: step), actor: sam)
            let enrolled = try await auth.authenticate(signIn.token, source: "test")
            #expect(!enrolled.totpEnrollmentDue)
            _ = try await setup.charts.listCouples(actor: enrolled)
            let kept = await #expect(throws: ServiceError.self) {
                try await totp.remove(code: app.code(step: try await app.step(after: step)), actor: enrolled)
            }
            #expect(kept?.kind == .forbidden, "the policy keeps the app")
            #expect(try await Self.auditActions(setup, "staff.totp.remove") == [.denied])
            try await auth.logout(actor: fresh.actor)

            // A lost phone: the operator resets it and the staff member must enrol again.
            try await TOTPService.reset(
                staffID: setup.counselorBID,
                practiceID: practiceID,
                source: "test",
                pool: owner
            )
            #expect(try await auth.authenticate(signIn.token, source: "test").totpEnrollmentDue)
            let resets = try await owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: practiceID, action: "staff.totp.reset"), on: connection)
            }
            #expect(resets.map(\.entry.entityID) == [setup.counselorBID])
            let policy = try await owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: practiceID, action: "practice.totp.require"),
                    on: connection
                )
            }
            #expect(policy.count == 1)
        }
    }
}
