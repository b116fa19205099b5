import Foundation
import HavenMail
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// Sign-in links by email through the real SMTP server `scripts/test` starts (docs/portal.md
/// "Access"): the message holds no name and no clinical text, the link works once, only the newest
/// works, an unknown address gets the same answer and no message, and nobody without the master key
/// can make a link.
@Suite("Portal sign-in links by email", .needsTestDatabase, .needsTestSMTP)
struct PortalSignInLinkTests {
    static let portalURL = URL(string: "https://haven.harbor.example/portal")!

    struct Clinic {
        var setup: ClinicSetup
        var portal: PortalService
        var alex: UUID
        var email: String
    }

    /// Counselor A's couple with Alex on the portal under a fresh address; the portal mails to the test
    /// server.
    func clinic(_ body: (Clinic) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            let (couple, alex, _) = try await setup.couple("SENTINEL concerns")
            let portal = PortalService(
                pool: setup.fixture.app,
                hasher: StaffFixture.hasher,
                keys: setup.keys,
                mail: try .testSMTP()
            )
            let email = "alex-\(UUID().uuidString.prefix(8).lowercased())@portal.example"
            let invitation = try await portal.invite(alex, to: .couple(couple), email: nil, actor: setup.counselorA)
            guard case .code(let code) = invitation.handover else {
                Issue.record("expected a code")
                return
            }
            _ = try await portal.accept(
                .code(code),
                email: email,
                passphrase: "a long enough passphrase",
                source: "test"
            )
            try await body(Clinic(setup: setup, portal: portal, alex: alex, email: email))
        }
    }

    /// The sign-in link in the newest message to `address`.
    static func link(to address: String) throws -> SessionToken? {
        guard let message = try TestMailbox.received(for: address).last,
            let found = message.firstRange(of: /\/portal\/sign-in\/[A-Za-z0-9_-]{43}/)
        else { return nil }
        return SessionToken(value: String(message[found].split(separator: "/").last ?? ""))
    }

    @Test func aLinkArrivesWithNoNameOrClinicalTextAndSignsInOnce() async throws {
        try await clinic { c in
            let sending = try await c.portal.requestSignInLink(email: c.email, portal: Self.portalURL, source: "test")
            #expect(await sending?.value == true)
            let messages = try TestMailbox.received(for: c.email)
            try #require(messages.count == 1)
            for word in ["Alex", "Morgan", "Jordan", "Lee", "SENTINEL", "concerns"] {
                #expect(!messages[0].contains(word), "\(word)")
            }
            #expect(messages[0].contains("Subject: Your sign-in link for"))
            let token = try #require(try Self.link(to: c.email))
            let signIn = try await c.portal.signIn(link: token, source: "test")
            #expect(signIn.charts == 1)
            #expect(try await c.portal.context(signIn.actor).clientID == c.alex)
            // Once only.
            let again = await #expect(throws: ServiceError.self) {
                _ = try await c.portal.signIn(link: token, source: "test")
            }
            #expect(again?.field == "link")
        }
    }

    @Test func onlyTheNewestUnexpiredLinkWorksAndNoOtherTokenDoes() async throws {
        try await clinic { c in
            let one = try await c.portal.requestSignInLink(email: c.email, portal: Self.portalURL, source: "test")
            #expect(await one?.value == true)
            let first = try #require(try Self.link(to: c.email))
            let two = try await c.portal.requestSignInLink(email: c.email, portal: Self.portalURL, source: "test")
            #expect(await two?.value == true)
            let second = try #require(try Self.link(to: c.email))
            #expect(first.value != second.value)
            // Superseded.
            await #expect(throws: ServiceError.self) { _ = try await c.portal.signIn(link: first, source: "test") }
            // Expired.
            try await c.setup.fixture.owner.query(
                "UPDATE partner_links SET expires_at = now() - interval '1 second' WHERE token_hash = \(second.storageHash)"
            )
            await #expect(throws: ServiceError.self) { _ = try await c.portal.signIn(link: second, source: "test") }
            // An invitation's token is not a sign-in link, nor is a made-up one.
            let (couple, jo) = try await c.setup.fixture.owner.query(
                "SELECT id, partner_b_id FROM couples WHERE partner_a_id = \(c.alex)"
            )[0].decode((UUID, UUID).self)
            let invitation = try await c.portal.invite(
                jo,
                to: .couple(couple),
                email: "jo-\(UUID().uuidString.prefix(8).lowercased())@portal.example",
                actor: c.setup.counselorA
            )
            guard case .link(let invitationToken) = invitation.handover else {
                Issue.record("expected a link")
                return
            }
            for token in [invitationToken, try SessionToken.generate()] {
                await #expect(throws: ServiceError.self) { _ = try await c.portal.signIn(link: token, source: "test") }
            }
            // A third request in the window still works; past the limit nothing more is sent.
            let third = try await c.portal.requestSignInLink(email: c.email, portal: Self.portalURL, source: "test")
            #expect(await third?.value == true)
            let fourth = try await c.portal.requestSignInLink(email: c.email, portal: Self.portalURL, source: "test")
            #expect(fourth == nil)
        }
    }

    @Test func anUnknownAddressGetsNoMessageAndTheAppRoleCannotMakeALink() async throws {
        try await clinic { c in
            let nobody = "nobody-\(UUID().uuidString.prefix(8).lowercased())@portal.example"
            let sending = try await c.portal.requestSignInLink(email: nobody, portal: Self.portalURL, source: "test")
            #expect(sending == nil)
            #expect(try TestMailbox.received(for: nobody).isEmpty)
            // As haven_app without the master key: a token of the attacker's choosing, with a forged or
            // missing attestation, issues nothing, so it signs no one in.
            let token = try SessionToken.generate()
            for forged in [[UInt8](repeating: 0, count: 32), []] {
                let rows = try await c.setup.fixture.app.query(
                    """
                    SELECT practice_name FROM haven_portal_request_sign_in_link(\(c.email), \(token.storageHash), 1,
                                                                                \(forged), 'attacker', NULL)
                    """
                )
                #expect(rows.count == 0)
            }
            let issued = try await c.setup.fixture.owner.query(
                "SELECT count(*) FROM partner_links WHERE token_hash = \(token.storageHash)"
            )[0].decode(0, as: Int.self)
            #expect(issued == 0)
            await #expect(throws: ServiceError.self) { _ = try await c.portal.signIn(link: token, source: "test") }
        }
    }
}
