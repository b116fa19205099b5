import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// Recording a CSI for a partner item by item (`/couples/{id}/measures/new?form=CSI-4`) and the
    /// result with its trend (`/couples/{id}/measures?partner={id}&form=CSI-4`), on the `MeasureService`
    /// calls of `POST /v1/clients/{id}/measures` and `GET /v1/clients/{id}/measures/{code}`.
    func addMeasurePages(to web: RouterGroup<HavenRequestContext>) {
        let measures = MeasureService(pool: pool, keys: keys)
        web.get("/couples/{id}/measures/new") { request, context in
            let user = try SignedIn(request, context)
            let form =
                request.uri.queryParameters.get("form").flatMap { CouplesSatisfactionIndex(rawValue: String($0)) }
                ?? .csi4
            return try await self.measureFormPage(
                user,
                couple: try Self.pageID("id", context),
                typed: .init(form: form)
            )
        }
        web.post("/couples/{id}/measures/new") { request, context in
            let user = try SignedIn(request, context)
            let coupleID = try Self.pageID("id", context)
            var request = request
            let fields = try await WebForm(request: &request)
            let form = fields["form"].flatMap(CouplesSatisfactionIndex.init(rawValue:)) ?? .csi4
            let typed = MeasureFormView.Typed(
                form: form,
                partner: fields["partner"] ?? "",
                administeredOn: fields["administeredOn"] ?? "",
                items: (1...form.itemCount).map { fields["item\($0)"] ?? "" }
            )
            do {
                let couple = try await ChartService(pool: pool, keys: keys).couple(coupleID, actor: user.actor)
                guard let partner = UUID(uuidString: typed.partner),
                    [couple.partnerA, couple.partnerB].contains(partner)
                else { throw ServiceError(.invalidInput, field: "partner", "choose one of the couple's partners") }
                guard let date = CalendarDate(iso8601: typed.administeredOn) else {
                    throw ServiceError(.invalidInput, field: "administeredOn", "is a date: YYYY-MM-DD")
                }
                let items = try MeasureFormView.answers(typed.items)
                _ = try await measures.record(
                    measure: try await measures.definitionID(code: form.rawValue, actor: user.actor),
                    client: partner,
                    administeredOn: date,
                    items: items,
                    actor: user.actor
                )
                return WebPage.redirect(
                    to: Self.chartPath(.couple(coupleID))
                        + "/measures?partner=\(Self.text(partner))&form=\(form.rawValue)&recorded=1"
                )
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                var typed = typed
                typed.error = error.description
                return try await self.measureFormPage(
                    user,
                    couple: coupleID,
                    typed: typed,
                    status: .unprocessableContent
                )
            }
        }
        web.post("/couples/{id}/measures/schedules") { request, context in
            let user = try SignedIn(request, context)
            let coupleID = try Self.pageID("id", context)
            var request = request
            let fields = try await WebForm(request: &request)
            var typed = PortalMeasuresSection.Typed(
                form: fields["form"] ?? "",
                partner: fields["partner"] ?? "",
                cadence: fields["cadence"] ?? "",
                showTrend: fields["showTrend"] == "on"
            )
            do {
                let csi = CouplesSatisfactionIndex(rawValue: typed.form)
                let practice =
                    typed.form.hasPrefix("practice:") ? UUID(uuidString: String(typed.form.dropFirst(9))) : nil
                if csi == nil, practice == nil {
                    throw ServiceError(.invalidInput, field: "form", "choose one of the questionnaires")
                }
                let partner: UUID? = typed.partner == "both" ? nil : UUID(uuidString: typed.partner)
                if partner == nil, typed.partner != "both" {
                    throw ServiceError(.invalidInput, field: "partner", "choose one of the couple's partners")
                }
                guard let cadence = MeasureService.Cadence(rawValue: typed.cadence) else {
                    throw ServiceError(.invalidInput, field: "cadence", "choose when the questionnaire is asked")
                }
                if let csi {
                    _ = try await measures.schedule(
                        csi,
                        couple: coupleID,
                        partner: partner,
                        cadence: cadence,
                        showTrend: typed.showTrend,
                        actor: user.actor
                    )
                } else if let practice {
                    _ = try await measures.schedule(
                        practiceMeasure: practice,
                        couple: coupleID,
                        partner: partner,
                        cadence: cadence,
                        showTrend: typed.showTrend,
                        actor: user.actor
                    )
                }
            } catch let error as ServiceError where error.kind == .invalidInput {
                // The chart again, the form as it was typed, the refusal beside its field.
                typed.error = error.message
                typed.field = error.field ?? "form"
                return try await self.chartPage(
                    request,
                    context,
                    chart: .couple(coupleID),
                    schedule: typed,
                    status: .unprocessableContent
                )
            }
            return WebPage.redirect(to: Self.chartPath(.couple(coupleID)) + "#measures")
        }
        web.post("/couples/{id}/measures/schedules/{scheduleId}/end") { request, context in
            let user = try SignedIn(request, context)
            // The path's couple counts: a schedule of another couple is not ended (404, audited denied).
            let coupleID = try Self.pageID("id", context)
            try await measures.endSchedule(
                try Self.pageID("scheduleId", context),
                couple: coupleID,
                actor: user.actor
            )
            return WebPage.redirect(to: Self.chartPath(.couple(coupleID)) + "#measures")
        }
        web.get("/couples/{id}/measures") { request, context in
            let user = try SignedIn(request, context)
            let coupleID = try Self.pageID("id", context)
            let query = request.uri.queryParameters
            let couple = try await ChartService(pool: pool, keys: keys).couple(coupleID, actor: user.actor)
            guard let form = query.get("form").flatMap({ CouplesSatisfactionIndex(rawValue: String($0)) }),
                let partner = query.get("partner").flatMap({ UUID(uuidString: String($0)) }),
                [couple.partnerA, couple.partnerB].contains(partner)
            else { throw ServiceError(.notFound, field: "partner", "no such partner or measure") }
            let trend = try await measures.trend(
                measure: try await measures.definitionID(code: form.rawValue, actor: user.actor),
                client: partner,
                actor: user.actor
            )
            let name = partner == couple.partnerA ? couple.partnerAName : couple.partnerBName
            let view = MeasureResultView(
                chrome: user.chrome("\(form.rawValue): \(name)", section: "/caseload"),
                couple: couple,
                partnerName: name,
                form: form,
                trend: trend,
                recorded: query.get("recorded") != nil
            )
            return WebPage.html(WebTemplates.render(view, template: "measure-result"))
        }
    }

    /// The CSI form for one of the couple's partners (`ChartService.couple`: the caseload wall and
    /// the partners' names).
    private func measureFormPage(
        _ user: SignedIn,
        couple coupleID: UUID,
        typed: MeasureFormView.Typed,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let couple = try await ChartService(pool: pool, keys: keys).couple(coupleID, actor: user.actor)
        let view = MeasureFormView(
            chrome: user.chrome("Record a \(typed.form.rawValue)", section: "/caseload"),
            couple: couple,
            typed: typed,
            today: try await self.today(user.actor)
        )
        return WebPage.html(WebTemplates.render(view, template: "measure-new"), status: status)
    }
}
