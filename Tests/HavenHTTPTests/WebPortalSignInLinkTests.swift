import Foundation
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HavenHTTP

/// `/portal/sign-in` by email link with the real test SMTP server, and forged requests: no CSRF token,
/// a link used twice, superseded, expired, or an invitation's token on the sign-in page.
@Suite("/portal/sign-in: links by email", .needsTestDatabase, .needsTestSMTP)
struct WebPortalSignInLinkTests {
    /// The path of the newest sign-in link mailed to `address`.
    static func linkPath(to address: String) throws -> String? {
        guard let message = try TestMailbox.received(for: address).last,
            let found = message.firstRange(of: /\/portal\/sign-in\/[A-Za-z0-9_-]{43}/)
        else { return nil }
        return String(message[found])
    }

    /// Waits (up to a minute: a loaded machine's mail can take longer than one SMTP reply's timeout) for
    /// a sign-in link to `address` other than `previous`: the message is sent on a task of its own,
    /// after the page answered.
    static func newLink(to address: String, after previous: String?) async throws -> String? {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let path = try linkPath(to: address), path != previous { return path }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func aPartnerAsksForALinkAndOnlyItsPagesPostSignsInOnce() async throws {
        try await HTTPFixture.with(mail: try .testSMTP()) { fixture, client in
            let (browser, chartPath, a, address, _) = try await WebPortalInvitationMailTests.inviteByEmail(
                fixture,
                client
            )
            var dana = browser
            let welcome = try #require(
                try TestMailbox.received(for: address).last.flatMap { message in
                    message.firstRange(of: /\/portal\/welcome\/[A-Za-z0-9_-]{43}/).map { String(message[$0]) }
                }
            )
            var partner = WebPageTests.Browser()
            _ = try await WebPortalPageTests.open(client, &partner, welcome)
            _ = try await WebPortalPageTests.send(
                client,
                &partner,
                welcome,
                [("passphrase", WebPortalPageTests.passphrase), ("confirm", WebPortalPageTests.passphrase)]
            )
            // The sign-in page asks the address first; known or not, the answer is the same.
            let page = try await WebPortalPageTests.open(client, &partner, "/portal/sign-in")
            #expect(page.html.contains("Email me a sign-in link"))
            let unknown = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/sign-in-link",
                [("email", "nobody@portal.example")]
            )
            let asked = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/sign-in-link",
                [("email", address)]
            )
            #expect(asked.status == .ok && unknown.status == .ok)
            #expect(asked.html.contains("a sign-in link is on its way"))
            #expect(
                asked.html.replacingOccurrences(of: address, with: "X")
                    == unknown.html.replacingOccurrences(of: "nobody@portal.example", with: "X")
            )
            // The message goes out on a task of its own: wait for it.
            let link = try #require(try await Self.newLink(to: address, after: nil))
            #expect(try TestMailbox.received(for: "nobody@portal.example").isEmpty)
            // A fresh browser: the GET (a mail scanner's too) spends nothing; a POST without CSRF is refused.
            var fresh = WebPageTests.Browser()
            for _ in 0..<2 {
                let shown = try await WebPortalPageTests.open(client, &fresh, link)
                #expect(shown.status == .ok && shown.html.contains("Sign in"))
            }
            let forged = try await WebPortalPageTests.send(client, &fresh, link, [], csrf: false)
            #expect(forged.status == .forbidden)
            let signedIn = try await WebPortalPageTests.send(client, &fresh, link, [])
            #expect(signedIn.status == .seeOther && signedIn.location == "/portal")
            #expect(fresh.cookies["__Host-haven-portal"] != nil)
            // Used once: a second POST (another browser) is the dead link's page.
            var other = WebPageTests.Browser()
            _ = try await WebPortalPageTests.open(client, &other, link)
            let reused = try await WebPortalPageTests.send(client, &other, link, [])
            #expect(reused.status == .notFound && reused.html.contains("does not work"))
            // An invitation's token on the sign-in page is not a sign-in link.
            _ = try await WebPortalPageTests.send(
                client,
                &dana,
                "\(chartPath)/portal/invite",
                [("client", a.uuidString), ("how", "email"), ("email", address)]
            )
            let token = try #require(
                try TestMailbox.received(for: address).last.flatMap { message in
                    message.firstRange(of: /\/portal\/welcome\/[A-Za-z0-9_-]{43}/).map {
                        String(message[$0].split(separator: "/").last ?? "")
                    }
                }
            )
            var third = WebPageTests.Browser()
            _ = try await WebPortalPageTests.open(client, &third, "/portal/sign-in/\(token)")
            let crossed = try await WebPortalPageTests.send(client, &third, "/portal/sign-in/\(token)", [])
            #expect(crossed.status == .notFound)
            // A superseded link and an expired one do not work.
            _ = try await WebPortalPageTests.send(client, &third, "/portal/sign-in-link", [("email", address)])
            let superseded = try #require(try await Self.newLink(to: address, after: link))
            _ = try await WebPortalPageTests.send(client, &third, "/portal/sign-in-link", [("email", address)])
            let newest = try #require(try await Self.newLink(to: address, after: superseded))
            #expect(try await WebPortalPageTests.send(client, &third, superseded, []).status == .notFound)
            try await fixture.owner.query(
                "UPDATE partner_links SET expires_at = now() - interval '1 second' WHERE kind = 'sign-in' AND spent_at IS NULL"
            )
            #expect(try await WebPortalPageTests.send(client, &third, newest, []).status == .notFound)
            // No address or link reached a log line.
            #expect(!fixture.logs.entries.contains { $0.fullText.contains(address) || $0.fullText.contains(link) })
        }
    }
}
