import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// The counselor's side of the portal, on a chart's page ("Portal access"): invite a person of the
    /// chart by email (a link) or by a code to read out, shown once on a page of its own; revoke their
    /// access (`PortalService`); reset their one-time-code app. Behind `WebMiddleware` like every staff
    /// page.
    func addPortalAccessPages(to web: RouterGroup<HavenRequestContext>) {
        addPortalCodeAppReset(to: web)
        web.post("/couples/{id}/portal/invite") { request, context in
            try await self.portalInvite(request, context, chart: .couple(try Self.pageID("id", context)))
        }
        web.post("/clients/{id}/portal/invite") { request, context in
            try await self.portalInvite(request, context, chart: .client(try Self.pageID("id", context)))
        }
        web.post("/couples/{id}/portal/revoke") { request, context in
            try await self.portalRevoke(request, context, chart: .couple(try Self.pageID("id", context)))
        }
        web.post("/clients/{id}/portal/revoke") { request, context in
            try await self.portalRevoke(request, context, chart: .client(try Self.pageID("id", context)))
        }
    }

    private func portalRevoke(
        _ request: Request,
        _ context: HavenRequestContext,
        chart: ChartReference
    ) async throws -> Response {
        let user = try SignedIn(request, context)
        var request = request
        let form = try await WebForm(request: &request)
        let client = try Self.person(in: form)
        try await portal.revoke(client, from: chart, actor: user.actor)
        return WebPage.redirect(to: Self.chartPath(chart) + "#portal")
    }

    /// The chart's person a portal form names (`client`).
    static func person(in form: WebForm) throws -> UUID {
        guard let client = form["client"].flatMap(UUID.init(uuidString:)) else {
            throw ServiceError(.notFound, field: "client", "no such person on this chart")
        }
        return client
    }

    private func portalInvite(
        _ request: Request,
        _ context: HavenRequestContext,
        chart: ChartReference
    ) async throws -> Response {
        let user = try SignedIn(request, context)
        var request = request
        let form = try await WebForm(request: &request)
        let client = try Self.person(in: form)
        let email = form["how"] == "email" ? (form["email"] ?? "") : nil
        let invitation = try await portal.invite(client, to: chart, email: email, actor: user.actor)
        let host = request.head.authority ?? ""
        var view = PortalInvitationView(
            chrome: user.chrome("Portal invitation", section: "/caseload"),
            chartHref: Self.chartPath(chart) + "#portal"
        )
        switch invitation.handover {
        case .link(let token):
            // With mail configured the link goes to the address now, while the token is in hand, and
            // is not shown; without, the counselor passes it on.
            var delivery = PortalService.InvitationDelivery.notSent
            if let email, let base = URL(string: "https://\(host)/portal"), base.host != nil {
                delivery = try await portal.email(
                    invitation,
                    to: email,
                    client: client,
                    portal: base,
                    actor: user.actor
                )
            }
            switch delivery {
            case .sent:
                view.sent = true
            case .failed(let retryLater):
                logger.notice("a portal invitation was not emailed", metadata: ["mail.retry_later": "\(retryLater)"])
                view.failure =
                    retryLater
                    ? "the mail server did not take it just now" : "the mail server refused it (check the address)"
                view.resend = PortalResendForm(
                    action: Self.chartPath(chart) + "/portal/invite",
                    client: client,
                    email: email
                )
            case .notSent:
                view.url = "https://\(host)/portal/welcome/\(token.value)"
                view.email = email
            }
        case .code(let code):
            view.code = code
            view.codeURL = "https://\(host)/portal/welcome"
        }
        return WebPage.html(WebTemplates.render(view, template: "portal-invitation"), status: .created)
    }
}

/// The invitation, shown once (the page is `no-store`, as every page): that it was emailed, that it
/// could not be (with a button to send a new one), the link to send, or the code to read out with the
/// address where it is entered.
struct PortalInvitationView {
    var chrome: PageChrome
    var chartHref: String
    var url: String?
    var email: String?
    var code: String?
    var codeURL: String?
    /// The link was emailed to the address the counselor gave.
    var sent = false
    /// Why the link could not be emailed, in the counselor's words.
    var failure: String?
    var resend: PortalResendForm?
}

/// "Send a new invitation" after a message the mail system did not take: the chart's invite form
/// again, with the same person and address.
struct PortalResendForm {
    var action: String
    var client: String
    var email: String?

    init(action: String, client: UUID, email: String?) {
        self.action = action
        self.client = client.uuidString.lowercased()
        self.email = email
    }
}

/// One person of a chart in its "Portal access" section.
struct PortalAccessRow {
    var name: String
    var clientID: String
    var status: String
    var inviteAction: String
    var revokeAction: String
    var canRevoke: Bool
    /// The person has a one-time-code app: the counselor may reset it (a lost phone).
    var hasCodeApp: Bool
    var resetCodeAppAction: String
}

extension HavenAPI {
    /// The "Portal access" rows of a chart in the actor's reach: each person's state in words.
    func portalAccessRows(
        _ chart: ChartReference,
        record: ChartService.Record,
        actor: StaffActor
    ) async throws -> [PortalAccessRow] {
        let names = Dictionary(record.facts.partners.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let path = Self.chartPath(chart)
        return try await portal.status(of: chart, actor: actor).map { person in
            let status: String =
                switch person.state {
                case .active:
                    "has portal access" + (person.email.map { " (\($0))" } ?? "")
                        + (person.hasCodeApp ? ", signs in with a one-time-code app" : "")
                case .invited: "invited, not yet accepted"
                case .revoked: "portal access turned off"
                case .notInvited: "no portal access"
                }
            return PortalAccessRow(
                name: names[person.clientID] ?? "client",
                clientID: person.clientID.uuidString.lowercased(),
                status: status,
                inviteAction: path + "/portal/invite",
                revokeAction: path + "/portal/revoke",
                canRevoke: person.state == .active || person.state == .invited,
                hasCodeApp: person.hasCodeApp,
                resetCodeAppAction: path + "/portal/code-app/reset"
            )
        }
    }
}
