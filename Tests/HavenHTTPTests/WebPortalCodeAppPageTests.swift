import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Postgres
import Sealing
import Testing

@testable import HavenHTTP

/// A partner's one-time-code app in the browser (docs/portal.md "Access"): set up from
/// `/portal/settings`, asked for on `/portal/code` after the passphrase, refused when wrong or reused,
/// never taken without a waiting sign-in or without the form token, reset by the counselor.
@Suite("/portal/code and the settings' code app", .needsTestDatabase)
struct WebPortalCodeAppPageTests {
    /// The app a partner sets up from the key the settings page shows (RFC 6238).
    static func app(from html: String) throws -> TOTP {
        let key = try #require(html.firstMatch(of: /id="code-app-secret">([A-Z2-7 ]+)</)).1
        return TOTP(secret: SecureBytes(copying: try #require(Base32.decode(key.filter { $0 != " " }))))
    }

    @Test func aPartnerSetsUpAnAppAndEverySignInAsksForAFreshCode() async throws {
        try await HTTPFixture.with { fixture, client in
            let accepted = try await WebPortalPageTests.partnerAccepted(fixture, client)
            let (a, couplePath) = (accepted.a, accepted.couplePath)
            var dana = accepted.dana
            var partner = accepted.partner
            let passphrase = WebPortalPageTests.passphrase
            func signIn() async throws -> WebPageTests.Answer {
                _ = try await WebPortalPageTests.open(client, &partner, "/portal/sign-in")
                return try await WebPortalPageTests.send(
                    client,
                    &partner,
                    "/portal/sign-in",
                    [("email", "alex@example.org"), ("passphrase", passphrase)]
                )
            }
            #expect(try await signIn().location == "/portal")
            // No sign-in waits: the code page sends the partner to sign in.
            #expect(
                try await WebPortalPageTests.open(client, &partner, "/portal/code").location
                    == "/portal/sign-in?reason=code-expired"
            )
            _ = try await signIn()
            let settings = try await WebPortalPageTests.open(client, &partner, "/portal/settings")
            #expect(settings.html.contains("One-time codes") && settings.html.contains("Set up a code app"))
            // Without the form token nothing is set up.
            let forged = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/settings/code-app/start",
                [],
                csrf: false
            )
            #expect(forged.status == .forbidden)
            let started = try await WebPortalPageTests.send(client, &partner, "/portal/settings/code-app/start", [])
            #expect(started.status == .ok && started.html.contains("<svg"))
            WebPageTests.expectNothingInline(started.html)
            let app = try Self.app(from: started.html)
            let wrong = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/settings/code-app/confirm",
                [("code", "000000")]
            )
            #expect(wrong.status == .unprocessableContent && wrong.html.contains("That code did not match"))
            let previous = try await app.previousStep()
            let confirmed = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/settings/code-app/confirm",
                [("code", app.code(step: previous))]
            )
            #expect(confirmed.location == "/portal/settings?reason=code-app-on")

            // Signed out and in again: the passphrase leads to the code page, and nothing else opens.
            _ = try await WebPortalPageTests.send(client, &partner, "/portal/sign-out", [])
            #expect(try await signIn().location == "/portal/code")
            let page = try await WebPortalPageTests.open(client, &partner, "/portal/code")
            #expect(page.status == .ok && page.html.contains("Your one-time code"))
            // A sign-in waiting for its code is not signed in: no idle logoff (docs/web.md, "Idle logoff").
            #expect(!page.html.contains("data-idle-seconds") && !page.html.contains("haven.js"))
            let missed = try await WebPortalPageTests.send(client, &partner, "/portal/code", [("code", "000000")])
            #expect(missed.status == .unprocessableContent && missed.html.contains("That code did not match"))
            let forgedCode = try await WebPortalPageTests.send(
                client,
                &partner,
                "/portal/code",
                [("code", "1")],
                csrf: false
            )
            #expect(forgedCode.status == .forbidden)
            let now = app.code(step: app.step(at: Date()))
            let done = try await WebPortalPageTests.send(client, &partner, "/portal/code", [("code", now)])
            #expect(done.location == "/portal")
            #expect(try await WebPortalPageTests.open(client, &partner, "/portal").status == .ok)

            // The same code again, for the next sign-in: refused.
            _ = try await WebPortalPageTests.send(client, &partner, "/portal/sign-out", [])
            #expect(try await signIn().location == "/portal/code")
            _ = try await WebPortalPageTests.open(client, &partner, "/portal/code")
            let reused = try await WebPortalPageTests.send(client, &partner, "/portal/code", [("code", now)])
            #expect(reused.status == .unprocessableContent)

            // The counselor resets the app (a lost phone): the waiting sign-in ends, the next needs no code.
            let chart = try await WebPortalPageTests.open(client, &dana, couplePath)
            #expect(chart.html.contains("signs in with a one-time-code app"))
            let reset = try await WebPortalPageTests.send(
                client,
                &dana,
                couplePath + "/portal/code-app/reset",
                [("client", a.uuidString.lowercased())]
            )
            #expect(reset.location == couplePath + "#portal")
            #expect(
                try await WebPortalPageTests.open(client, &partner, "/portal/code").location
                    == "/portal/sign-in?reason=code-expired"
            )
            #expect(try await signIn().location == "/portal")
            let audit = try await fixture.owner.query(
                "SELECT action, outcome FROM audit_log WHERE action LIKE 'portal.totp.%' ORDER BY seq"
            ).map { try $0.decode((String, String).self) }
            #expect(
                audit.map(\.0) == [
                    "portal.totp.begin", "portal.totp.confirm", "portal.totp.confirm", "portal.totp.reset",
                ]
            )
        }
    }

    @Test func codesThatCannotBeCheckedAreRefusedPlainlyAndWrongCodesAreCountedInTheDatabase() async throws {
        try await HTTPFixture.with { fixture, client in
            var partner = try await WebPortalPageTests.partnerAccepted(fixture, client).partner
            func signIn() async throws -> WebPageTests.Answer {
                _ = try await WebPortalPageTests.open(client, &partner, "/portal/sign-in")
                return try await WebPortalPageTests.send(
                    client,
                    &partner,
                    "/portal/sign-in",
                    [("email", "alex@example.org"), ("passphrase", WebPortalPageTests.passphrase)]
                )
            }
            func post(_ path: String, _ code: String? = nil) async throws -> WebPageTests.Answer {
                try await WebPortalPageTests.send(client, &partner, path, code.map { [("code", $0)] } ?? [])
            }
            // The master key's attestation key is not recorded (an operator has not run `haven keys status`).
            func attestation(recorded: Bool) async throws {
                if recorded {
                    try await fixture.owner.withConnection { try await fixture.keys.checkMasterKeys(on: $0) }
                } else {
                    _ = try await fixture.owner.query("DELETE FROM second_factor_attestation_keys")
                }
            }
            let tries = "SELECT count(*) FROM sign_in_tries WHERE kind = 'partner-code'"
            #expect(try await signIn().location == "/portal")
            _ = try await WebPortalPageTests.open(client, &partner, "/portal/settings")
            let started = try await post("/portal/settings/code-app/start")
            let app = try Self.app(from: started.html)
            let now = { app.code(step: app.step(at: Date())) }

            try await attestation(recorded: false)
            let unavailable = "Codes from your app cannot be checked right now"
            let confirm = try await post("/portal/settings/code-app/confirm", now())
            #expect(confirm.status == .serviceUnavailable && confirm.html.contains(unavailable))
            #expect(confirm.html.contains("nothing was changed") && confirm.html.contains("One-time codes"))
            let restart = try await post("/portal/settings/code-app/start")
            #expect(restart.status == .serviceUnavailable && restart.html.contains(unavailable))
            // Nothing lost, nothing counted: the enrolment waits, and the code typed was no try.
            let waiting = try await fixture.owner.query("SELECT count(*) FROM partner_totp WHERE confirmed_at IS NULL")
            #expect(try waiting[0].decode(0, as: Int.self) == 1)
            #expect(try await fixture.owner.query(PostgresQuery(sql: tries))[0].decode(0, as: Int.self) == 0)
            try await attestation(recorded: true)
            #expect(
                try await post("/portal/settings/code-app/confirm", now()).location
                    == "/portal/settings?reason=code-app-on"
            )

            // The sign-in's code step: the same plain page, and the sign-in still waits for its code.
            _ = try await post("/portal/sign-out")
            #expect(try await signIn().location == "/portal/code")
            _ = try await WebPortalPageTests.open(client, &partner, "/portal/code")
            try await attestation(recorded: false)
            let step = try await post("/portal/code", app.code(step: app.step(at: Date()) + 1))
            #expect(step.status == .serviceUnavailable && step.html.contains(unavailable))
            #expect(try await WebPortalPageTests.open(client, &partner, "/portal/code").status == .ok)
            try await attestation(recorded: true)
            let next = app.code(step: app.step(at: Date()) + 1)
            #expect(try await post("/portal/code", next).location == "/portal")

            // Wrong codes on the settings page are sign-in tries in the database (no server's memory): the
            // sixth try is paused whatever the code, and the app stays.
            _ = try await WebPortalPageTests.open(client, &partner, "/portal/settings")
            for _ in 0..<5 {
                let wrong = try await post("/portal/settings/code-app/remove", "000000")
                #expect(wrong.status == .unprocessableContent && wrong.html.contains("That code did not match"))
            }
            let paused = try await post("/portal/settings/code-app/remove", now())
            #expect(paused.status == .tooManyRequests && paused.html.contains("Too many codes did not match"))
            #expect(try await fixture.owner.query(PostgresQuery(sql: tries))[0].decode(0, as: Int.self) >= 6)
            let kept = try await fixture.owner.query("SELECT count(*) FROM partner_totp WHERE confirmed_at IS NOT NULL")
            #expect(try kept[0].decode(0, as: Int.self) == 1)
        }
    }
}
