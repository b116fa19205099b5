import Foundation
import Mustache
import Testing

@testable import HavenHTTP

@Suite("The web app's embedded templates and static files")
struct WebTemplateTests {
    @Test func theTemplatesAreEmbedded() {
        #expect(Set(WebTemplates.names).isSuperset(of: ["layout", "sign-in", "error", "today", "today-queue"]))
        #expect(WebStaticFiles.files["haven.css"]?.contentType == "text/css; charset=utf-8")
    }

    /// Every template parses (the library is built) and, rendered with nothing, carries no inline
    /// script or style and no event-handler attribute: the CSP would block them.
    @Test(arguments: WebTemplates.names)
    func aTemplateHasNothingInline(_ name: String) throws {
        let html = WebTemplates.render([String: String](), template: name)
        for forbidden in ["<script", "<style", "style=", "javascript:"] {
            #expect(!html.lowercased().contains(forbidden), "\(name) contains \(forbidden)")
        }
        #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "\(name) has an event handler")
    }

    @Test func theCSRFTokenBelongsToItsKeyAlone() {
        let token = CSRF.token(forKey: "session-a")
        #expect(CSRF.matches(token, key: "session-a"))
        #expect(!CSRF.matches(token, key: "session-b"))
        #expect(!CSRF.matches(nil, key: "session-a"))
        #expect(!CSRF.matches(token, key: nil))
        #expect(!token.contains("session-a"))
    }

    @Test func formsDecodeAsBrowsersEncodeThem() {
        let form = WebForm(encoded: "email=a%2Bb%40x.example&name=Ann+O%27Hara&empty=&email=second")
        #expect(form["email"] == "a+b@x.example")
        #expect(form["name"] == "Ann O'Hara")
        #expect(form["empty"] == "")
        #expect(form["missing"] == nil)
    }
}

@Suite("The web templates escape through HTMLEscape and render as before")
struct WebTemplateEscapingTests {
    /// The content-type line in front of each template leaves no trace: every template rendered with
    /// nothing is byte for byte what the same template gives without it.
    @Test(arguments: WebTemplates.names)
    func thePragmaChangesNoByte(_ name: String) throws {
        var plain = MustacheLibrary()
        for (file, text) in webTemplates where file.hasSuffix(".mustache") {
            try plain.register(WebStaticFiles.versioned(text), named: String(file.dropLast(".mustache".count)))
        }
        #expect(
            WebTemplates.render([String: String](), template: name)
                == plain.render([String: String](), withTemplate: name)
        )
    }

    @Test func aQuoteFollowedByACombiningMarkIsEscapedInAPage() {
        let mark = "\u{301}"
        let view = ["message": "\"\(mark) autofocus x=\"<b>"]
        let html = WebTemplates.render(view, template: "error")
        let raw = "\"\(mark) autofocus"
        let escaped = "<p>&quot;\(mark) autofocus x=&quot;&lt;b&gt;</p>"
        #expect(!html.contains(raw))
        #expect(html.contains(escaped))
    }
}
