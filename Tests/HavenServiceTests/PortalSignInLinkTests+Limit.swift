import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Testing

/// Review 10, finding 3: a request past the per-address limit (anyone can send one for any address)
/// issues nothing and leaves the partner's open link working.
extension PortalSignInLinkTests {
    @Test func aRequestPastTheLimitKeepsTheOpenLink() async throws {
        try await clinic { c in
            for _ in 1...3 {
                let sending = try await c.portal.requestSignInLink(email: c.email, portal: Self.portalURL, source: "x")
                #expect(await sending?.value == true)
            }
            let open = try #require(try Self.link(to: c.email))
            let past = try await c.portal.requestSignInLink(email: c.email, portal: Self.portalURL, source: "x")
            #expect(past == nil)
            #expect(try TestMailbox.received(for: c.email).count == 3)
            let signIn = try await c.portal.signIn(link: open, source: "test")
            #expect(signIn.charts == 1)
        }
    }
}
