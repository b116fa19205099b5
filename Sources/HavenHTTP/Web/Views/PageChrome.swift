import Foundation
import HavenService

/// What the layout shows around every page's body: the title, the form token, and for a signed-in
/// staff member who they are, the main navigation their roles open, the idle timeout `haven.js`
/// counts down, and a banner for each open break-glass grant. Every view struct carries one as
/// `chrome`; templates read `{{chrome.csrf}}` in their forms.
struct PageChrome {
    var title: String
    /// The CSRF token every form on the page carries (docs/web.md, "CSRF").
    var csrf: String
    var signedIn: Bool
    var nav: [NavLink] = []
    /// The signed-in staff member's name, for the bar.
    var userName = ""
    /// The server's idle timeout in seconds (`<body data-idle-seconds>`), as text; empty when signed out.
    /// Non-empty, the layout loads `haven.js` with the form token (the idle logoff).
    var idleSeconds = ""
    /// Where `haven.js` keeps the session alive and signs out, for a page whose session is not the
    /// staff one (the portal); nil: the script's own defaults, the staff paths.
    var idlePaths: IdlePaths?
    /// One banner per open break-glass grant.
    var breakGlass: [BreakGlassBanner] = []
    /// A portal page while the partner's chart is in safety mode: the layout links the safety page.
    var portalSafety = false

    /// The idle logoff's addresses on `<body>` (`data-idle-keepalive`, `data-idle-sign-out`,
    /// `data-idle-signed-out`): one script serves the staff pages and the portal.
    struct IdlePaths {
        var keepalive: String
        var signOut: String
        /// Where the browser lands after the idle sign-out (the sign-in page saying why).
        var signedOut: String

        /// The partner portal's.
        static let portal = IdlePaths(
            keepalive: "/portal/session/keepalive",
            signOut: "/portal/sign-out",
            signedOut: "/portal/sign-in?reason=idle"
        )
    }

    /// One link of the main navigation; `current` marks the page's own section (`aria-current`).
    struct NavLink {
        var label: String
        var href: String
        var current: Bool
    }

    /// An open break-glass grant: which chart (a link by id), how long it still runs, and the form
    /// that closes it.
    struct BreakGlassBanner {
        var chartLabel: String
        var chartHref: String
        var remaining: String
        var closeAction: String
    }

    /// The sections of the app, in navigation order, and the roles that open each. One list: the
    /// navigation shows a section only to the roles whose services would answer it. (Caseload,
    /// Calendar, Homework, Co-sign and Admin join as their pages land; docs/web.md.)
    static let sections: [(label: String, href: String, roles: Set<StaffActor.Role>)] = [
        ("Today", "/today", [.counselor, .supervisor]),
        ("Caseload", "/caseload", [.counselor, .supervisor]),
        ("Calendar", "/calendar", [.counselor, .supervisor, .scheduler]),
        ("Homework", "/homework", [.counselor, .supervisor]),
        ("Co-sign", "/cosign", [.supervisor]),
        ("Admin", "/admin", [.admin]),
    ]

    /// Where a staff member lands after signing in (and at `/`): the first section their roles open —
    /// the day for clinicians, the calendar for the front desk, the admin pages for an admin.
    static func home(for actor: StaffActor) -> String {
        sections.first { !$0.roles.isDisjoint(with: actor.roles) }?.href ?? "/today"
    }

    /// The layout's idle logoff is on: a signed-in page (staff, or a partner on the portal).
    var idle: Bool { !idleSeconds.isEmpty }

    /// The chrome of a portal page for `partner` (signed in; never a sign-in waiting for its code):
    /// the idle logoff with the portal's addresses. No staff navigation: `signedIn` stays false.
    mutating func portal(_ partner: SignedInPartner) {
        idleSeconds = String(partner.idleSeconds)
        idlePaths = .portal
    }

    /// A page before sign-in (or an error page for a signed-out browser).
    static func signedOut(title: String, csrf: String = "") -> PageChrome {
        PageChrome(title: title, csrf: csrf, signedIn: false)
    }

    /// A page for a signed-in staff member; `section` is the `href` of the section it belongs to.
    init(
        title: String,
        actor: StaffActor,
        csrf: String,
        section: String,
        session: WebSessionFacts = WebSessionFacts(),
        now: Date = Date()
    ) {
        self.title = title
        self.csrf = csrf
        self.signedIn = true
        self.nav =
            actor.totpEnrollmentDue
            ? []
            : Self.sections.filter { !$0.roles.isDisjoint(with: actor.roles) }.map {
                NavLink(label: $0.label, href: $0.href, current: $0.href == section)
            }
        self.userName = session.name
        self.idleSeconds = String(session.idleSeconds)
        self.breakGlass = session.grants.map { grant in
            let minutes = max(1, Int((grant.expiresAt.timeIntervalSince(now) / 60).rounded(.up)))
            let id = grant.chart.id.uuidString.lowercased()
            return BreakGlassBanner(
                chartLabel: grant.chart.kind == "couple" ? "a couple's chart" : "a client's chart",
                chartHref: grant.chart.kind == "couple" ? "/couples/\(id)" : "/clients/\(id)",
                remaining: minutes == 1 ? "1 more minute" : "\(minutes) more minutes",
                closeAction: "/break-glass/\(grant.id.uuidString.lowercased())/close"
            )
        }
    }

    private init(title: String, csrf: String, signedIn: Bool) {
        self.title = title
        self.csrf = csrf
        self.signedIn = signedIn
    }
}
