import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HavenHTTP

@Suite("/welcome/{token}: a new staff member sets their own password with a one-time link", .needsTestDatabase)
struct WebWelcomePageTests {
    @Test func theGetShowsTheFormAndThePostSpendsTheLinkOnce() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await StaffChangeRouteTests.addStaff(fixture)
            let office = try await HTTPFixture.signIn(client, "office@harbor.example")
            let body = #"{"email": "front@harbor.example", "displayName": "Front Desk", "roles": ["scheduler"]}"#
            let created = try await StaffChangeRouteTests.send(client, .post, "/v1/staff", office, body).1
            let link = try JSONDecoder().decode(StaffPasswordLinkRouteTests.Link.self, from: Data(created.utf8))

            // A fresh browser; a mail scanner's GETs spend nothing.
            var browser = WebPageTests.Browser()
            for _ in 0..<2 {
                try await client.execute(uri: link.path, method: .get) { response in
                    #expect(response.status == .ok)
                    WebPageTests.expectSecurityHeaders(response)
                    let html = String(buffer: response.body)
                    #expect(html.contains("front@harbor.example") && html.contains(#"autocomplete="new-password""#))
                    WebPageTests.expectNothingInline(html)
                    browser.take(response)
                }
            }
            #expect(browser.cookies["__Host-haven-pre"] != nil, "the form is keyed to a pre-session cookie")
            // Without the form token: refused before the page runs.
            let forged = try await WebPageTests.post(
                client,
                browser,
                link.path,
                [("password", "the attacker's choice"), ("confirm", "the attacker's choice")],
                csrf: false
            )
            #expect(forged.status == .forbidden)
            // The rules in words; the link stays open.
            let differ = try await WebPageTests.post(
                client,
                browser,
                link.path,
                [("password", HTTPFixture.password), ("confirm", "something else entirely")]
            )
            #expect(differ.status == .unprocessableContent && differ.html.contains("differ"))
            let short = try await WebPageTests.post(
                client,
                browser,
                link.path,
                [("password", "short"), ("confirm", "short")]
            )
            #expect(short.status == .unprocessableContent && short.html.contains("at least 12 characters"))
            let set = try await WebPageTests.post(
                client,
                browser,
                link.path,
                [("password", HTTPFixture.password), ("confirm", HTTPFixture.password)]
            )
            #expect(set.status == .seeOther && set.location == "/sign-in?reason=password-set")
            let signIn = try await WebPageTests.get(client, browser, "/sign-in?reason=password-set")
            #expect(signIn.html.contains("Your password is set"))
            // Spent: the same answer as a link that never was.
            let spent = try await WebPageTests.get(client, browser, link.path)
            let unknown = try await WebPageTests.get(client, browser, "/welcome/not-a-link")
            #expect(spent.status == .notFound && spent.html.contains("does not work"))
            #expect(unknown.status == spent.status && unknown.html == spent.html)
            let again = try await WebPageTests.post(
                client,
                browser,
                link.path,
                [("password", "the admin's own choice"), ("confirm", "the admin's own choice")]
            )
            #expect(again.status == .notFound)
            // The member signs in with their own password; the token reached no log line.
            let member = try await WebPageTests.signIn(client, "front@harbor.example")
            #expect(member.cookies["__Host-haven-session"] != nil)
            #expect(!fixture.logs.entries.contains { $0.fullText.contains(link.token) })
        }
    }
}

extension WebWelcomePageTests {
    @Test func theAdminPagesCreateAnAccountAndOfferResetsForNonClinicalAccountsOnly() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await StaffChangeRouteTests.addStaff(fixture)
            let admin = try await WebPageTests.signIn(client, "office@harbor.example")
            let staffPage = try await WebPageTests.get(client, admin, "/admin/staff")
            #expect(staffPage.html.contains(#"action="/admin/staff""#))
            let created = try await WebPageTests.post(
                client,
                admin,
                "/admin/staff",
                [("email", "front@harbor.example"), ("displayName", "Front Desk"), ("role-counselor", "on")]
            )
            #expect(created.status == .created)
            #expect(created.html.contains("in person or by a channel you trust"))
            #expect(created.html.contains("approval: counselor."))
            let url = try #require(created.html.firstRange(of: /https:\/\/[^<"]*\/welcome\/([A-Za-z0-9_-]{43})/))
            let path = "/welcome/" + created.html[url].split(separator: "/").last!
            #expect(try await WebPageTests.get(client, WebPageTests.Browser(), path).status == .ok)
            // The approver of the counselor role sees that the password is not the member's yet.
            let waiting = try await WebPageTests.get(client, admin, "/admin/staff")
            #expect(waiting.html.contains("Front Desk has no password yet"))
            // A refused form comes back as typed.
            let taken = try await WebPageTests.post(
                client,
                admin,
                "/admin/staff",
                [("email", "front@harbor.example"), ("displayName", "Again")]
            )
            #expect(taken.status == .conflict && taken.html.contains(#"value="Again""#))
            // Dana is a counselor: the operator's command, no button.
            let dana = try await WebPageTests.get(
                client,
                admin,
                "/admin/staff/\(fixture.dana.staffID.uuidString.lowercased())"
            )
            #expect(dana.html.contains("haven staff reset-password") && !dana.html.contains("/password-link"))
            let front = try await fixture.owner.query("SELECT id FROM staff WHERE email = 'front@harbor.example'")[0]
                .decode(0, as: UUID.self).uuidString.lowercased()
            let frontPage = try await WebPageTests.get(client, admin, "/admin/staff/\(front)")
            #expect(frontPage.html.contains("/admin/staff/\(front)/password-link"))
            let reset = try await WebPageTests.post(client, admin, "/admin/staff/\(front)/password-link", [])
            #expect(reset.status == .ok && reset.html.contains("/welcome/"))
            // The newer link replaced the first.
            #expect(try await WebPageTests.get(client, WebPageTests.Browser(), path).status == .notFound)
            let refused = try await WebPageTests.post(
                client,
                admin,
                "/admin/staff/\(fixture.dana.staffID.uuidString.lowercased())/password-link",
                []
            )
            #expect(refused.status == .forbidden)
        }
    }
}
