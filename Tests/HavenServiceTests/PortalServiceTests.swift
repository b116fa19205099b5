import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// The portal's use cases (PortalService) against a real database: invitations by code and link, the
/// passphrase, sign-in, the chart chosen, the home page's content, sign-out and revoke.
@Suite("The partner portal's service", .needsTestDatabase)
struct PortalServiceTests {
    static let passphrase = "a long enough passphrase"

    struct Clinic {
        var setup: ClinicSetup
        var portal: PortalService
        var couple: UUID
        var alex: UUID
        var jo: UUID
        var homework: [UUID]
        var next: Date
    }

    /// Counselor A's couple with homework for Alex, for Jo and for both, and a session five days out.
    func clinic(_ body: (Clinic) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, alex, jo) = try await setup.completedSession()
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let prompt = try await setup.fixture.owner.query(
                "SELECT id FROM homework_prompts WHERE practice_id IS NULL ORDER BY title LIMIT 1"
            )[0].decode(0, as: UUID.self)
            var assigned: [UUID] = []
            for partner in [alex, jo, nil] {
                assigned.append(
                    try await homework.assign(
                        prompt: prompt,
                        couple: couple,
                        partner: partner,
                        session: session,
                        dueOn: CalendarDate(year: 2026, month: 9, day: 28)!,
                        today: CalendarDate(year: 2026, month: 9, day: 21)!,
                        actor: setup.counselorA
                    ).id
                )
            }
            let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded() * 60 + 5 * 86_400)
            _ = try await setup.sessions.schedule(
                .couple(couple),
                start: start,
                durationMinutes: 50,
                format: .video,
                actor: setup.counselorA
            )
            try await body(
                Clinic(
                    setup: setup,
                    portal: PortalService(pool: setup.fixture.app, hasher: StaffFixture.hasher),
                    couple: couple,
                    alex: alex,
                    jo: jo,
                    homework: assigned,
                    next: start
                )
            )
        }
    }

    private func handedCode(_ invitation: PortalService.Invitation) throws -> String {
        guard case .code(let code) = invitation.handover else {
            Issue.record("expected a code")
            return ""
        }
        return code
    }

    @Test func aPartnerInvitedByCodeSetsAPassphraseSignsInAndSeesTheirHomework() async throws {
        try await clinic { c in
            let invitation = try await c.portal.invite(
                c.alex,
                to: .couple(c.couple),
                email: nil,
                actor: c.setup.counselorA
            )
            let code = try handedCode(invitation)
            #expect(code.count == 14 && code.split(separator: "-").map(\.count) == [4, 4, 4])
            // Read out and typed back loosely: lower case, no dash, spaces.
            let typed = " " + code.lowercased().replacingOccurrences(of: "-", with: " ") + " "
            let page = try await c.portal.invitation(.code(typed), source: "test")
            #expect(page?.practiceName == "Harbor Counseling" && page?.email == nil && page?.hasPassphrase == false)
            // The passphrase rule is the staff password rule; a refusal leaves the code working.
            let short = await #expect(throws: ServiceError.self) {
                try await c.portal.accept(.code(code), email: "alex@example.org", passphrase: "short", source: "test")
            }
            #expect(short?.field == "passphrase")
            let accepted = try await c.portal.accept(
                .code(typed),
                email: "Alex@Example.org",
                passphrase: Self.passphrase,
                source: "test"
            )
            #expect(accepted == .passphraseSet)
            #expect(try await c.portal.invitation(.code(code), source: "test") == nil)
            let signIn = try await c.portal.signIn(
                email: "alex@example.org",
                passphrase: Self.passphrase,
                source: "test"
            )
            #expect(signIn.charts == 1)
            let home = try await c.portal.home(signIn.actor)
            #expect(home.practiceName == "Harbor Counseling")
            #expect(home.chart == .couple(c.couple))
            #expect(Set(home.assignments.map(\.id)) == [c.homework[0], c.homework[2]])
            #expect(home.assignments.allSatisfy { !$0.instructions.isEmpty })
            #expect(home.nextAppointment?.start == c.next)
            #expect(home.nextAppointment?.durationMinutes == 50)
            #expect(home.nextAppointment?.timeZone == "America/Chicago")
            // Signed out: the session opens nothing any more.
            try await c.portal.signOut(signIn.actor)
            await #expect(throws: ServiceError.sessionExpired) { try await c.portal.home(signIn.actor) }
            let wrong = await #expect(throws: ServiceError.self) {
                try await c.portal.signIn(email: "alex@example.org", passphrase: "not the passphrase", source: "test")
            }
            #expect(wrong?.kind == .unauthenticated)
        }
    }

    @Test func aLinkInvitationShowsItsAddressAndOnlyTheNewestWorks() async throws {
        try await clinic { c in
            let first = try await c.portal.invite(
                c.jo,
                to: .couple(c.couple),
                email: "jo@example.org",
                actor: c.setup.counselorA
            )
            let second = try await c.portal.invite(
                c.jo,
                to: .couple(c.couple),
                email: "jo@example.org",
                actor: c.setup.counselorA
            )
            guard case .link(let old) = first.handover, case .link(let token) = second.handover else {
                Issue.record("expected links")
                return
            }
            #expect(try await c.portal.invitation(.link(old), source: "test") == nil)
            let page = try await c.portal.invitation(.link(token), source: "test")
            #expect(page?.email == "jo@example.org")
            #expect(second.expiresAt.timeIntervalSinceNow > 71 * 3_600)
            let refused = await #expect(throws: ServiceError.self) {
                try await c.portal.accept(.link(old), email: nil, passphrase: Self.passphrase, source: "test")
            }
            #expect(refused?.field == "invitation")
            #expect(
                try await c.portal.accept(.link(token), email: nil, passphrase: Self.passphrase, source: "test")
                    == .passphraseSet
            )
            let again = await #expect(throws: ServiceError.self) {
                try await c.portal.accept(.link(token), email: nil, passphrase: Self.passphrase, source: "test")
            }
            #expect(again?.kind == .notFound)
            let signIn = try await c.portal.signIn(email: "jo@example.org", passphrase: Self.passphrase, source: "test")
            let home = try await c.portal.home(signIn.actor)
            #expect(Set(home.assignments.map(\.id)) == [c.homework[1], c.homework[2]])
        }
    }

    @Test func aPersonWithTwoChartsChoosesOneAndTheCounselorRevokesAccess() async throws {
        try await clinic { c in
            let counselor = c.setup.counselorA
            let couple = try await c.portal.invite(
                c.alex,
                to: .couple(c.couple),
                email: "alex@example.org",
                actor: counselor
            )
            guard case .link(let token) = couple.handover else { return }
            _ = try await c.portal.accept(.link(token), email: nil, passphrase: Self.passphrase, source: "test")
            let own = try await c.portal.invite(c.alex, to: .client(c.alex), email: nil, actor: counselor)
            #expect(
                try await c.portal.accept(.code(try handedCode(own)), email: nil, passphrase: nil, source: "test")
                    == .chartAdded
            )
            let signIn = try await c.portal.signIn(
                email: "alex@example.org",
                passphrase: Self.passphrase,
                source: "test"
            )
            #expect(signIn.charts == 2)
            #expect(Set(try await c.portal.charts(signIn.actor)) == [.couple(c.couple), .client(c.alex)])
            let unchosen = try await c.portal.home(signIn.actor)
            #expect(unchosen.chart == nil && unchosen.assignments.isEmpty && unchosen.nextAppointment == nil)
            await #expect(throws: ServiceError.self) {
                try await c.portal.choose(.client(c.jo), actor: signIn.actor)
            }
            try await c.portal.choose(.couple(c.couple), actor: signIn.actor)
            #expect(try await c.portal.home(signIn.actor).assignments.count == 2)
            // Status, then revoke: the session on the couple's chart ends at once.
            let status = try await c.portal.status(of: .couple(c.couple), actor: counselor)
            #expect(status.map(\.state) == [.active, .notInvited])
            #expect(status.first?.email == "alex@example.org")
            await #expect(throws: ServiceError.self) {
                try await c.portal.status(of: .couple(c.couple), actor: c.setup.counselorB)
            }
            await #expect(throws: ServiceError.self) {
                try await c.portal.revoke(c.alex, from: .couple(c.couple), actor: c.setup.counselorB)
            }
            try await c.portal.revoke(c.alex, from: .couple(c.couple), actor: counselor)
            await #expect(throws: ServiceError.sessionExpired) { try await c.portal.home(signIn.actor) }
            #expect(try await c.portal.status(of: .couple(c.couple), actor: counselor).first?.state == .revoked)
            // The person's own chart stays open to them.
            let again = try await c.portal.signIn(
                email: "alex@example.org",
                passphrase: Self.passphrase,
                source: "test"
            )
            #expect(again.charts == 1)
            #expect(try await c.portal.home(again.actor).chart == .client(c.alex))
        }
    }

    @Test func anInvitationNeedsAnActiveChartInTheCounselorsCaseload() async throws {
        try await clinic { c in
            let outside = await #expect(throws: ServiceError.self) {
                try await c.portal.invite(c.alex, to: .couple(c.couple), email: nil, actor: c.setup.counselorB)
            }
            #expect(outside?.kind == .notFound)
            let bad = await #expect(throws: ServiceError.self) {
                try await c.portal.invite(
                    c.alex,
                    to: .couple(c.couple),
                    email: "not an address",
                    actor: c.setup.counselorA
                )
            }
            #expect(bad?.field == "email")
            try await c.setup.fixture.owner.query("UPDATE couples SET status = 'paused' WHERE id = \(c.couple)")
            let paused = await #expect(throws: ServiceError.self) {
                try await c.portal.invite(c.alex, to: .couple(c.couple), email: nil, actor: c.setup.counselorA)
            }
            #expect(paused?.kind == .conflict)
        }
    }
}
