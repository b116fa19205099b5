import Foundation
import Hummingbird

/// What a person wrote in a form Haven could not act on, shown back to them to copy and never stored:
/// the answer to a form whose session has ended (signed out in another tab, the idle timeout, the
/// server's sessions ended) or whose CSRF token belongs to an earlier session (signed in again in
/// another tab). Without it the browser's Back button would be all that kept a note's text.
///
/// Echoing the form is safe: it happens only after the same-origin check (a cross-site form is
/// refused before, and shows nothing), it changes nothing, and the text goes back, escaped, to the
/// browser that just sent it.
enum KeptText {
    /// The forms' free-text fields (every `<textarea>` of the templates; a test checks that none is
    /// missing) and how the page names them. Short fields (names, dates, choices) are not kept: they
    /// are quick to type again.
    static let fields: [(name: String, label: String)] = [
        ("body", "Your text"),
        ("text", "Your text"),
        ("riskDetail", "Your risk detail"),
        ("reason", "Your reason"),
        ("riskOverrideReason", "Your override reason"),
        ("summary", "Your summary"),
        ("concerns", "Presenting concerns"),
    ]

    /// The free text written in `form`, in the order of `fields`, empty fields left out.
    static func written(in form: WebForm) -> [KeptTextView.Field] {
        fields.compactMap { field in
            guard let text = form[field.name], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            else { return nil }
            return KeptTextView.Field(id: "kept-\(field.name)", label: field.label, text: text)
        }
    }

    /// The page for a form that arrived after its session ended (`401`): the text to copy and a sign-in
    /// form that opens in a new tab, so the text stays on screen. The dead session cookie is dropped.
    /// `portal`: a partner's form, answered with the portal's sign-in and cookies (never the staff ones).
    static func signedOutPage(
        _ request: Request,
        written: [KeptTextView.Field],
        portal: Bool = false
    ) throws
        -> Response
    {
        let preSessionName = portal ? PortalSession.preSessionCookieName : WebSession.preSessionCookieName
        let existing = WebSession.preSession(in: request, cookie: preSessionName)
        let preSession = try existing ?? WebSession.newPreSession()
        let view = KeptTextView(
            chrome: .signedOut(title: "Signed out", csrf: CSRF.token(forKey: preSession)),
            heading: "You were signed out",
            message: "Your session ended before this form arrived, so Haven did not save it.",
            advice: "Copy your text, sign in, open the page again and paste it.",
            fields: written,
            signIn: portal ? .portal : .staff
        )
        var response = WebPage.html(WebTemplates.render(view, template: "kept-text"), status: .unauthorized)
        if existing == nil {
            response.setCookie(WebSession.cookie(named: preSessionName, value: preSession))
        }
        response.setCookie(WebSession.expired(named: portal ? PortalSession.cookieName : WebSession.cookieName))
        return response
    }

    /// The page for a form whose token belongs to another, ended session while this browser is signed
    /// in again (`403`): nothing was done; the text to copy into the form reloaded.
    static func expiredFormPage(written: [KeptTextView.Field]) -> Response {
        let view = KeptTextView(
            chrome: .signedOut(title: "This form has expired"),
            heading: "This form has expired",
            message: "Haven did not act on it: the form belongs to a session that has ended.",
            advice: "Copy your text, go back, reload the page and paste it.",
            fields: written,
            signIn: nil
        )
        return WebPage.html(WebTemplates.render(view, template: "kept-text"), status: .forbidden)
    }
}
