import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Sealing
import Testing

@testable import HavenHTTP

/// The portal's idle logoff (docs/web.md, "Idle logoff"): a signed-in partner's pages carry the
/// timeout and the portal's addresses for `haven.js`; `POST /portal/session/keepalive` restarts the
/// partner session's idle clock, CSRF-checked, and refuses a staff cookie, no session and an ended one;
/// the idle sign-out lands on the portal's sign-in page saying why.
@Suite("/portal idle logoff: the warning's attributes and keepalive", .needsTestDatabase)
struct WebPortalIdlePageTests {
    typealias Pages = WebPortalPageTests

    /// Partner A of Dana's couple, signed in to the portal (and on its home page, for the form token).
    static func signedIn(
        _ fixture: HTTPFixture,
        _ client: any TestClientProtocol
    ) async throws -> (dana: WebPageTests.Browser, partner: WebPageTests.Browser) {
        let accepted = try await Pages.partnerAccepted(fixture, client)
        var partner = accepted.partner
        _ = try await Pages.open(client, &partner, "/portal/sign-in")
        let signedIn = try await Pages.send(
            client,
            &partner,
            "/portal/sign-in",
            [("email", "alex@example.org"), ("passphrase", Pages.passphrase)]
        )
        #expect(signedIn.location == "/portal")
        _ = try await Pages.open(client, &partner, "/portal")
        return (accepted.dana, partner)
    }

    @Test func signedInPortalPagesCarryTheTimeoutAndThePortalsAddresses() async throws {
        try await HTTPFixture.with { fixture, client in
            var (dana, partner) = try await Self.signedIn(fixture, client)
            let body =
                #"<body data-idle-seconds="900" data-idle-keepalive="/portal/session/keepalive" "#
                + #"data-idle-sign-out="/portal/sign-out" data-idle-signed-out="/portal/sign-in?reason=idle">"#
            for path in ["/portal", "/portal/settings", "/portal/safety", "/portal/measures"] {
                let page = try await Pages.open(client, &partner, path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.contains(body), "\(path)")
                #expect(page.html.contains(#"<meta name="csrf" content="\#(partner.csrf)">"#), "\(path)")
                #expect(page.html.contains(#"<script src="/static/haven.js?v="#), "\(path)")
                // Never the staff bar's navigation or staff sign-out.
                #expect(!page.html.contains(#"action="/sign-out""#), "\(path)")
            }
            // The pages before sign-in have none of it, and the staff pages keep the script's defaults.
            var fresh = WebPageTests.Browser()
            for path in ["/portal/sign-in", "/portal/welcome"] {
                let page = try await Pages.open(client, &fresh, path)
                #expect(!page.html.contains("data-idle-seconds") && !page.html.contains("haven.js"), "\(path)")
            }
            let today = try await Pages.open(client, &dana, "/today")
            #expect(today.html.contains(#"<body data-idle-seconds="900">"#))
            // The one script reads the addresses from the page; the answer page saves its draft first.
            try await client.execute(uri: "/static/haven.js", method: .get) { response in
                let script = String(buffer: response.body)
                #expect(script.contains(#"getAttribute("data-idle-keepalive") || "/session/keepalive""#))
                #expect(script.contains(#"getAttribute("data-idle-signed-out") || "/sign-in?reason=idle""#))
            }
            try await client.execute(uri: "/static/portal-answer.js", method: .get) { response in
                #expect(String(buffer: response.body).contains("window.havenBeforeSignOut = () => saveNow();"))
            }
        }
    }

    @Test func keepaliveRestartsThePartnersIdleClockAndRefusesForgedOrSessionlessPosts() async throws {
        try await HTTPFixture.with { fixture, client in
            var (dana, partner) = try await Self.signedIn(fixture, client)
            let token = try #require(partner.cookies[PortalSession.cookieName])
            let hash = SessionToken(value: token).storageHash
            // Without the form token: refused before the handler runs.
            let forged = try await Pages.send(client, &partner, "/portal/session/keepalive", [], csrf: false)
            #expect(forged.status == .forbidden)
            // Ten minutes idle; the keepalive restarts the clock.
            _ = try await fixture.owner.query(
                "UPDATE partner_session_activity SET last_seen_at = now() - interval '10 minutes' WHERE token_hash = \(hash)"
            )
            let kept = try await Pages.send(client, &partner, "/portal/session/keepalive", [])
            #expect(kept.status == .noContent && kept.html.isEmpty)
            let idle = try await fixture.owner.query(
                "SELECT extract(epoch FROM now() - last_seen_at)::float8 FROM partner_session_activity WHERE token_hash = \(hash)"
            )[0].decode(0, as: Double.self)
            #expect(idle < 60)
            // A staff session (its cookie and its own form token) keeps no portal session alive, and the
            // portal's keepalive is not the staff one's.
            #expect(try await Pages.send(client, &dana, "/portal/session/keepalive", []).status == .forbidden)
            var crossed = partner
            crossed.cookies = dana.cookies
            #expect(try await Pages.send(client, &crossed, "/portal/session/keepalive", []).status == .forbidden)
            #expect(try await Pages.send(client, &partner, "/session/keepalive", []).status == .forbidden)
            // No session at all.
            var nobody = WebPageTests.Browser()
            _ = try await Pages.open(client, &nobody, "/portal/sign-in")
            #expect(try await Pages.send(client, &nobody, "/portal/session/keepalive", []).status == .forbidden)
            // A session that idled out: sent to sign in, the cookie dropped; it stays ended.
            _ = try await fixture.owner.query(
                "UPDATE partner_session_activity SET last_seen_at = now() - interval '16 minutes' WHERE token_hash = \(hash)"
            )
            var late = partner
            let ended = try await Pages.send(client, &late, "/portal/session/keepalive", [])
            #expect(ended.status == .seeOther && ended.location == "/portal/sign-in")
            #expect(late.cookies[PortalSession.cookieName] == nil)
            #expect(try await WebPageTests.get(client, partner, "/portal").location == "/portal/sign-in")
        }
    }

    @Test func theIdleSignOutEndsTheSessionAndTheSignInPageSaysWhy() async throws {
        try await HTTPFixture.with { fixture, client in
            var (_, partner) = try await Self.signedIn(fixture, client)
            let stale = partner
            let out = try await Pages.send(client, &partner, "/portal/sign-out", [("reason", "idle")])
            #expect(out.status == .seeOther && out.location == "/portal/sign-in?reason=idle")
            #expect(partner.cookies[PortalSession.cookieName] == nil)
            let page = try await Pages.open(client, &partner, "/portal/sign-in?reason=idle")
            #expect(
                page.html.contains(
                    "You were signed out after 15 minutes without activity; any answer you were writing was saved as a draft."
                )
            )
            #expect(!page.html.contains("data-idle-seconds"))
            // The ended session opens nothing, the keepalive included.
            #expect(try await WebPageTests.get(client, stale, "/portal").location == "/portal/sign-in")
            var again = stale
            #expect(try await Pages.send(client, &again, "/portal/session/keepalive", []).status == .seeOther)
        }
    }
}
