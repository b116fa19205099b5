import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HavenHTTP

/// The partner portal's pages (`/portal/...`) and the chart's "Portal access" section, with forged
/// requests: no CSRF token, the wrong cookie kind, a staff cookie on the portal and a portal cookie
/// on staff pages.
@Suite("/portal: a partner's own pages, apart from the staff app", .needsTestDatabase)
struct WebPortalPageTests {
    static let passphrase = "a long enough passphrase"

    /// A GET that takes the response's cookies and CSRF token into `browser`.
    static func open(
        _ client: any TestClientProtocol,
        _ browser: inout WebPageTests.Browser,
        _ uri: String
    ) async throws -> WebPageTests.Answer {
        var taken = browser
        let answer = try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader) { response in
            WebPageTests.expectSecurityHeaders(response)
            taken.take(response)
            return WebPageTests.Answer(
                status: response.status,
                location: response.headers[.location],
                contentType: response.headers[.contentType],
                html: String(buffer: response.body)
            )
        }
        browser = taken
        return answer
    }

    /// A form POST whose cookies the browser keeps.
    static func send(
        _ client: any TestClientProtocol,
        _ browser: inout WebPageTests.Browser,
        _ uri: String,
        _ fields: [(String, String)],
        csrf: Bool = true
    ) async throws -> WebPageTests.Answer {
        var taken = browser
        let answer = try await client.execute(
            uri: uri,
            method: .post,
            headers: WebPageTests.formHeaders(browser),
            body: WebPageTests.form((csrf ? [("csrf", browser.csrf)] : []) + fields)
        ) { response in
            WebPageTests.expectSecurityHeaders(response)
            taken.take(response)
            return WebPageTests.Answer(
                status: response.status,
                location: response.headers[.location],
                contentType: response.headers[.contentType],
                html: String(buffer: response.body)
            )
        }
        browser = taken
        return answer
    }

    @Test func aCounselorInvitesByCodeAndThePartnerSignsInToTheirOwnPages() async throws {
        try await HTTPFixture.with { fixture, client in
            let (a, b) = try await fixture.owner.query(
                "SELECT partner_a_id, partner_b_id FROM couples WHERE id = \(fixture.danaCouple)"
            )[0].decode((UUID, UUID).self)
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let chartPath = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
            let chart = try await Self.open(client, &dana, chartPath)
            #expect(chart.html.contains("Portal access") && chart.html.contains("\(chartPath)/portal/invite"))
            // Sam's couple is not Dana's: no invitation.
            let samChart = "/couples/\(fixture.samCouple.uuidString.lowercased())"
            let outside = try await Self.send(
                client,
                &dana,
                "\(samChart)/portal/invite",
                [("client", a.uuidString), ("how", "code")]
            )
            #expect(outside.status == .notFound)
            let invited = try await Self.send(
                client,
                &dana,
                "\(chartPath)/portal/invite",
                [("client", a.uuidString), ("how", "code")]
            )
            #expect(invited.status == .created && invited.html.contains("shown only now"))
            let match = try #require(
                invited.html.firstRange(of: /<code class="secret">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<\/code>/)
            )
            let code = String(invited.html[match].dropFirst(#"<code class="secret">"#.count).prefix(14))

            // A fresh browser enters the code. Without the form token: refused before the page runs.
            var partner = WebPageTests.Browser()
            let welcome = try await Self.open(client, &partner, "/portal/welcome")
            #expect(welcome.status == .ok && partner.cookies["__Host-haven-portal-pre"] != nil)
            WebPageTests.expectNothingInline(welcome.html)
            // Before the code is checked the practice is unknown: the page says who invites all the same.
            #expect(welcome.html.contains("<p>Your counselor invites you to your own private portal.</p>"))
            let fields = [
                ("code", code.lowercased()), ("email", "alex@example.org"), ("passphrase", Self.passphrase),
                ("confirm", Self.passphrase),
            ]
            let forged = try await Self.send(client, &partner, "/portal/welcome", fields, csrf: false)
            #expect(forged.status == .forbidden)
            let short = try await Self.send(
                client,
                &partner,
                "/portal/welcome",
                [("code", code), ("email", "alex@example.org"), ("passphrase", "short"), ("confirm", "short")]
            )
            #expect(short.status == .unprocessableContent && short.html.contains("at least 12 characters"))
            let accepted = try await Self.send(client, &partner, "/portal/welcome", fields)
            #expect(accepted.status == .seeOther && accepted.location == "/portal/sign-in?reason=passphrase-set")
            let spent = try await Self.send(client, &partner, "/portal/welcome", fields)
            #expect(spent.status == .notFound)

            // Sign in: the portal's own cookie, and the home page.
            let signInPage = try await Self.open(client, &partner, "/portal/sign-in?reason=passphrase-set")
            #expect(signInPage.html.contains("Your passphrase is set"))
            let signedIn = try await Self.send(
                client,
                &partner,
                "/portal/sign-in",
                [("email", "alex@example.org"), ("passphrase", Self.passphrase)]
            )
            #expect(signedIn.status == .seeOther && signedIn.location == "/portal")
            let portalToken = try #require(partner.cookies["__Host-haven-portal"])
            #expect(partner.cookies["__Host-haven-session"] == nil)
            let home = try await Self.open(client, &partner, "/portal")
            #expect(home.status == .ok && home.html.contains("Harbor Counseling"))
            #expect(home.html.contains("Next appointment") && home.html.contains("Homework"))
            #expect(!home.html.contains("Dana") && !home.html.contains("Fictional"))
            WebPageTests.expectNothingInline(home.html)

            // The portal cookie opens no staff page, and the staff cookie no portal page.
            let staffPage = try await WebPageTests.get(client, partner, "/today")
            #expect(staffPage.status == .seeOther && staffPage.location?.hasPrefix("/sign-in") == true)
            let danaOnPortal = try await WebPageTests.get(client, dana, "/portal")
            #expect(danaOnPortal.status == .seeOther && danaOnPortal.location == "/portal/sign-in")
            // Either token under the other's cookie name is no session there.
            var swapped = WebPageTests.Browser()
            swapped.cookies["__Host-haven-portal"] = dana.cookies["__Host-haven-session"]
            #expect(try await WebPageTests.get(client, swapped, "/portal").location == "/portal/sign-in")
            swapped.cookies = ["__Host-haven-session": portalToken]
            #expect(try await WebPageTests.get(client, swapped, "/today").location?.hasPrefix("/sign-in") == true)
            // A portal form with the staff session's CSRF token, or a staff form with the portal's: refused.
            var crossed = partner
            crossed.csrf = dana.csrf
            #expect(try await Self.send(client, &crossed, "/portal/sign-out", []).status == .forbidden)
            var danaCrossed = dana
            danaCrossed.csrf = partner.csrf
            #expect(try await Self.send(client, &danaCrossed, "/sign-out", []).status == .forbidden)

            // Dana sees the access, invites Jo by email and revokes Alex: Alex's session ends at once.
            let status = try await WebPageTests.get(client, dana, chartPath)
            #expect(status.html.contains("alex@example.org"))
            let link = try await Self.send(
                client,
                &dana,
                "\(chartPath)/portal/invite",
                [("client", b.uuidString), ("how", "email"), ("email", "jo@example.org")]
            )
            #expect(link.status == .created && link.html.contains("/portal/welcome/"))
            let revoked = try await Self.send(client, &dana, "\(chartPath)/portal/revoke", [("client", a.uuidString)])
            #expect(revoked.status == .seeOther)
            let after = try await WebPageTests.get(client, partner, "/portal")
            #expect(after.status == .seeOther && after.location == "/portal/sign-in")
            // The code reached no log line.
            #expect(!fixture.logs.entries.contains { $0.fullText.contains(code) })
        }
    }

    @Test func aLinkInvitationShowsItsPageAndSignOutEndsTheSession() async throws {
        try await HTTPFixture.with { fixture, client in
            let (a, _) = try await fixture.owner.query(
                "SELECT partner_a_id, partner_b_id FROM couples WHERE id = \(fixture.danaCouple)"
            )[0].decode((UUID, UUID).self)
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let chartPath = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
            _ = try await Self.open(client, &dana, chartPath)
            let invited = try await Self.send(
                client,
                &dana,
                "\(chartPath)/portal/invite",
                [("client", a.uuidString), ("how", "email"), ("email", "alex@example.org")]
            )
            let url = try #require(invited.html.firstRange(of: /\/portal\/welcome\/[A-Za-z0-9_-]{43}/))
            let path = String(invited.html[url])
            var partner = WebPageTests.Browser()
            // A mail scanner's GETs spend nothing.
            for _ in 0..<2 {
                let page = try await Self.open(client, &partner, path)
                #expect(page.status == .ok && page.html.contains("alex@example.org"))
            }
            let unknown = try await WebPageTests.get(client, partner, "/portal/welcome/not-a-link")
            #expect(unknown.status == .notFound && unknown.html.contains("does not work"))
            let accepted = try await Self.send(
                client,
                &partner,
                path,
                [("passphrase", Self.passphrase), ("confirm", Self.passphrase)]
            )
            #expect(accepted.location == "/portal/sign-in?reason=passphrase-set")
            _ = try await Self.open(client, &partner, "/portal/sign-in")
            let wrong = try await Self.send(
                client,
                &partner,
                "/portal/sign-in",
                [("email", "alex@example.org"), ("passphrase", "not the passphrase")]
            )
            #expect(wrong.status == .unauthorized)
            _ = try await Self.send(
                client,
                &partner,
                "/portal/sign-in",
                [("email", "alex@example.org"), ("passphrase", Self.passphrase)]
            )
            _ = try await Self.open(client, &partner, "/portal")
            let out = try await Self.send(client, &partner, "/portal/sign-out", [])
            #expect(out.status == .seeOther && out.location == "/portal/sign-in?reason=signed-out")
            #expect(partner.cookies["__Host-haven-portal"] == nil)
            #expect(!fixture.logs.entries.contains { $0.fullText.contains(path) })
        }
    }

    /// Partner A of Dana's couple on the portal: Dana (signed in) gives a code on the chart, and the
    /// partner, in a browser of their own, accepts it as `alex@example.org` with `passphrase`.
    static func partnerAccepted(
        _ fixture: HTTPFixture,
        _ client: any TestClientProtocol
    ) async throws -> (dana: WebPageTests.Browser, partner: WebPageTests.Browser, a: UUID, couplePath: String) {
        let a = try await fixture.owner.query("SELECT partner_a_id FROM couples WHERE id = \(fixture.danaCouple)")[0]
            .decode(0, as: UUID.self)
        var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
        let couplePath = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
        let partner = try await accepted(client, &dana, couplePath, a, email: "alex@example.org")
        return (dana, partner, a, couplePath)
    }

    /// `person` of the chart at `path` on the portal, the one way every portal test gets there: the
    /// counselor (`dana`, signed in) gives a code on the chart, and the person, in a browser of their own,
    /// accepts it as `email` with `passphrase` (not yet signed in).
    static func accepted(
        _ client: any TestClientProtocol,
        _ dana: inout WebPageTests.Browser,
        _ path: String,
        _ person: UUID,
        email: String
    ) async throws -> WebPageTests.Browser {
        let code = try await giveCode(client, &dana, path, person)
        var partner = WebPageTests.Browser()
        _ = try await open(client, &partner, "/portal/welcome")
        let accepted = try await send(
            client,
            &partner,
            "/portal/welcome",
            [("code", code), ("email", email), ("passphrase", passphrase), ("confirm", passphrase)]
        )
        #expect(accepted.location == "/portal/sign-in?reason=passphrase-set")
        return partner
    }

    /// A code given on `path`'s chart page (the "Give a code" form), as the counselor reads it out.
    static func giveCode(
        _ client: any TestClientProtocol,
        _ dana: inout WebPageTests.Browser,
        _ path: String,
        _ person: UUID
    ) async throws -> String {
        _ = try await open(client, &dana, path)
        let page = try await send(
            client,
            &dana,
            "\(path)/portal/invite",
            [("client", person.uuidString), ("how", "code")]
        )
        let match = try #require(
            page.html.firstRange(of: /<code class="secret">[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}<\/code>/)
        )
        return String(page.html[match].dropFirst(#"<code class="secret">"#.count).prefix(14))
    }

    @Test func aPersonWithTwoChartsChoosesOneAndWrongCodesPauseTheAddress() async throws {
        try await HTTPFixture.with { fixture, client in
            let (a, _) = try await fixture.owner.query(
                "SELECT partner_a_id, partner_b_id FROM couples WHERE id = \(fixture.danaCouple)"
            )[0].decode((UUID, UUID).self)
            var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let couplePath = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
            let clientPath = "/clients/\(a.uuidString.lowercased())"
            let first = try await Self.giveCode(client, &dana, couplePath, a)
            let second = try await Self.giveCode(client, &dana, clientPath, a)
            var partner = WebPageTests.Browser()
            _ = try await Self.open(client, &partner, "/portal/welcome")
            let set = try await Self.send(
                client,
                &partner,
                "/portal/welcome",
                [
                    ("code", first), ("email", "alex@example.org"), ("passphrase", Self.passphrase),
                    ("confirm", Self.passphrase),
                ]
            )
            // The first code was superseded by the second (newest only): it does not work.
            #expect(set.status == .notFound)
            let accepted = try await Self.send(
                client,
                &partner,
                "/portal/welcome",
                [
                    ("code", second), ("email", "alex@example.org"), ("passphrase", Self.passphrase),
                    ("confirm", Self.passphrase),
                ]
            )
            #expect(accepted.location == "/portal/sign-in?reason=passphrase-set")
            // A second chart: the couple's code again, now for an account with a passphrase.
            let third = try await Self.giveCode(client, &dana, couplePath, a)
            let added = try await Self.send(client, &partner, "/portal/welcome", [("code", third)])
            #expect(added.location == "/portal/sign-in?reason=chart-added")
            _ = try await Self.open(client, &partner, "/portal/sign-in")
            _ = try await Self.send(
                client,
                &partner,
                "/portal/sign-in",
                [("email", "alex@example.org"), ("passphrase", Self.passphrase)]
            )
            let chooser = try await Self.open(client, &partner, "/portal")
            #expect(chooser.html.contains("Which counseling?"))
            #expect(chooser.html.contains("Couple counseling") && chooser.html.contains("Individual counseling"))
            // Sam's couple is not among Alex's charts.
            let forged = try await Self.send(
                client,
                &partner,
                "/portal/chart",
                [("kind", "couple"), ("id", fixture.samCouple.uuidString)]
            )
            #expect(forged.status == .notFound)
            let chosen = try await Self.send(
                client,
                &partner,
                "/portal/chart",
                [("kind", "couple"), ("id", fixture.danaCouple.uuidString)]
            )
            #expect(chosen.location == "/portal")
            let home = try await Self.open(client, &partner, "/portal")
            #expect(home.html.contains("Your portal") && !home.html.contains("Which counseling?"))
            // Five wrong codes from one address (the superseded one above and four more): the sixth try
            // is paused before any code is checked.
            var guesser = WebPageTests.Browser()
            _ = try await Self.open(client, &guesser, "/portal/welcome")
            for _ in 0..<4 {
                let wrong = try await Self.send(client, &guesser, "/portal/welcome", [("code", "AAAA-AAAA-AAAA")])
                #expect(wrong.status == .notFound)
            }
            let paused = try await Self.send(client, &guesser, "/portal/welcome", [("code", "AAAA-AAAA-AAAA")])
            #expect(paused.status == .tooManyRequests)
        }
    }
}
