import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// `GET /caseload`, `POST /caseload/search` (a name never enters a URL) and the new-chart forms
    /// `POST /caseload/couples` and `POST /caseload/clients`: the same `ChartService` calls as
    /// `GET /v1/couples`, `GET /v1/clients`, `POST /v1/couples` and `POST /v1/clients`; and the chart
    /// pages the caseload links to (`addChartPages`).
    func addCaseloadPages(to web: RouterGroup<HavenRequestContext>) {
        addChartPages(to: web)
        web.get("/caseload") { request, context in
            let user = try SignedIn(request, context)
            return WebPage.html(WebTemplates.render(try await caseload(user), template: "caseload"))
        }
        web.post("/caseload/search") { request, context in
            let user = try SignedIn(request, context)
            var request = request
            let form = try await WebForm(request: &request)
            let view = try await caseload(user, query: String((form["q"] ?? "").prefix(200)))
            return WebPage.html(WebTemplates.render(view, template: "caseload"))
        }
        web.post("/caseload/couples") { request, context in
            let user = try SignedIn(request, context)
            var request = request
            let form = try await WebForm(request: &request)
            let typed = CaseloadView.CoupleForm(
                partnerA: form["partnerA"] ?? "",
                partnerB: form["partnerB"] ?? "",
                startDate: form["startDate"] ?? "",
                concerns: form["concerns"] ?? ""
            )
            do {
                guard let a = UUID(uuidString: typed.partnerA) else {
                    throw ServiceError(.invalidInput, field: "partnerA", "choose partner A")
                }
                guard let b = UUID(uuidString: typed.partnerB) else {
                    throw ServiceError(.invalidInput, field: "partnerB", "choose partner B")
                }
                let concerns = typed.concerns.trimmingCharacters(in: .whitespacesAndNewlines)
                let id = try await ChartService(pool: pool, keys: keys).createCouple(
                    partnerA: a,
                    partnerB: b,
                    startDate: try Self.date(typed.startDate, field: "startDate"),
                    presentingConcerns: concerns.isEmpty ? nil : concerns,
                    actor: user.actor
                )
                return WebPage.redirect(to: "/couples/\(id.uuidString.lowercased())")
            } catch let error as ServiceError where Self.isFormRefusal(error) {
                var view = try await caseload(user)
                var kept = typed
                kept.error = error.description
                view.keep(kept)
                return WebPage.html(WebTemplates.render(view, template: "caseload"), status: .unprocessableContent)
            }
        }
        web.post("/caseload/clients") { request, context in
            let user = try SignedIn(request, context)
            var request = request
            let form = try await WebForm(request: &request)
            var typed = CaseloadView.ClientForm(
                legalName: form["legalName"] ?? "",
                preferredName: form["preferredName"] ?? "",
                pronouns: form["pronouns"] ?? "",
                dateOfBirth: form["dateOfBirth"] ?? "",
                intakeDate: form["intakeDate"] ?? ""
            )
            func optional(_ text: String) -> String? {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.isEmpty ? nil : trimmed
            }
            do {
                let id = try await ChartService(pool: pool, keys: keys).createClient(
                    .init(
                        legalName: typed.legalName,
                        preferredName: optional(typed.preferredName),
                        pronouns: optional(typed.pronouns),
                        dateOfBirth: try optional(typed.dateOfBirth).map { try Self.date($0, field: "dateOfBirth") },
                        intakeDate: try Self.date(typed.intakeDate, field: "intakeDate")
                    ),
                    actor: user.actor
                )
                return WebPage.redirect(to: "/clients/\(id.uuidString.lowercased())")
            } catch let error as ServiceError where Self.isFormRefusal(error) {
                var view = try await caseload(user)
                typed.error = error.description
                view.client = typed
                return WebPage.html(WebTemplates.render(view, template: "caseload"), status: .unprocessableContent)
            }
        }
    }

    /// The caseload for `user`: the practice's time zone, the couples and the clients (three bounded
    /// service calls), searched by name when `query` is given.
    private func caseload(_ user: SignedIn, query: String? = nil) async throws -> CaseloadView {
        let practice = try await PracticeService(pool: pool).practice(actor: user.actor)
        let charts = ChartService(pool: pool, keys: keys)
        let couples = try await charts.listCouples(actor: user.actor)
        let clients = try await charts.listClientSummaries(actor: user.actor)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: practice.timeZone) ?? .gmt
        let today = calendar.dateComponents([.year, .month, .day], from: Date())
        return CaseloadView(
            chrome: user.chrome("Caseload", section: "/caseload"),
            couples: couples,
            clients: clients,
            timeZone: practice.timeZone,
            today: String(format: "%04d-%02d-%02d", today.year ?? 0, today.month ?? 0, today.day ?? 0),
            query: query
        )
    }
}
