import Foundation
import HavenCore
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// The partner portal's pages (docs/portal.md, docs/web.md "The partner portal"), behind
    /// `PortalMiddleware` only: sign-in and sign-out (and the idle logoff's "stay signed in"), the
    /// invitation by link (`/portal/welcome/{token}`) or by code (`/portal/welcome`), choosing a chart,
    /// and the home page. The GETs of the welcome pages spend nothing (mail scanners fetch links); their
    /// POSTs spend the invitation.
    func addPortalPages(to router: Router<HavenRequestContext>) {
        let pages = router.group("/portal").add(middleware: PortalMiddleware(portal: portal, logger: logger))
        pages.get("") { request, context in try await self.portalHome(request, context) }
        pages.get("/sign-in") { request, context in
            if context.partner != nil { return WebPage.redirect(to: "/portal") }
            var view = PortalSignInView(linksAvailable: portal.sendsSignInLinks)
            switch request.uri.queryParameters["reason"].map(String.init) ?? "" {
            case "passphrase-set": view.notice = "Your passphrase is set. Sign in with it."
            case "chart-added": view.notice = "Your counselor's invitation is accepted. Sign in with your passphrase."
            case "signed-out": view.notice = "You are signed out."
            case "idle":
                let minutes = max(1, Int(portal.sessionPolicy.idleTimeout.components.seconds) / 60)
                view.notice =
                    "You were signed out after \(minutes) minutes without activity; any answer you were writing was saved as a draft."
            case "code-expired": view.notice = "Your sign-in waited too long for its code. Please sign in again."
            case "code-paused":
                view.notice = "Too many codes that did not match. Wait 15 minutes, then sign in again."
            default: break
            }
            return try Self.portalPage(request, context.partner, "/portal/sign-in", view, template: "portal-sign-in")
        }
        pages.post("/sign-in") { request, context in try await self.portalSignIn(request, context) }
        addPortalSignInLinkPages(to: pages)
        pages.post("/sign-out") { request, context in
            var request = request
            if let partner = context.partner { try await portal.signOut(partner.actor) }
            let idle = try await WebForm(request: &request)["reason"] == "idle"
            var response = WebPage.redirect(to: "/portal/sign-in?reason=" + (idle ? "idle" : "signed-out"))
            response.setCookie(WebSession.expired(named: PortalSession.cookieName))
            return response
        }
        // "Stay signed in" (haven.js, docs/web.md "Idle logoff"): the middleware's opening of the partner's
        // context already restarted the session's idle clock; an ended session is sent to sign in.
        pages.post("/session/keepalive") { _, context in
            guard context.partner != nil else { throw ServiceError.sessionExpired }
            return Response(status: .noContent)
        }
        pages.post("/chart") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            var request = request
            let form = try await WebForm(request: &request)
            guard let id = form["id"].flatMap(UUID.init(uuidString:)) else {
                throw ServiceError(.notFound, field: "chart", "no such chart open to you")
            }
            try await portal.choose(form["kind"] == "client" ? .client(id) : .couple(id), actor: partner.actor)
            return WebPage.redirect(to: "/portal")
        }
        addPortalSettingsPages(to: pages)
        addPortalCodeAppPages(to: pages)
        pages.get("/welcome") { request, context in
            try Self.portalPage(
                request,
                context.partner,
                "/portal/welcome",
                PortalWelcomeView(byCode: true),
                template: "portal-welcome"
            )
        }
        pages.post("/welcome") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            return try await self.portalAccept(request, context, form, key: .code(form["code"] ?? ""), byCode: true)
        }
        pages.get("/welcome/{token}") { request, context in
            let token = SessionToken(value: context.parameters.get("token") ?? "")
            guard
                let page = try await portal.invitation(
                    .link(token),
                    source: context.source,
                    requestID: context.requestID
                )
            else { return try Self.portalDeadInvitation() }
            var view = PortalWelcomeView(byCode: false)
            view.token = token.value
            view.take(page)
            return try Self.portalPage(request, context.partner, "/portal/welcome/x", view, template: "portal-welcome")
        }
        pages.post("/welcome/{token}") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            let token = SessionToken(value: context.parameters.get("token") ?? "")
            return try await self.portalAccept(request, context, form, key: .link(token), byCode: false)
        }
        pages.get("/safety") { request, context in
            guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
            let view = PortalSafetyView(text: try await portal.safetyPage(partner.actor))
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/safety",
                view,
                template: "portal-safety",
                safety: partner.context.safetyMode
            )
        }
        addPortalAnswerPages(to: pages)
        addPortalMeasurePages(to: pages)
    }

    /// A portal page rendered with its CSRF token (the pre-session cookie set when the page needs one)
    /// and, for a signed-in `partner` (`context.partner`; a sign-in waiting for its code is none), the
    /// idle logoff (`PageChrome.portal`); `safety`: the partner's chart is in safety mode, and the page
    /// links the safety page.
    static func portalPage<View: PortalView>(
        _ request: Request,
        _ partner: SignedInPartner?,
        _ path: String,
        _ view: View,
        template: String,
        status: HTTPResponse.Status = .ok,
        safety: Bool = false
    ) throws -> Response {
        var view = view
        view.chrome.portalSafety = safety
        guard PortalSession.isPreSessionPath(path) else {
            if let partner { view.chrome.portal(partner) }
            view.chrome.csrf = PortalSession.token(in: request).map { CSRF.token(forKey: $0.value) } ?? ""
            return WebPage.html(WebTemplates.render(view, template: template), status: status)
        }
        return try WebSession.preSessionPage(
            for: request,
            status: status,
            cookie: PortalSession.preSessionCookieName,
            render: { csrf in
                var view = view
                view.chrome.csrf = csrf
                return WebTemplates.render(view, template: template)
            }
        )
    }

    /// One page for every invitation that does not work (unknown, spent, replaced, expired, closed).
    static func portalDeadInvitation() throws -> Response {
        var view = PortalWelcomeView(byCode: false)
        view.deadLink = true
        return WebPage.html(WebTemplates.render(view, template: "portal-welcome"), status: .notFound)
    }

    func portalAccept(
        _ request: Request,
        _ context: HavenRequestContext,
        _ form: WebForm,
        key: InvitationKey,
        byCode: Bool
    ) async throws -> Response {
        let path = byCode ? "/portal/welcome" : "/portal/welcome/x"
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        var view = PortalWelcomeView(byCode: byCode)
        if case .link(let token) = key { view.token = token.value }
        // A code is short: guesses are paused per address as failed sign-ins are (the account key is the
        // address too, so wrong codes from one address never pause anyone else's).
        let codeKey = "invitation-code:" + address
        if byCode, portalThrottle.wait(email: codeKey, address: address) != nil {
            view.error = "Too many codes that did not work. Wait a few minutes, then try again."
            return try Self.portalPage(
                request,
                context.partner,
                path,
                view,
                template: "portal-welcome",
                status: .tooManyRequests
            )
        }
        guard let page = try await portal.invitation(key, source: context.source, requestID: context.requestID) else {
            if byCode {
                portalThrottle.failed(email: codeKey, address: address)
                view.error = "That code does not work: check it, or ask your counselor for a new one."
                return try Self.portalPage(
                    request,
                    context.partner,
                    path,
                    view,
                    template: "portal-welcome",
                    status: .notFound
                )
            }
            return try Self.portalDeadInvitation()
        }
        view.take(page)
        view.code = byCode ? String((form["code"] ?? "").prefix(20)) : ""
        let passphrase = form["passphrase"] ?? ""
        if !page.hasPassphrase, passphrase != form["confirm"] {
            view.error = "The two passphrases differ. Type the same passphrase twice."
            return try Self.portalPage(
                request,
                context.partner,
                path,
                view,
                template: "portal-welcome",
                status: .unprocessableContent
            )
        }
        let accepted: PortalService.Accepted
        do {
            accepted = try await portal.accept(
                key,
                email: form["email"],
                passphrase: page.hasPassphrase ? nil : passphrase,
                source: context.source,
                requestID: context.requestID
            )
        } catch let error as ServiceError where error.field == "passphrase" || error.field == "email" {
            view.error = (error.field == "email" ? "The email address " : "The passphrase ") + error.message + "."
            return try Self.portalPage(
                request,
                context.partner,
                path,
                view,
                template: "portal-welcome",
                status: .unprocessableContent
            )
        } catch let error as ServiceError where error.field == "invitation" {
            return try Self.portalDeadInvitation()
        }
        return WebPage.redirect(
            to: "/portal/sign-in?reason=" + (accepted == .passphraseSet ? "passphrase-set" : "chart-added")
        )
    }

    func portalSignIn(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        var request = request
        let form = try await WebForm(request: &request)
        let email = form["email"] ?? ""
        var view = PortalSignInView(linksAvailable: portal.sendsSignInLinks)
        view.email = String(email.prefix(320))
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if portalThrottle.wait(email: email, address: address) != nil {
            view.error = "Too many failed attempts. Wait a few minutes, then try again."
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/sign-in",
                view,
                template: "portal-sign-in",
                status: .tooManyRequests
            )
        }
        let signIn: PortalService.SignIn
        do {
            guard email.count <= 320, (form["passphrase"] ?? "").count <= 1024 else {
                throw ServiceError(.unauthenticated, "too long")
            }
            signIn = try await portal.signIn(
                email: email,
                passphrase: form["passphrase"] ?? "",
                source: context.source,
                requestID: context.requestID
            )
        } catch let error as ServiceError where error.kind == .unauthenticated {
            portalThrottle.failed(email: email, address: address)
            view.error =
                error.reason == "sign-in-paused"
                ? "Too many failed attempts. Wait a few minutes, then try again."
                : "Wrong email or passphrase, or the portal is closed for this account."
            return try Self.portalPage(
                request,
                context.partner,
                "/portal/sign-in",
                view,
                template: "portal-sign-in",
                status: .unauthorized
            )
        }
        portalThrottle.succeeded(email: email)
        return Self.portalSignedIn(signIn)
    }

    func portalHome(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        guard let partner = context.partner else { return WebPage.redirect(to: "/portal/sign-in") }
        let home = try await portal.home(partner.actor)
        var view = PortalHomeView(practiceName: home.practiceName)
        if home.chart == nil {
            view.charts = try await portal.charts(partner.actor).map {
                PortalHomeView.ChartChoice(
                    kind: $0.kind,
                    id: $0.id.uuidString.lowercased(),
                    label: $0.kind == "couple" ? "Couple counseling" : "Individual counseling"
                )
            }
        } else {
            view.chosen = true
            view.assignments = home.assignments.filter { $0.seriesID == nil }.map(PortalHomeView.Item.init)
            view.series = home.series.map { series in
                PortalHomeView.SeriesItem(series, steps: home.assignments.filter { $0.seriesID == series.id })
            }
            view.nextAppointment = home.nextAppointment.map(Self.appointmentText)
            view.measures = home.measures.map(PortalMeasuresView.due)
        }
        return try Self.portalPage(
            request,
            context.partner,
            "/portal",
            view,
            template: "portal-home",
            safety: home.safetyMode
        )
    }

    /// "Tuesday, 15 December 2026 at 10:00 (50 minutes)" in the practice's time zone: date and time only.
    static func appointmentText(_ appointment: PortalService.Home.Appointment) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: appointment.timeZone) ?? TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEEE, d MMMM yyyy 'at' HH:mm"
        return formatter.string(from: appointment.start) + " (\(appointment.durationMinutes) minutes)"
    }
}

/// What every portal view has: the chrome (title and CSRF token; never the staff navigation).
protocol PortalView {
    var chrome: PageChrome { get set }
}

struct PortalSignInView: PortalView {
    var chrome = PageChrome.signedOut(title: "Sign in to your portal")
    /// The page asks the address for a sign-in link first (mail is configured), the passphrase below.
    var linksAvailable: Bool
    var email = ""
    var error: String?
    var notice: String?

    init(linksAvailable: Bool) {
        self.linksAvailable = linksAvailable
    }
}

struct PortalWelcomeView: PortalView {
    var chrome = PageChrome.signedOut(title: "Your counselor's invitation")
    /// The invitation came as a code to type (otherwise as a link).
    var byCode: Bool
    var token = ""
    var code = ""
    /// The practice's name, once the invitation is known (a code not yet checked has none).
    var practiceName: String?
    /// The sign-in address, when the invitation carries one; otherwise the form asks for it.
    var email: String?
    var hasPassphrase = false
    var error: String?
    var deadLink = false
    var minimumLength = StaffService.minimumPasswordLength

    /// The form asks for an address (a code not checked yet, or an invitation without an address) and
    /// a passphrase (the account has none yet). Stored: templates read stored properties only.
    var asksEmail = true
    var asksPassphrase = true

    init(byCode: Bool) {
        self.byCode = byCode
    }

    mutating func take(_ page: PortalService.InvitationPage) {
        practiceName = page.practiceName
        email = page.email
        hasPassphrase = page.hasPassphrase
        asksEmail = page.email == nil && !page.hasPassphrase
        asksPassphrase = !page.hasPassphrase
    }
}

struct PortalHomeView: PortalView {
    struct ChartChoice {
        var kind: String
        var id: String
        var label: String
    }

    struct Item {
        var title: String
        var instructions: String
        var due: String
        var forBoth: Bool
        /// A joint exercise while the chart is in safety mode (`PortalService.Home.Assignment.paused`).
        var paused: Bool
        /// Its answer page (`/portal/homework/{id}`).
        var href: String
        /// For a series step: "done", "current" or "open" (released, not answered, not the latest).
        var state = ""

        init(_ assignment: PortalService.Home.Assignment) {
            title = assignment.title
            instructions = assignment.instructions
            due = assignment.dueOn.description
            forBoth = assignment.joint
            paused = assignment.paused
            href = "/portal/homework/\(HavenAPI.text(assignment.id))"
        }
    }

    /// A series as one item: its released steps (each answered on its own page) and how many are done
    /// and still to come; never an upcoming step's prompt.
    struct SeriesItem {
        var title: String
        var progress: String
        var steps: [Item]
        var upcoming: String?

        init(_ series: PortalService.Home.Series, steps released: [PortalService.Home.Assignment]) {
            let ordered = released.sorted { ($0.seriesPosition ?? 0) < ($1.seriesPosition ?? 0) }
            let latest = ordered.last?.id
            title = series.title
            steps = ordered.map { step in
                var item = Item(step)
                item.title = "Step \(step.seriesPosition ?? 0): \(step.title)"
                item.state = step.answered ? "done" : step.id == latest ? "current" : "open"
                return item
            }
            let done = ordered.filter(\.answered).count
            progress = "\(done) of \(series.steps) steps done"
            switch series.upcoming {
            case 0: upcoming = nil
            case 1: upcoming = "1 more step opens later."
            case let count: upcoming = "\(count) more steps open later, one at a time."
            }
        }
    }

    var chrome = PageChrome.signedOut(title: "Your portal")
    var practiceName: String
    var chosen = false
    var charts: [ChartChoice] = []
    var assignments: [Item] = []
    var series: [SeriesItem] = []
    var nextAppointment: String?
    /// The questionnaires due from the partner (`/portal/measures/{id}`).
    var measures: [PortalMeasuresView.Due] = []

    init(practiceName: String) {
        self.practiceName = practiceName
    }
}

/// `GET /portal/safety`: the practice's safety page, as plain text.
struct PortalSafetyView: PortalView {
    var chrome = PageChrome.signedOut(title: "Safety help")
    var text: String
}
