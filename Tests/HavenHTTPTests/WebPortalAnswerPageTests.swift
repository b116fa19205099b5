import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HavenHTTP

/// The portal's answer pages (`/portal/homework/{id}`), the safety page and the chart's view of the
/// answers, with forged requests: no CSRF token, another partner's assignment, another chart's, a staff
/// cookie. The other partner's unshared answer appears in no response body.
@Suite("/portal/homework: a partner's answers, sharing, safety mode and the counselor's read", .needsTestDatabase)
struct WebPortalAnswerPageTests {
    typealias Pages = WebPortalPageTests

    /// Dana's couple with both partners signed in to the portal, a joint assignment and one for Alex
    /// alone (and one on Sam's couple, which neither partner reaches).
    struct Couple {
        var alex: WebPageTests.Browser
        var jo: WebPageTests.Browser
        var dana: WebPageTests.Browser
        var chartPath: String
        var joint: UUID
        var alexOnly: UUID
        var samJoint: UUID
    }

    static func couple(_ fixture: HTTPFixture, _ client: any TestClientProtocol) async throws -> Couple {
        let (a, b) = try await fixture.owner.query(
            "SELECT partner_a_id, partner_b_id FROM couples WHERE id = \(fixture.danaCouple)"
        )[0].decode((UUID, UUID).self)
        var dana = try await WebPageTests.signIn(client, "dana@harbor.example")
        let chartPath = "/couples/\(fixture.danaCouple.uuidString.lowercased())"
        func partner(_ person: UUID, _ email: String) async throws -> WebPageTests.Browser {
            var browser = try await Pages.accepted(client, &dana, chartPath, person, email: email)
            _ = try await Pages.open(client, &browser, "/portal/sign-in")
            let signedIn = try await Pages.send(
                client,
                &browser,
                "/portal/sign-in",
                [("email", email), ("passphrase", Pages.passphrase)]
            )
            #expect(signedIn.location == "/portal")
            return browser
        }
        let alex = try await partner(a, "alex@example.org")
        let jo = try await partner(b, "jo@example.org")
        let homework = HomeworkService(pool: fixture.app, keys: fixture.keys)
        let library = try await homework.library(actor: fixture.dana)
        let jointPrompt = try #require(library.first { $0.joint }).id
        let ownPrompt = try #require(library.first { !$0.joint }).id
        let today = CalendarDate(year: 2026, month: 9, day: 22)!
        let due = CalendarDate(year: 2030, month: 1, day: 1)!
        func assign(_ prompt: UUID, _ couple: UUID, partner: UUID? = nil, actor: StaffActor) async throws -> UUID {
            let session = try await fixture.owner.query(
                "SELECT id FROM therapy_sessions WHERE couple_id = \(couple) LIMIT 1"
            )[0].decode(0, as: UUID.self)
            return try await homework.assign(
                prompt: prompt,
                couple: couple,
                partner: partner,
                session: session,
                dueOn: due,
                today: today,
                actor: actor
            ).id
        }
        return Couple(
            alex: alex,
            jo: jo,
            dana: dana,
            chartPath: chartPath,
            joint: try await assign(jointPrompt, fixture.danaCouple, actor: fixture.dana),
            alexOnly: try await assign(ownPrompt, fixture.danaCouple, partner: a, actor: fixture.dana),
            samJoint: try await assign(jointPrompt, fixture.samCouple, actor: fixture.sam)
        )
    }

    static func path(_ id: UUID) -> String { "/portal/homework/\(id.uuidString.lowercased())" }

    /// The value of the hidden form field `name` on a page.
    static func field(_ name: String, in html: String) throws -> String {
        let range = try #require(html.range(of: #"name="\#(name)" value=""#))
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// An autosave as the page's script sends it (JSON answer).
    static func autosave(
        _ client: any TestClientProtocol,
        _ browser: WebPageTests.Browser,
        _ path: String,
        _ fields: [(String, String)]
    ) async throws -> (HTTPResponse.Status, String) {
        var headers = WebPageTests.formHeaders(browser)
        headers[.accept] = "application/json"
        return try await client.execute(
            uri: path + "/autosave",
            method: .post,
            headers: headers,
            body: WebPageTests.form([("csrf", browser.csrf)] + fields)
        ) { ($0.status, String(buffer: $0.body)) }
    }

    @Test func aPartnerDraftsSubmitsAndSharesAndTheCounselorsReadMakesItFinal() async throws {
        try await HTTPFixture.with { fixture, client in
            var c = try await Self.couple(fixture, client)
            let joint = Self.path(c.joint)
            let shared = "ALEX-SHARED-SENTINEL: I felt <alone> & unheard."
            let secret = "JO-PRIVATE-SENTINEL: something only the counselor reads."

            let home = try await Pages.open(client, &c.alex, "/portal")
            #expect(home.html.contains(#"href="\#(joint)""#) && home.html.contains(Self.path(c.alexOnly)))
            let page = try await Pages.open(client, &c.alex, joint)
            #expect(page.status == .ok && page.html.contains("Also share with my partner"))
            #expect(page.html.contains(PortalAnswerView.counselorOnly) && page.html.contains("Not saved yet."))
            WebPageTests.expectNothingInline(page.html)
            let draft = try Self.field("draft", in: page.html)
            #expect(try Self.field("version", in: page.html) == "0")

            // Without the form token nothing is saved, and the text comes back to copy.
            let typed = [("draft", draft), ("version", "0"), ("text", shared), ("share", "on"), ("action", "save")]
            let forged = try await Pages.send(client, &c.alex, joint, typed, csrf: false)
            #expect(forged.status == .forbidden && forged.html.contains("ALEX-SHARED-SENTINEL: I felt &lt;alone&gt;"))
            #expect(try await Pages.open(client, &c.alex, joint).html.contains("Not saved yet."))

            // Saved as a draft (escaped on the page), with its version; the old form is a conflict that keeps
            // its text and moves to the version now current.
            let saved = try await Pages.send(client, &c.alex, joint, typed)
            #expect(saved.status == .seeOther && saved.location == "\(joint)?done=saved")
            let reloaded = try await Pages.open(client, &c.alex, "\(joint)?done=saved")
            #expect(reloaded.html.contains("I felt &lt;alone&gt; &amp; unheard.") && !reloaded.html.contains("<alone>"))
            #expect(reloaded.html.contains("Draft saved (version 1)") && reloaded.html.contains(" checked"))
            #expect(reloaded.html.contains(PortalAnswerView.partnerOnSubmit))
            let stale = try await Pages.send(
                client,
                &c.alex,
                joint,
                [("draft", draft), ("version", "0"), ("text", "SECOND-TAB text"), ("action", "save")]
            )
            #expect(stale.status == .conflict && stale.html.contains("saved in another tab or window first"))
            let staleVersion = try Self.field("version", in: stale.html)
            #expect(stale.html.contains("SECOND-TAB text") && staleVersion == "1")
            // The autosave script's save, then a stale one: a JSON conflict.
            let (autoStatus, autoBody) = try await Self.autosave(
                client,
                c.alex,
                joint,
                [("draft", draft), ("version", "1"), ("text", shared), ("share", "on")]
            )
            #expect(autoStatus == .ok && autoBody.contains(#""version":"2""#))
            let (staleStatus, _) = try await Self.autosave(
                client,
                c.alex,
                joint,
                [("draft", draft), ("version", "1"), ("text", "x")]
            )
            #expect(staleStatus == .conflict)
            let submitted = try await Pages.send(
                client,
                &c.alex,
                joint,
                [("draft", draft), ("version", "2"), ("text", shared), ("share", "on"), ("action", "submit")]
            )
            #expect(submitted.location == "\(joint)?done=submitted")
            let after = try await Pages.open(client, &c.alex, joint)
            #expect(after.html.contains("Your submitted answer") && after.html.contains(PortalAnswerView.partnerToo))

            // Jo reads it, and answers privately.
            let joPage = try await Pages.open(client, &c.jo, joint)
            #expect(joPage.html.contains("What your partner shared with you"))
            #expect(joPage.html.contains("I felt &lt;alone&gt; &amp; unheard."))
            let joDraft = try Self.field("draft", in: joPage.html)
            let joSubmitted = try await Pages.send(
                client,
                &c.jo,
                joint,
                [("draft", joDraft), ("version", "0"), ("text", secret), ("action", "submit")]
            )
            #expect(joSubmitted.location == "\(joint)?done=submitted")
            // Jo's assignment list has no page for Alex's own assignment.
            #expect(try await Pages.open(client, &c.jo, Self.path(c.alexOnly)).status == .notFound)

            // Everything Alex can ask for says nothing of Jo's private answer, not even that it exists.
            var bodies: [String] = []
            let alexNow = try await Pages.open(client, &c.alex, joint)
            #expect(alexNow.html.contains("Nothing is shared with you on this exercise."))
            bodies.append(alexNow.html)
            bodies.append(try await Pages.open(client, &c.alex, "/portal").html)
            bodies.append(try await Pages.open(client, &c.alex, Self.path(c.alexOnly)).html)
            // Another chart's assignment, Jo's, one that does not exist: one page, 404.
            let samsPage = try await Pages.open(client, &c.alex, Self.path(c.samJoint))
            let noneAtAll = try await Pages.open(client, &c.alex, Self.path(UUID()))
            #expect(samsPage.status == .notFound && samsPage.html == noneAtAll.html)
            for target in [c.samJoint, UUID()] {
                let write = try await Pages.send(
                    client,
                    &c.alex,
                    Self.path(target),
                    [("draft", draft), ("version", "0"), ("text", "x"), ("action", "submit")]
                )
                #expect(write.status == .notFound)
                bodies.append(write.html)
                let share = try await Pages.send(client, &c.alex, Self.path(target) + "/share", [("share", "on")])
                #expect(share.status == .notFound)
                bodies.append(share.html)
            }
            let (_, alexAuto) = try await Self.autosave(
                client,
                c.alex,
                Self.path(c.samJoint),
                [("draft", draft), ("version", "0"), ("text", "x")]
            )
            bodies.append(alexAuto)
            // A staff cookie reaches no portal page; a staff form token does not pass on the portal.
            let staff = try await WebPageTests.get(client, c.dana, joint)
            #expect(staff.status == .seeOther && staff.location == "/portal/sign-in")
            var crossed = c.alex
            crossed.csrf = c.dana.csrf
            let crossedWrite = try await Pages.send(client, &crossed, joint + "/share", [("share", "off")])
            #expect(crossedWrite.status == .forbidden)
            bodies.append(crossedWrite.html)
            for body in bodies { #expect(!body.contains("JO-PRIVATE-SENTINEL")) }

            // Alex stops sharing and shares again while the counselor has not read it.
            let unshared = try await Pages.send(client, &c.alex, joint + "/share", [])
            #expect(unshared.location == "\(joint)?done=unshared")
            let joUnshared = try await Pages.open(client, &c.jo, joint)
            #expect(!joUnshared.html.contains("ALEX-SHARED-SENTINEL"))
            _ = try await Pages.send(client, &c.alex, joint + "/share", [("share", "on")])

            // The counselor's chart shows both answers, marked, and marks them read.
            let chart = try await Pages.open(client, &c.dana, c.chartPath)
            #expect(chart.html.contains("ALEX-SHARED-SENTINEL") && chart.html.contains("JO-PRIVATE-SENTINEL"))
            #expect(chart.html.contains("shared with partner") && chart.html.contains("private"))
            let read = try await fixture.owner.query(
                """
                SELECT count(*) FROM homework_responses
                WHERE assignment_id = \(c.joint) AND counselor_read_at IS NOT NULL
                """
            )[0].decode(0, as: Int.self)
            #expect(read == 2)

            // From now on Alex's answer and its sharing are final; a change is refused and keeps the text.
            let final = try await Pages.open(client, &c.alex, joint)
            #expect(final.html.contains("so it and who can read it are final") && !final.html.contains(#"id="text""#))
            let refused = try await Pages.send(client, &c.alex, joint + "/share", [])
            #expect(refused.status == .conflict && refused.html.contains("already read your answer"))
            #expect(try await Pages.open(client, &c.jo, joint).html.contains("ALEX-SHARED-SENTINEL"))
            let late = try await Pages.send(
                client,
                &c.alex,
                joint,
                [("draft", draft), ("version", "0"), ("text", "LATE-CHANGE"), ("action", "save")]
            )
            #expect(late.status == .conflict && late.html.contains("LATE-CHANGE"))
            #expect(!late.html.contains("JO-PRIVATE-SENTINEL"))
            #expect(!fixture.logs.entries.contains { $0.fullText.contains("SENTINEL") })
        }
    }

    @Test func safetyModeSwitchesSharingOffAndLinksThePracticesSafetyPage() async throws {
        try await HTTPFixture.with { fixture, client in
            var c = try await Self.couple(fixture, client)
            let joint = Self.path(c.joint)
            let page = try await Pages.open(client, &c.alex, joint)
            #expect(!page.html.contains("/portal/safety"))
            let draft = try Self.field("draft", in: page.html)
            _ = try await Pages.send(
                client,
                &c.alex,
                joint,
                [
                    ("draft", draft), ("version", "0"), ("text", "SHARED-BEFORE-FLAG"), ("share", "on"),
                    ("action", "submit"),
                ]
            )
            #expect(try await Pages.open(client, &c.jo, joint).html.contains("SHARED-BEFORE-FLAG"))

            // The counselor records high risk on the couple: the portal is in safety mode.
            _ = try await NoteService(pool: fixture.app, keys: fixture.keys).writeDraft(
                .init(
                    stage: 1,
                    step: 2,
                    changeEvents: [.cycleDeescalated],
                    riskLevel: .high,
                    riskDetail: "Fictional risk.",
                    body: "Fictional note."
                ),
                session: fixture.danaSession,
                actor: fixture.dana
            )
            let home = try await Pages.open(client, &c.alex, "/portal")
            #expect(home.html.contains(#"href="/portal/safety""#) && home.html.contains("Paused for now"))
            let safePage = try await Pages.open(client, &c.alex, joint)
            #expect(safePage.html.contains(#"href="/portal/safety""#))
            #expect(safePage.html.contains(#"name="share" value="on" disabled aria-describedby="share-off""#))
            #expect(safePage.html.contains("Sharing is switched off in your portal for now"))
            #expect(safePage.html.contains(PortalAnswerView.counselorOnly))
            // Jo no longer sees what Alex shared; the page says the same as with nothing shared.
            let joPage = try await Pages.open(client, &c.jo, joint)
            #expect(!joPage.html.contains("SHARED-BEFORE-FLAG") && joPage.html.contains(#"href="/portal/safety""#))
            // A forged "share" past the disabled box is refused, and the text kept.
            let joDraft = try Self.field("draft", in: joPage.html)
            let forged = try await Pages.send(
                client,
                &c.jo,
                joint,
                [("draft", joDraft), ("version", "0"), ("text", "JO-KEPT-TEXT"), ("share", "on"), ("action", "save")]
            )
            #expect(forged.status == .conflict && forged.html.contains("switched off in your portal for now"))
            #expect(forged.html.contains("JO-KEPT-TEXT"))
            // Signed out in another tab: the form's text comes back, unsaved, with the portal's sign-in.
            var otherTab = c.jo
            _ = try await Pages.send(client, &c.jo, "/portal/sign-out", [])
            let late = try await Pages.send(
                client,
                &otherTab,
                joint,
                [("draft", joDraft), ("version", "0"), ("text", "WRITTEN-AFTER-SIGN-OUT"), ("action", "save")]
            )
            #expect(late.status == .unauthorized && late.html.contains("WRITTEN-AFTER-SIGN-OUT"))
            #expect(late.html.contains(#"action="/portal/sign-in""#) && late.html.contains(#"name="passphrase""#))
            #expect(
                otherTab.cookies["__Host-haven-portal"] == nil && otherTab.cookies["__Host-haven-portal-pre"] != nil
            )
            let drafts = try await fixture.owner.query("SELECT count(*) FROM portal_answer_drafts")[0].decode(
                0,
                as: Int.self
            )
            #expect(drafts == 0)
            // An address that is no id: the portal's own words.
            let nonsense = try await Pages.open(client, &c.alex, "/portal/homework/not-an-id")
            #expect(nonsense.status == .notFound && nonsense.html.contains("nothing here in your portal"))

            // The safety page: the default text until an admin writes the practice's own (audited).
            let standard = try await Pages.open(client, &c.alex, "/portal/safety")
            #expect(standard.status == .ok && standard.html.contains("This is Haven&#39;s default text"))
            _ = try await WebAdminPageTests.addStaff(fixture)
            var admin = try await WebPageTests.signIn(client, "office@harbor.example")
            let overview = try await Pages.open(client, &admin, "/admin")
            #expect(overview.html.contains("Portal safety page") && overview.html.contains("default text"))
            let tooLong = try await Pages.send(
                client,
                &admin,
                "/admin/safety-page",
                [("text", String(repeating: "x", count: 8001))]
            )
            #expect(tooLong.status == .unprocessableContent && tooLong.html.contains("longer than 8000"))
            let written = "Call <Harbor> at 555-0100 & ask for the on-call counselor."
            let set = try await Pages.send(client, &admin, "/admin/safety-page", [("text", written)])
            #expect(set.location == "/admin?done=safety-page")
            // Not an admin: refused (and audited as denied).
            let counselor = try await Pages.send(client, &c.dana, "/admin/safety-page", [("text", "mine")])
            #expect(counselor.status == .forbidden)
            let own = try await Pages.open(client, &c.alex, "/portal/safety")
            #expect(own.html.contains("Call &lt;Harbor&gt; at 555-0100 &amp; ask") && !own.html.contains("<Harbor>"))
            let entries = try await fixture.owner.query(
                """
                SELECT outcome, count(*) FROM audit_log WHERE action = 'practice.safety_page.set'
                GROUP BY outcome ORDER BY outcome
                """
            ).map { try $0.decode((String, Int).self) }
            #expect(entries.map(\.0) == ["denied", "success"])
        }
    }
}
