import Foundation
import HavenService

/// What the layout shows around every page's body: the title, the form token, and for a signed-in
/// staff member the main navigation their roles open. Every view struct carries one as `chrome`;
/// templates read `{{chrome.csrf}}` in their forms.
struct PageChrome {
    var title: String
    /// The CSRF token every form on the page carries (docs/web.md, "CSRF").
    var csrf: String
    var signedIn: Bool
    var nav: [NavLink] = []

    /// One link of the main navigation; `current` marks the page's own section (`aria-current`).
    struct NavLink {
        var label: String
        var href: String
        var current: Bool
    }

    /// The sections of the app, in navigation order, and the roles that open each. One list: the
    /// navigation shows a section only to the roles whose services would answer it. (Caseload,
    /// Calendar, Homework, Co-sign and Admin join as their pages land; docs/web.md.)
    static let sections: [(label: String, href: String, roles: Set<StaffActor.Role>)] = [
        ("Today", "/today", [.counselor, .supervisor]),
        ("Caseload", "/caseload", [.counselor, .supervisor]),
        ("Calendar", "/calendar", [.counselor, .supervisor, .scheduler]),
        ("Co-sign", "/cosign", [.supervisor]),
        ("Admin", "/admin", [.admin]),
    ]

    /// A page before sign-in (or an error page for a signed-out browser).
    static func signedOut(title: String, csrf: String = "") -> PageChrome {
        PageChrome(title: title, csrf: csrf, signedIn: false)
    }

    /// A page for a signed-in staff member; `section` is the `href` of the section it belongs to.
    init(title: String, actor: StaffActor, csrf: String, section: String) {
        self.title = title
        self.csrf = csrf
        self.signedIn = true
        self.nav = Self.sections.filter { !$0.roles.isDisjoint(with: actor.roles) }.map {
            NavLink(label: $0.label, href: $0.href, current: $0.href == section)
        }
    }

    private init(title: String, csrf: String, signedIn: Bool) {
        self.title = title
        self.csrf = csrf
        self.signedIn = signedIn
    }
}
