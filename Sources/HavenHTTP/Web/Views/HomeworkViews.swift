import Foundation
import HavenCore
import HavenService

/// One `<option>` of a `<select>`.
struct WebOption {
    var value: String
    var label: String
    var selected: Bool
}

/// Words for the homework enums, one place for both homework pages.
enum HomeworkWords {
    static func category(_ category: HomeworkCategory) -> String {
        category.rawValue.replacingOccurrences(of: "_", with: " ").capitalizedFirst
    }

    static func stages(_ stages: [EFTStage]) -> String {
        stages.isEmpty ? "" : "stage " + stages.map { "\($0.rawValue)" }.joined(separator: ", ")
    }

    static func status(_ status: HomeworkService.Status) -> String {
        status.rawValue.replacingOccurrences(of: "_", with: " ")
    }
}

extension String {
    /// The string with its first character upper-cased.
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

/// `GET /homework`: the library, filtered by stage, category and joint/individual, and the open list.
struct HomeworkLibraryView {
    var chrome: PageChrome
    var stages: [WebOption]
    var categories: [WebOption]
    var kinds: [WebOption]
    var prompts: [Prompt]
    var countText: String
    var open: [OpenRow]

    /// What the filter form asks for; nil is any.
    struct Filter {
        var stage: EFTStage?
        var category: HomeworkCategory?
        var joint: Bool?
    }

    struct Prompt {
        var title: String
        var category: String
        var kind: String
        var stages: String
        var frequency: String
        var instructions: String
    }

    struct OpenRow {
        var when: String
        var names: String
        var href: String
        var detail: String
        var overdue: Bool
    }

    init(chrome: PageChrome, library: [HomeworkService.Prompt], open: [HomeworkService.OpenAssignment], filter: Filter)
    {
        self.chrome = chrome
        stages =
            [WebOption(value: "", label: "Any stage", selected: filter.stage == nil)]
            + EFTStage.allCases.map {
                WebOption(value: "\($0.rawValue)", label: "\($0.rawValue): \($0.title)", selected: filter.stage == $0)
            }
        categories =
            [WebOption(value: "", label: "Any category", selected: filter.category == nil)]
            + HomeworkCategory.allCases.map {
                WebOption(value: $0.rawValue, label: HomeworkWords.category($0), selected: filter.category == $0)
            }
        kinds = [
            WebOption(value: "", label: "Joint or individual", selected: filter.joint == nil),
            WebOption(value: "joint", label: "Joint (together)", selected: filter.joint == true),
            WebOption(value: "individual", label: "Individual (each alone)", selected: filter.joint == false),
        ]
        let shown = library.filter { prompt in
            (filter.stage.map { prompt.stages.contains($0) } ?? true)
                && (filter.category.map { prompt.category == $0 } ?? true)
                && (filter.joint.map { prompt.joint == $0 } ?? true)
        }
        prompts = shown.map {
            Prompt(
                title: $0.title,
                category: HomeworkWords.category($0.category),
                kind: $0.joint ? "joint" : "individual",
                stages: HomeworkWords.stages($0.stages),
                frequency: $0.frequency.rawValue,
                instructions: $0.instructions
            )
        }
        countText = "\(shown.count) of \(library.count) prompts"
        self.open = open.map {
            OpenRow(
                when: "due \($0.dueOn)",
                names: $0.coupleName,
                href: HavenAPI.chartPath(.couple($0.coupleID)),
                detail: $0.promptTitle + ($0.partnerName.map { " (\($0))" } ?? " (both)"),
                overdue: $0.status == .overdue
            )
        }
    }
}

/// `/couples/{id}/homework/new`: the assign form, the high-risk warning, the couple's assignments
/// with their responses and a response form on each open one.
struct CoupleHomeworkView {
    var chrome: PageChrome
    var names: String
    var chartHref: String
    var action: String
    var coupleID: String
    var highRisk: Bool
    var notice: String?
    var error: String?
    var reasonRefused: Bool
    var showReason: Bool
    var prompts: [WebOption]
    var partners: [WebOption]
    var sessions: [WebOption]
    var recurrences: [WebOption]
    var dueOn: String
    var reason: String
    var assignments: [Assignment]
    /// The series form (migration 0056): the library's series, the interval and its own refusal.
    var seriesOptions: [WebOption]
    var seriesPartners: [WebOption]
    var seriesSessions: [WebOption]
    var seriesAction: String
    var intervalDays: String
    var seriesError: String?
    var seriesReason: String
    var seriesReasonRefused: Bool

    /// What the assign form sent (kept in the fields when the service refuses it).
    struct AssignForm {
        var prompt = ""
        var partner = ""
        var session = ""
        var dueOn = ""
        var recurrence = "none"
        var reason = ""
        var error: String?
        var reasonRefused = false
    }

    /// What the series form sent (kept in the fields when the service refuses it).
    struct SeriesForm {
        var series = ""
        var partner = ""
        var session = ""
        var intervalDays = String(HomeworkService.defaultSeriesInterval)
        var reason = ""
        var error: String?
        var reasonRefused = false
    }

    /// What a response form sent.
    struct ResponseForm {
        var assignment: UUID
        var partner: String
        var completion: String
        var text: String
        var shared: Bool
        var error: String?
    }

    struct Assignment {
        var id: String
        var anchor: String
        var title: String
        /// "Step 2 of 6 · Emotional-safety practice · opens …" for a series step, nil otherwise.
        var step: String?
        var category: String
        var who: String
        var due: String
        var status: String
        var overdue: Bool
        var responses: [Response]
        var open: Bool
        var action: String
        var partners: [WebOption]
        var completions: [WebOption]
        var typedText: String
        var shared: Bool
        /// Named apart from the page's `error`: a nil here must not show the assign form's refusal
        /// (Mustache looks a missing name up the context stack).
        var responseError: String?
    }

    struct Response {
        var name: String
        var completion: String
        var said: String?
        var shared: String
        var recorded: String
    }

    init(
        chrome: PageChrome,
        couple: ChartService.Couple,
        highRisk: Bool,
        sessions: [SessionService.Listing],
        library: [HomeworkService.Prompt],
        seriesLibrary: [HomeworkService.Series],
        assignments: [HomeworkService.Assignment],
        today: CalendarDate,
        timeZone: String,
        assign: AssignForm,
        series: SeriesForm,
        response: ResponseForm?,
        notice: String?
    ) {
        self.chrome = chrome
        let id = couple.id.uuidString.lowercased()
        coupleID = id
        names = "\(couple.partnerAName) & \(couple.partnerBName)"
        chartHref = HavenAPI.chartPath(.couple(couple.id))
        action = chartHref + "/homework/new"
        self.highRisk = highRisk
        self.notice = notice
        error = assign.error
        reasonRefused = assign.reasonRefused
        showReason = highRisk || assign.reasonRefused || !assign.reason.isEmpty
        prompts =
            [WebOption(value: "", label: "Choose a prompt", selected: assign.prompt.isEmpty)]
            + library.map {
                let id = $0.id.uuidString.lowercased()
                return WebOption(
                    value: id,
                    label: "\($0.title) (\($0.joint ? "joint" : "individual"), \(HomeworkWords.category($0.category)), "
                        + "\(HomeworkWords.stages($0.stages)))",
                    selected: assign.prompt.lowercased() == id
                )
            }
        let people = [(couple.partnerA, couple.partnerAName), (couple.partnerB, couple.partnerBName)]
        partners =
            [WebOption(value: "both", label: "Both partners", selected: ["", "both"].contains(assign.partner))]
            + people.map {
                WebOption(
                    value: $0.0.uuidString.lowercased(),
                    label: $0.1,
                    selected: assign.partner.lowercased() == $0.0.uuidString.lowercased()
                )
            }
        let zone = TimeZone(identifier: timeZone) ?? .gmt
        let format = Date.FormatStyle(timeZone: zone).year().month(.abbreviated).day().hour().minute()
        let latest = sessions.last { $0.start <= Date() }?.id
        self.sessions = sessions.reversed().map {
            let value = $0.id.uuidString.lowercased()
            return WebOption(
                value: value,
                label: "\($0.start.formatted(format)), \($0.status)",
                selected: assign.session.isEmpty ? $0.id == latest : assign.session.lowercased() == value
            )
        }
        recurrences = ["none", "daily", "weekly"].map {
            WebOption(value: $0, label: $0 == "none" ? "Once" : $0.capitalized, selected: assign.recurrence == $0)
        }
        dueOn = assign.dueOn.isEmpty ? today.adding(days: 7).description : assign.dueOn
        reason = assign.reason
        // Chosen: what was typed, or first of all the built-in emotional-safety practice (by its id).
        let chosenSeries =
            series.series.isEmpty ? HavenAPI.text(HomeworkService.emotionalSafetySeriesID) : series.series.lowercased()
        seriesOptions = seriesLibrary.map {
            let value = HavenAPI.text($0.id)
            let joint = $0.steps.filter(\.joint).count
            return WebOption(
                value: value,
                label: "\($0.title) (\($0.steps.count) steps, \(joint) joint)",
                selected: chosenSeries == value
            )
        }
        seriesPartners = partners.map {
            var option = $0
            option.selected = series.partner.isEmpty ? $0.value == "both" : series.partner.lowercased() == $0.value
            return option
        }
        seriesSessions = self.sessions.map {
            var option = $0
            if !series.session.isEmpty { option.selected = series.session.lowercased() == $0.value }
            return option
        }
        seriesAction = chartHref + "/homework/series"
        intervalDays = series.intervalDays
        seriesError = series.error
        seriesReason = series.reason
        seriesReasonRefused = series.reasonRefused
        let recordedFormat = Date.FormatStyle(timeZone: zone).year().month(.abbreviated).day().hour().minute()
        self.assignments = assignments.map { a in
            let open = a.status == .assigned || a.status == .overdue
            let typed = response?.assignment == a.id ? response : nil
            let forWhom = a.partnerID.map { partner in people.filter { $0.0 == partner } } ?? people
            let aid = a.id.uuidString.lowercased()
            return Assignment(
                id: aid,
                anchor: "assignment-\(aid)",
                title: a.promptTitle,
                step: a.seriesStep.map {
                    "Step \($0.position) of \($0.count) · \($0.seriesTitle) · "
                        + ($0.released ? "opened " : "opens ") + $0.releaseAt.formatted(recordedFormat)
                },
                category: a.category.replacingOccurrences(of: "_", with: " "),
                who: a.partnerName ?? "both partners",
                due: "due \(a.dueOn)",
                status: HomeworkWords.status(a.status),
                overdue: a.status == .overdue,
                responses: a.responses.map {
                    Response(
                        name: $0.partnerName,
                        completion: $0.completion.rawValue.replacingOccurrences(of: "_", with: " "),
                        said: $0.text,
                        shared: $0.sharedWithPartner ? "shared with the other partner" : "private to the counselor",
                        recorded: $0.recordedAt.formatted(recordedFormat)
                    )
                },
                open: open || typed != nil,
                action: "/homework/\(aid)/responses",
                partners: forWhom.map {
                    WebOption(
                        value: $0.0.uuidString.lowercased(),
                        label: $0.1,
                        selected: typed?.partner.lowercased() == $0.0.uuidString.lowercased()
                    )
                },
                completions: [
                    ("completed", "Completed"), ("partly_completed", "Partly completed"), ("skipped", "Skipped"),
                ]
                .map {
                    WebOption(value: $0.0, label: $0.1, selected: (typed?.completion ?? "completed") == $0.0)
                },
                typedText: typed?.text ?? "",
                shared: typed?.shared ?? false,
                responseError: typed?.error
            )
        }
    }
}
