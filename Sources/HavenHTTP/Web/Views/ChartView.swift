import Foundation
import HavenCore
import HavenReports
import HavenService

/// A couple's or client's chart on one page: every value a string ready to print, the charts as the
/// SVG `HavenReports` draws for the progress report (the only markup a template prints unescaped).
struct ChartView {
    var chrome: PageChrome
    var isCouple: Bool
    var names: String
    var summary: String
    /// The risk statement when a high-risk flag is open (shown first, prominently); nil otherwise.
    var openRiskFlag: String?
    /// A couple with an open high-risk flag: the partners' portal is in safety mode (docs/portal.md).
    var portalSafetyMode: Bool
    /// The latest moderate or high risk's detail (clinical).
    var riskDetail: String?
    var riskStatement: String
    var contents: [Link]
    var partners: [Partner]
    var concerns: String?
    var goals: [Goal]
    var current: String?
    var stageChart: String?
    var timeline: [TimelineRow]
    var cycleMaps: [CycleMap]
    var injuries: [Injury]
    var are: [ARERow]
    var sessions: [SessionRow]
    var notes: [NoteRow]
    var homework: [Assignment]
    var measures: [Measure]
    /// Links to the pages that add to the chart (couples only: homework and CSI are a couple's).
    var assignHomeworkHref: String
    var newMeasureHref: String
    var reportHref: String
    /// Each person's portal access, with the invite and revoke forms ("Portal access").
    var portal: [PortalAccessRow] = []
    /// The measures scheduled for and answered on the portal (couples; "On the portal").
    var portalMeasures: PortalMeasuresSection?
    /// The chart's care status with the buttons that change it ("Care status").
    var careStatus: CareStatusSection

    struct Link {
        var href: String
        var label: String
    }

    struct Partner {
        var name: String
        var detail: String
    }

    struct Goal {
        var description: String
        var status: String
    }

    struct TimelineRow {
        var date: String
        var stage: String
        var step: String
        var events: String
        var href: String
    }

    struct Field {
        var label: String
        var value: String
    }

    struct CycleVersion {
        var version: String
        var date: String
        var position: String
        var summary: String
    }

    struct CycleMap {
        var partner: String
        var position: String
        var fields: [Field]
        var history: [CycleVersion]
        var headingID: String
    }

    struct Injury {
        var partner: String
        var description: String
        var identified: String
        var status: String
        var step: String
        var resolved: String
    }

    struct ARERow {
        var partner: String
        var date: String
        var accessible: String
        var responsive: String
        var engaged: String
    }

    struct SessionRow {
        var when: String
        var status: String
        var format: String
        var href: String
    }

    struct NoteRow {
        var when: String
        var state: String
        var author: String
        var stageStep: String
        var risk: String
        var href: String
    }

    struct Response {
        var partner: String
        var completion: String
        var text: String?
        var sharing: String
        var recorded: String
    }

    struct Assignment {
        var title: String
        var category: String
        var who: String
        var due: String
        var status: String
        var responses: [Response]
    }

    struct MeasureRow {
        var partner: String
        var baseline: String
        var latest: String
        var change: String
        var index: String
        var meaning: String
        var cutoff: String
    }

    struct Measure {
        var heading: String
        var svg: String
        var rows: [MeasureRow]
    }

    init(record: ChartService.Record, report: ProgressReport, chrome: PageChrome) {
        let facts = record.facts
        self.chrome = chrome
        let id = facts.chart.id.uuidString.lowercased()
        isCouple = facts.chart.kind == "couple"
        careStatus = CareStatusSection(chart: facts.chart, status: facts.careStatus ?? .active)
        let zone = TimeZone(identifier: facts.timeZone) ?? .gmt
        let dateTime = Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: zone)
        let dateOnly = Date.FormatStyle(date: .abbreviated, time: .omitted, timeZone: zone)
        let partnerNames = Dictionary(uniqueKeysWithValues: facts.partners.map { ($0.id, $0.name) })
        func name(_ id: UUID?) -> String { id.flatMap { partnerNames[$0] } ?? "both partners" }
        // Stored words (`in_person`) as spoken ones; Swift's own characters, not Foundation's
        // `replacingOccurrences`, which bridges through NSString on Linux.
        func words(_ raw: String) -> String { raw.contains("_") ? String(raw.map { $0 == "_" ? " " : $0 }) : raw }
        // A 200-session chart prints each session's start twice (sessions, notes): formatted once.
        var startTexts: [Date: String] = [:]
        func when(_ start: Date) -> String {
            if let text = startTexts[start] { return text }
            let text = start.formatted(dateTime)
            startTexts[start] = text
            return text
        }
        func noteHref(_ session: UUID) -> String { "/sessions/\(session.uuidString.lowercased())/note" }

        names = facts.partners.map(\.name).joined(separator: " & ")
        summary =
            "\(isCouple ? "Couple" : "Individual client") · since \(facts.periodFrom) · counselor \(facts.counselor.name)"
            + (facts.supervisors.isEmpty
                ? "" : " · supervised by \(facts.supervisors.map(\.name).joined(separator: ", "))")
        riskStatement = report.risk.statement
        openRiskFlag = report.risk.openHighRiskFlag ? report.risk.statement : nil
        portalSafetyMode = isCouple && report.risk.openHighRiskFlag
        riskDetail = report.risk.detail

        partners = facts.partners.map { person in
            let position = report.cycle.partners.first { $0.name == person.name }?.position
            return Partner(name: person.name, detail: position.map { "cycle position: \($0)" } ?? "")
        }
        concerns = facts.presentingConcerns
        goals = facts.goals.map { Goal(description: $0.description, status: words($0.status)) }
        current = report.stageAndStep.current.map {
            "\($0.stageName), step \($0.step): \($0.stepSummary) (as of \($0.asOf))"
        }
        stageChart = report.stageAndStep.timeline.isEmpty ? nil : ReportCharts.stageAndStep(report)
        let eventLabels = Dictionary(
            report.changeEvents.events.map { ($0.event, $0.label) },
            uniquingKeysWith: { first, _ in first }
        )
        timeline = facts.notes.map { note in
            TimelineRow(
                date: note.sessionStart.formatted(dateOnly),
                stage: "\(note.stage)",
                step: "\(note.step)" + (note.stepPartnerID.map { " (\(name($0)))" } ?? ""),
                events: note.changeEvents.map { eventLabels[$0] ?? words($0) }.joined(separator: "; "),
                href: noteHref(note.sessionID)
            )
        }
        cycleMaps = record.cycleMaps.enumerated().map { index, history in
            let latest = history.versions.last
            let map = latest?.map ?? CycleMapService.Map()
            let fields: [(String, String?)] = [
                ("Trigger", map.trigger), ("Action tendency", map.actionTendency),
                ("Perception of the partner", map.perceptionOfPartner), ("Reactive emotion", map.reactiveEmotion),
                ("Primary emotion", map.primaryEmotion), ("Unmet need", map.unmetNeed),
            ]
            return CycleMap(
                partner: name(history.partnerID),
                position: latest?.position?.rawValue ?? "not recorded",
                fields: fields.map { Field(label: $0.0, value: $0.1 ?? "not yet mapped") },
                history: history.versions.reversed().map { version in
                    CycleVersion(
                        version: "\(version.version)",
                        date: version.createdAt.formatted(dateTime),
                        position: version.position?.rawValue ?? "not recorded",
                        summary: "\(6 - version.map.emptyFields.count) of 6 fields mapped"
                    )
                },
                headingID: "cycle-\(index + 1)"
            )
        }
        injuries = record.injuries.map { injury in
            Injury(
                partner: injury.injuredPartnerName,
                description: injury.description,
                identified: injury.identifiedOn.description,
                status: words(injury.status.rawValue),
                step: "\(injury.resolutionStep) of 8",
                resolved: injury.resolvedOn?.description ?? "—"
            )
        }
        are = facts.areRatings.map { rating in
            ARERow(
                partner: name(rating.partnerID),
                date: rating.sessionStart.formatted(dateOnly),
                accessible: "\(rating.accessible)",
                responsive: "\(rating.responsive)",
                engaged: "\(rating.engaged)"
            )
        }
        sessions = facts.sessions.reversed().map { session in
            SessionRow(
                when: when(session.start),
                status: words(session.status),
                format: words(session.format),
                href: noteHref(session.id)
            )
        }
        notes = record.notes.reversed().map { entry in
            let note = entry.listing
            var state = note.signed ? "signed" : "draft (version \(note.version))"
            if note.cosigned { state += ", co-signed" }
            if note.addenda > 0 { state += ", \(note.addenda) addend\(note.addenda == 1 ? "um" : "a")" }
            return NoteRow(
                when: when(note.sessionStart),
                state: state,
                author: entry.authorName,
                stageStep: "stage \(note.stage), step \(note.step)",
                risk: note.riskLevel.map { "\($0) risk" } ?? "risk not recorded",
                href: noteHref(note.sessionID)
            )
        }
        homework = record.homework.map { assignment in
            Assignment(
                title: assignment.promptTitle,
                category: words(assignment.category),
                who: assignment.partnerName ?? "both partners",
                due: "assigned \(assignment.assignedOn), due \(assignment.dueOn)",
                status: words(assignment.status.rawValue),
                responses: assignment.responses.map { response in
                    Response(
                        partner: response.partnerName,
                        completion: words(response.completion.rawValue),
                        text: response.text,
                        sharing: response.sharedWithPartner ? "shared with partner" : "private",
                        recorded: response.recordedAt.formatted(dateTime)
                    )
                }
            )
        }
        measures = ReportCharts.measureCodes(report).enumerated().map { index, code in
            let series = report.measures.series.filter { $0.code == code }
            return Measure(
                heading: "\(series.first?.name ?? code) (\(code))",
                svg: ReportCharts.measure(report, code: code, index: index),
                rows: series.map { s in
                    let cells = ReportCharts.reliableChange(s, in: report)
                    return MeasureRow(
                        partner: s.partner,
                        baseline: Self.number(s.baseline),
                        latest: Self.number(s.latest),
                        change: (s.change > 0 ? "+" : "") + Self.number(s.change),
                        index: cells.first ?? "",
                        meaning: cells.count > 1 ? cells[1] : "",
                        cutoff: s.cutoff.map(Self.number) ?? "none"
                    )
                }
            )
        }
        let base = isCouple ? "/couples/\(id)" : "/clients/\(id)"
        assignHomeworkHref = "\(base)/homework/new"
        newMeasureHref = "\(base)/measures/new"
        reportHref = "\(base)/report"
        contents =
            [Link(href: "#care-status", label: "Care status"), Link(href: "#risk", label: "Risk")]
            + (isCouple ? [Link(href: "#partners", label: "Partners")] : [])
            + [
                Link(href: "#concerns", label: isCouple ? "Concerns and goals" : "Concerns"),
                Link(href: "#timeline", label: "EFT timeline"),
            ]
            + (isCouple
                ? [
                    Link(href: "#cycle", label: "Cycle maps"), Link(href: "#injuries", label: "Attachment injuries"),
                    Link(href: "#are", label: "A.R.E. ratings"),
                ] : [])
            + [Link(href: "#sessions", label: "Sessions"), Link(href: "#notes", label: "Notes")]
            + (isCouple ? [Link(href: "#homework", label: "Homework")] : [])
            + [Link(href: "#measures", label: "CSI trend")]
            + (isCouple ? [Link(href: "#report", label: "Progress report")] : [])
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
    }
}
