import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HavenHTTP

@Suite("Text written in a form Haven could not act on comes back to copy", .needsTestDatabase)
struct WebKeptTextTests {
    static let words = "Fictional <b>unsent</b> words"

    /// Signs Dana in, then out "in another tab": the returned browser is the first tab, which still has
    /// its form (and the form's token) but, like the real browser, no longer the cookie.
    static func signedOutElsewhere(_ client: any TestClientProtocol) async throws -> WebPageTests.Browser {
        var tab = try await WebPageTests.signIn(client, "dana@harbor.example")
        let out = try await WebPageTests.post(client, tab, "/sign-out", [])
        #expect(out.status == .seeOther)
        tab.cookies["__Host-haven-session"] = nil
        return tab
    }

    @Test func aNoteSentAfterSigningOutInAnotherTabComesBackAndNothingIsStored() async throws {
        try await HTTPFixture.with { fixture, client in
            let tab = try await Self.signedOutElsewhere(client)
            let page = "/sessions/\(WebNotePageTests.text(fixture.danaSession))/note"
            let answer = try await WebPageTests.post(client, tab, page, WebNotePageTests.noteFields(Self.words))
            #expect(answer.status == .unauthorized)
            #expect(answer.html.contains("Fictional &lt;b&gt;unsent&lt;/b&gt; words"))
            #expect(answer.html.contains("Fictional risk detail"))
            #expect(answer.html.contains("You were signed out"))
            #expect(answer.html.contains(#"action="/sign-in""#))
            WebPageTests.expectNothingInline(answer.html)
            #expect(try await WebNotePageTests.notes(fixture, .couple(fixture.danaCouple), fixture.dana).isEmpty)
        }
    }

    @Test func anOldFormSentAfterSigningInAgainIsRefusedWithItsTextAndChangesNothing() async throws {
        try await HTTPFixture.with { fixture, client in
            let oldTab = try await Self.signedOutElsewhere(client)
            var newTab = try await WebPageTests.signIn(client, "dana@harbor.example")
            newTab.csrf = oldTab.csrf
            let page = "/sessions/\(WebNotePageTests.text(fixture.danaSession))/note"
            let answer = try await WebPageTests.post(client, newTab, page, WebNotePageTests.noteFields(Self.words))
            #expect(answer.status == .forbidden)
            #expect(answer.html.contains("This form has expired"))
            #expect(answer.html.contains("Fictional &lt;b&gt;unsent&lt;/b&gt; words"))
            #expect(!answer.html.contains(#"action="/sign-in""#))
            #expect(try await WebNotePageTests.notes(fixture, .couple(fixture.danaCouple), fixture.dana).isEmpty)
            // The new session was not touched by the refusal.
            let today = try await WebPageTests.get(client, newTab, "/today")
            #expect(today.status == .ok)
        }
    }

    @Test func aFormWithoutWrittenTextKeepsThePlainRefusalAndACrossSiteFormShowsNothingBack() async throws {
        try await HTTPFixture.with { fixture, client in
            let tab = try await Self.signedOutElsewhere(client)
            let page = "/sessions/\(WebNotePageTests.text(fixture.danaSession))/note"
            let bare = try await WebPageTests.post(client, tab, page, [("stage", "1")])
            #expect(bare.status == .forbidden)
            #expect(bare.html.contains("This form has expired"))
            let crossSite = try await client.execute(
                uri: page,
                method: .post,
                headers: WebPageTests.formHeaders(tab, extra: [.secFetchSiteTest: "cross-site"]),
                body: WebPageTests.form([("csrf", tab.csrf)] + WebNotePageTests.noteFields(Self.words))
            ) { response in (response.status, String(buffer: response.body)) }
            #expect(crossSite.0 == .forbidden)
            #expect(!crossSite.1.contains("unsent"))
            // The autosave script's request keeps its own JSON answer.
            let script = try await client.execute(
                uri: "\(page)/autosave",
                method: .post,
                headers: WebPageTests.formHeaders(tab, extra: [.accept: "application/json"]),
                body: WebPageTests.form([("csrf", tab.csrf)] + WebNotePageTests.noteFields(Self.words))
            ) { response in (response.status, String(buffer: response.body)) }
            #expect(script.0 == .forbidden)
            #expect(!script.1.contains("unsent"))
        }
    }

    /// Every `<textarea>` of every template is a field `KeptText` shows back, so no new form can lose
    /// its text to an ended session unnoticed.
    @Test func everyTextAreaOfEveryTemplateIsKept() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/HavenHTTP/Web/Templates").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".mustache")
        }
        #expect(files.count > 10)
        let kept = Set(KeptText.fields.map(\.name))
        var seen = 0
        for file in files {
            let html = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for match in html.matches(of: #/<textarea[^>]*\bname="([^"]+)"/#) {
                seen += 1
                #expect(kept.contains(String(match.1)), "\(file): textarea \(match.1) is not in KeptText.fields")
            }
        }
        #expect(seen >= 7)
    }
}
