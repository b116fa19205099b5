import Foundation
import HavenService

/// The caseload page: couples and individual clients with where each stands, the search form, and
/// the forms that open a new couple or client chart (with what was typed when a form was refused).
/// Every value is a string ready to print.
struct CaseloadView {
    var chrome: PageChrome
    /// The name searched for (kept in the search field); empty: the whole caseload.
    var query = ""
    var searched = false
    var couples: [Row] = []
    var clients: [Row] = []
    /// Every client in reach, for the new couple's partner pickers.
    var partnerOptions: [Option] = []
    var couple = CoupleForm()
    var client = ClientForm()

    /// One chart of the caseload; `href` is built from the chart's id.
    struct Row {
        var names: String
        var href: String
        var status: String
        var stageStep: String
        var highRisk: Bool
        var risk: String
        var last: String
        var next: String
    }

    struct Option {
        var id: String
        var name: String
        var selectedA: Bool
        var selectedB: Bool
    }

    /// The new-couple form as typed.
    struct CoupleForm {
        var partnerA = ""
        var partnerB = ""
        var startDate = ""
        var concerns = ""
        var error: String?
    }

    /// The new-client form as typed.
    struct ClientForm {
        var legalName = ""
        var preferredName = ""
        var pronouns = ""
        var dateOfBirth = ""
        var intakeDate = ""
        var error: String?
    }

    init(
        chrome: PageChrome,
        couples: [ChartService.CoupleSummary],
        clients: [ChartService.ClientSummary],
        timeZone: String,
        today: String,
        query: String? = nil
    ) {
        self.chrome = chrome
        let zone = TimeZone(identifier: timeZone) ?? .gmt
        let format = Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: zone)
        func when(_ date: Date?) -> String { date?.formatted(format) ?? "—" }
        func stageStep(_ stage: Int?, _ step: Int?) -> String {
            guard let stage, let step else { return "no note yet" }
            return "stage \(stage), step \(step)"
        }
        let needle = query?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        self.query = needle
        searched = !needle.isEmpty
        func matches(_ names: [String]) -> Bool {
            needle.isEmpty
                || names.contains { $0.range(of: needle, options: [.caseInsensitive, .diacriticInsensitive]) != nil }
        }
        self.couples = couples.filter { matches([$0.partnerA, $0.partnerB]) }.map { couple in
            Row(
                names: "\(couple.partnerA) & \(couple.partnerB)",
                href: "/couples/\(couple.id.uuidString.lowercased())",
                status: couple.status,
                stageStep: stageStep(couple.stage, couple.step),
                highRisk: couple.highRisk,
                risk: couple.highRisk ? "open high-risk flag" : "no open flag",
                last: when(couple.lastSession),
                next: when(couple.nextSession)
            )
        }
        self.clients = clients.filter { matches([$0.client.legalName, $0.client.preferredName ?? ""]) }.map { client in
            Row(
                names: client.client.preferredName.map { "\($0) (\(client.client.legalName))" }
                    ?? client.client.legalName,
                href: "/clients/\(client.client.id.uuidString.lowercased())",
                status: client.client.status,
                stageStep: stageStep(client.stage, client.step),
                highRisk: client.riskLevel == "high",
                risk: client.riskLevel.map { "\($0) risk (latest note)" } ?? "not assessed",
                last: when(client.lastSession),
                next: when(client.nextSession)
            )
        }
        partnerOptions = clients.map {
            Option(
                id: $0.client.id.uuidString.lowercased(),
                name: $0.client.preferredName ?? $0.client.legalName,
                selectedA: false,
                selectedB: false
            )
        }
        couple.startDate = today
        client.intakeDate = today
    }

    /// Marks the partners the refused couple form had chosen.
    mutating func keep(_ form: CoupleForm) {
        couple = form
        for index in partnerOptions.indices {
            partnerOptions[index].selectedA = partnerOptions[index].id == form.partnerA
            partnerOptions[index].selectedB = partnerOptions[index].id == form.partnerB
        }
    }
}
