import Foundation
import HavenMail
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HavenHTTP

/// The chart's "invite by email" with mail configured (the real test SMTP server): the link goes out
/// and is not shown; a refused message says so and offers a new invitation; no address in any log.
@Suite("Portal invitations emailed from the chart", .needsTestDatabase, .needsTestSMTP)
struct WebPortalInvitationMailTests {
    /// Dana signs in and invites partner A of her couple by email from the chart, to a fresh address:
    /// her browser, the chart's path, partner A, the address and the page the invitation answered with.
    static func inviteByEmail(
        _ fixture: HTTPFixture,
        _ client: any TestClientProtocol
    ) async throws -> (
        dana: WebPageTests.Browser, chartPath: String, partner: UUID, address: String, page: WebPageTests.Answer
    ) {
        let (a, _) = try await fixture.owner.query(
            "SELECT partner_a_id, partner_b_id FROM couples WHERE id = \(fixture.danaCouple)"
        )[0].decode((UUID, UUID).self)
        var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
        let chartPath = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
        _ = try await WebPortalPageTests.open(client, &dana, chartPath)
        let address = "alex-\(UUID().uuidString.prefix(8).lowercased())@portal.example"
        let page = try await WebPortalPageTests.send(
            client,
            &dana,
            "\(chartPath)/portal/invite",
            [("client", a.uuidString), ("how", "email"), ("email", address)]
        )
        return (dana, chartPath, a, address, page)
    }

    @Test func theInvitationIsSentNotShownAndARefusalOffersANewOne() async throws {
        try await HTTPFixture.with(mail: try .testSMTP()) { fixture, client in
            let (browser, chartPath, a, address, invited) = try await Self.inviteByEmail(fixture, client)
            var dana = browser
            #expect(invited.status == .created && invited.html.contains("sent to the address you gave"))
            #expect(!invited.html.contains("/portal/welcome/"))
            let messages = try TestMailbox.received(for: address)
            #expect(messages.count == 1 && messages.first?.contains("/portal/welcome/") == true)
            // The mail server refuses the address for good: the page says so and offers a new one.
            let refused = try await WebPortalPageTests.send(
                client,
                &dana,
                "\(chartPath)/portal/invite",
                [("client", a.uuidString), ("how", "email"), ("email", "refuse-perm@portal.example")]
            )
            #expect(refused.status == .created && refused.html.contains("could not be emailed"))
            #expect(refused.html.contains("Send a new invitation") && !refused.html.contains("/portal/welcome/"))
            // Neither address reached a log line.
            #expect(
                !fixture.logs.entries.contains { $0.fullText.contains(address) || $0.fullText.contains("refuse-perm") }
            )
        }
    }
}
