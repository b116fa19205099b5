import Foundation
import HavenMail
import HavenService
import HavenTestSupport
import Logging

extension ClinicSetup {
    /// Counselor A invites `client` to `couple`'s portal by link to `email` (a fresh address when nil)
    /// and the partner accepts it with a passphrase. Returns the address.
    @discardableResult
    public func onPortal(_ client: UUID, couple: UUID, email: String? = nil) async throws -> String {
        let portal = PortalService(pool: fixture.app, hasher: StaffFixture.hasher)
        let address = email ?? "alex-\(UUID().uuidString.prefix(8).lowercased())@example.org"
        let invitation = try await portal.invite(client, to: .couple(couple), email: address, actor: counselorA)
        guard case .link(let token) = invitation.handover else {
            throw ServiceError(.conflict, "an invitation to an address is a link")
        }
        _ = try await portal.accept(.link(token), email: nil, passphrase: "a long enough passphrase", source: "test")
        return address
    }

    /// The outbox's sender as the owner role (`haven notify run`'s), to the local test SMTP server, with
    /// links to the test portal.
    public func testSender() throws -> NotificationSender {
        NotificationSender(
            pool: fixture.owner,
            mail: try .testSMTP(),
            portalLink: URL(string: "https://haven.harbor.example/portal")!,
            logger: Logger(label: "haven.test.notify")
        )
    }
}
