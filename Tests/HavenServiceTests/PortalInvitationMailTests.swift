import Foundation
import HavenMail
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

/// Invitations emailed from the chart (docs/portal.md "Access"), through the real SMTP server
/// `scripts/test` starts: the message holds the practice's name and the link and nothing of the chart,
/// the link works once, and a refused message leaves the invitation open to be sent again.
@Suite("Portal invitations by email", .needsTestDatabase, .needsTestSMTP)
struct PortalInvitationMailTests {
    static let portalURL = URL(string: "https://haven.harbor.example/portal")!

    /// The portal with mail to the test server's plain port.
    static func portal(_ setup: ClinicSetup) throws -> PortalService {
        PortalService(pool: setup.fixture.app, hasher: StaffFixture.hasher, mail: try .testSMTP())
    }

    /// The `portal.invite.sent` entries' outcomes for `account`.
    static func sent(_ account: UUID, _ setup: ClinicSetup) async throws -> [String] {
        try await setup.fixture.owner.query(
            """
            SELECT outcome FROM audit_log
            WHERE action = 'portal.invite.sent' AND entity_id = \(account) AND staff_id = \(setup.counselorA.staffID)
            ORDER BY seq
            """
        ).map { try $0.decode(0, as: String.self) }
    }

    @Test func anEmailedInvitationHoldsThePracticeAndTheLinkOnlyAndTheLinkWorksOnce() async throws {
        try await ClinicSetup.with { setup in
            let (couple, alex, _) = try await setup.couple("SENTINEL concerns")
            let portal = try Self.portal(setup)
            let address = "alex-\(UUID().uuidString.prefix(8).lowercased())@portal.example"
            let invitation = try await portal.invite(alex, to: .couple(couple), email: address, actor: setup.counselorA)
            let delivery = try await portal.email(
                invitation,
                to: address,
                client: alex,
                portal: Self.portalURL,
                actor: setup.counselorA
            )
            #expect(delivery == .sent)
            let messages = try TestMailbox.received(for: address)
            try #require(messages.count == 1)
            let message = messages[0]
            let practice = try await setup.fixture.owner.query(
                "SELECT name FROM practices WHERE id = \(setup.fixture.practiceID)"
            )[0].decode(0, as: String.self)
            #expect(message.contains("Subject: Your invitation from \(practice)"))
            for word in ["Alex", "Morgan", "Jordan", "Lee", "SENTINEL", "concerns"] {
                #expect(!message.contains(word), "\(word)")
            }
            // The link in the message is the invitation's, and it works once.
            let found = try #require(
                message.firstRange(of: /https:\/\/haven\.harbor\.example\/portal\/welcome\/[A-Za-z0-9_-]{43}/)
            )
            let link = String(message[found])
            guard case .link(let token) = invitation.handover else {
                Issue.record("expected a link")
                return
            }
            #expect(link.hasSuffix("/" + token.value))
            let key = InvitationKey.link(SessionToken(value: String(link.split(separator: "/").last ?? "")))
            _ = try await portal.accept(key, email: nil, passphrase: "a long enough passphrase", source: "test")
            await #expect(throws: ServiceError.self) {
                _ = try await portal.accept(key, email: nil, passphrase: "a long enough passphrase", source: "test")
            }
            // Audited about the account, with no address anywhere in the entry.
            #expect(try await Self.sent(invitation.accountID, setup) == ["success"])
            let entry = try await setup.fixture.owner.query(
                "SELECT row_to_json(a)::text FROM audit_log a WHERE action = 'portal.invite.sent'"
            )[0].decode(0, as: String.self)
            #expect(!entry.contains(address) && entry.contains(alex.uuidString.lowercased()))
        }
    }

    @Test func aRefusedMessageSaysSoAndInvitingAgainSendsANewLinkOnlyTheNewestWorks() async throws {
        try await ClinicSetup.with { setup in
            let (couple, alex, _) = try await setup.couple()
            let portal = try Self.portal(setup)
            let refused = try await portal.invite(
                alex,
                to: .couple(couple),
                email: "refuse-perm@portal.example",
                actor: setup.counselorA
            )
            let failed = try await portal.email(
                refused,
                to: "refuse-perm@portal.example",
                client: alex,
                portal: Self.portalURL,
                actor: setup.counselorA
            )
            #expect(failed == .failed(retryLater: false))
            #expect(try await Self.sent(refused.accountID, setup) == ["failed"])
            // The invitation is open, as the chart shows; a new one (to a working address) replaces it.
            let status = try await portal.status(of: .couple(couple), actor: setup.counselorA)
            #expect(status.first { $0.clientID == alex }?.state == .invited)
            let address = "alex-\(UUID().uuidString.prefix(8).lowercased())@portal.example"
            let again = try await portal.invite(alex, to: .couple(couple), email: address, actor: setup.counselorA)
            let sent = try await portal.email(
                again,
                to: address,
                client: alex,
                portal: Self.portalURL,
                actor: setup.counselorA
            )
            #expect(sent == .sent)
            guard case .link(let old) = refused.handover, case .link(let new) = again.handover else {
                Issue.record("expected links")
                return
            }
            await #expect(throws: ServiceError.self) {
                _ = try await portal.accept(
                    .link(old),
                    email: nil,
                    passphrase: "a long enough passphrase",
                    source: "test"
                )
            }
            _ = try await portal.accept(.link(new), email: nil, passphrase: "a long enough passphrase", source: "test")
            // Without mail configured nothing is sent and nothing is audited as sent.
            let quiet = PortalService(pool: setup.fixture.app, hasher: StaffFixture.hasher)
            #expect(
                try await quiet.email(again, to: address, client: alex, portal: Self.portalURL, actor: setup.counselorA)
                    == .notSent
            )
        }
    }
}
