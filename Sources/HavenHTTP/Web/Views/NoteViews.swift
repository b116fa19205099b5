import Foundation
import HavenCore
import HavenService

/// The note pages' one list of choices, each straight from HavenCore's enums (EFT stages and steps,
/// interventions, Tango moves, change events, risk levels): the form's field names and values are
/// the API's raw values, so a page and a `/v1` client send the same words.
enum NoteChoices {
    /// A value as words: `reflecting_emotion` → "Reflecting emotion".
    static func words(_ raw: String) -> String {
        let text = raw.replacingOccurrences(of: "_", with: " ")
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    /// The checkbox field of one value of a multi-choice enum: `interventions.validating` (the form
    /// has one field per value; `WebForm` keeps the first of repeated names).
    static func field<Value: ClinicalEnum>(_ value: Value) -> String { "\(Value.fieldName).\(value.rawValue)" }

    /// The values of `Value` checked in `form`.
    static func checked<Value: ClinicalEnum>(_ type: Value.Type, in form: WebForm) -> [String] {
        Value.allCases.filter { form[field($0)] != nil }.map(\.rawValue)
    }

    /// The checkboxes of `Value`, those in `checked` ticked.
    static func checks<Value: ClinicalEnum>(_ type: Value.Type, checked: [String]) -> [NoteFields.Check] {
        Value.allCases.map { value in
            NoteFields.Check(
                id: field(value).replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "_", with: "-"),
                name: field(value),
                label: words(value.rawValue),
                checked: checked.contains(value.rawValue)
            )
        }
    }

    /// A stage's label: "Stage 1 — Cycle de-escalation".
    static func stageLabel(_ stage: EFTStage) -> String { "Stage \(stage.rawValue) — \(stage.title)" }

    /// A step's label: "Step 3 — Reach the unacknowledged emotions …".
    static func stepLabel(_ number: Int) -> String {
        guard let step = try? EFTStep(number) else { return "Step \(number)" }
        return "Step \(number) — \(step.summary)"
    }
}

/// What the note form holds, as typed (strings): read from a saved draft or from a posted form, so
/// a refused form shows back exactly what was sent.
struct NoteFields {
    var stage = ""
    var step = ""
    var stepPartner = ""
    var interventions: [String] = []
    var tangoMoves: [String] = []
    var changeEvents: [String] = []
    var riskLevel = ""
    var riskDetail = ""
    var body = ""

    init() {}

    init(_ draft: NoteService.Draft) {
        stage = String(draft.stage)
        step = String(draft.step)
        stepPartner = draft.stepPartnerID?.uuidString.lowercased() ?? ""
        interventions = draft.interventions.map(\.rawValue)
        tangoMoves = draft.tangoMoves.map(\.rawValue)
        changeEvents = draft.changeEvents.map(\.rawValue)
        riskLevel = draft.riskLevel?.rawValue ?? ""
        riskDetail = draft.riskDetail ?? ""
        body = draft.body
    }

    init(_ form: WebForm) {
        stage = form["stage"] ?? ""
        step = form["step"] ?? ""
        stepPartner = form["stepPartner"] ?? ""
        interventions = NoteChoices.checked(Intervention.self, in: form)
        tangoMoves = NoteChoices.checked(TangoMove.self, in: form)
        changeEvents = NoteChoices.checked(ChangeEvent.self, in: form)
        riskLevel = form["riskLevel"] ?? ""
        riskDetail = form["riskDetail"] ?? ""
        body = form["body"] ?? ""
    }

    /// The draft the fields describe, parsed as the API parses its JSON (`HavenAPI.DraftBody`).
    ///
    /// - Throws: `invalidInput` naming the field.
    func draft() throws -> NoteService.Draft {
        guard let stage = Int(stage) else { throw ServiceError(.invalidInput, field: "stage", "choose a stage") }
        guard let step = Int(step) else { throw ServiceError(.invalidInput, field: "step", "choose a step") }
        var partner: UUID?
        if !stepPartner.isEmpty {
            guard let id = UUID(uuidString: stepPartner) else {
                throw ServiceError(.invalidInput, field: "stepPartner", "choose one of the partners")
            }
            partner = id
        }
        return try HavenAPI.DraftBody(
            stage: stage,
            step: step,
            stepPartnerId: partner,
            interventions: interventions,
            tangoMoves: tangoMoves,
            changeEvents: changeEvents,
            riskLevel: riskLevel.isEmpty ? nil : riskLevel,
            riskDetail: riskDetail.allSatisfy(\.isWhitespace) ? nil : riskDetail,
            body: body
        ).draft()
    }

    /// One choice of a `<select>`.
    struct Choice {
        var value: String
        var label: String
        var selected: Bool
    }

    /// The steps of one stage (an `<optgroup>` the script shows only for the chosen stage).
    struct StepGroup {
        var stage: String
        var label: String
        var steps: [Choice]
    }

    /// One checkbox.
    struct Check {
        var id: String
        var name: String
        var label: String
        var checked: Bool
    }

    /// The form's controls, ready for the template.
    struct Controls {
        var stages: [Choice]
        var stepGroups: [StepGroup]
        var partners: [Choice]
        var interventions: [Check]
        var tangoMoves: [Check]
        var changeEvents: [Check]
        var riskLevels: [Choice]
        var riskDetail: String
        var body: String
    }

    /// The controls for these values; `partners` are the chart's people (id, name).
    func controls(partners: [(id: UUID, name: String)]) -> Controls {
        Controls(
            stages: EFTStage.allCases.map {
                Choice(
                    value: String($0.rawValue),
                    label: NoteChoices.stageLabel($0),
                    selected: String($0.rawValue) == stage
                )
            },
            stepGroups: EFTStage.allCases.map { stage in
                StepGroup(
                    stage: String(stage.rawValue),
                    label: NoteChoices.stageLabel(stage),
                    steps: stage.steps.map {
                        Choice(value: String($0), label: NoteChoices.stepLabel($0), selected: String($0) == step)
                    }
                )
            },
            partners: partners.map {
                let value = $0.id.uuidString.lowercased()
                return Choice(value: value, label: $0.name, selected: value == stepPartner.lowercased())
            },
            interventions: NoteChoices.checks(Intervention.self, checked: interventions),
            tangoMoves: NoteChoices.checks(TangoMove.self, checked: tangoMoves),
            changeEvents: NoteChoices.checks(ChangeEvent.self, checked: changeEvents),
            riskLevels: RiskLevel.allCases.map {
                Choice(value: $0.rawValue, label: NoteChoices.words($0.rawValue), selected: $0.rawValue == riskLevel)
            },
            riskDetail: riskDetail,
            body: body
        )
    }
}

/// The session a note page is about, as its heading shows it.
struct NoteSessionHeading {
    var names: String
    var when: String

    init(_ session: SessionService.Listing, zone: TimeZone) {
        names = session.chartName
        when =
            session.start.formatted(Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: zone))
            + " · " + NoteChoices.words(session.sessionType) + ", \(session.durationMinutes) min"
    }
}

/// `GET /sessions/{id}/note`: the editor (or, for a session not completed, what to do instead).
struct NoteEditorView {
    var chrome: PageChrome
    var sessionID: String
    var heading: NoteSessionHeading
    /// Set when the session is not completed: what to do instead of writing.
    var notCompleted: String?
    var form: Form?

    struct Form {
        var noteID: String
        var version: String
        var savedText: String
        var error: String?
        /// Another tab saved first: the version now current (the form carries it, so saving again
        /// replaces that version with what is shown).
        var conflictVersion: String?
        var controls: NoteFields.Controls
        var psychotherapyHref: String
    }
}

/// `GET /sessions/{id}/note/sign`: what signing means, the draft as it will be signed, the button.
struct NoteSignView {
    var chrome: PageChrome
    var sessionID: String
    var heading: NoteSessionHeading
    var noteID: String
    var version: String
    var error: String?
    var summary: NoteSummary
}

/// A note's content as text to read.
struct NoteSummary {
    var stepText: String
    var partnerText: String?
    var interventions: String
    var tangoMoves: String
    var changeEvents: String
    var riskLevel: String
    var riskDetail: String?
    var body: String

    init(_ draft: NoteService.Draft, partners: [(id: UUID, name: String)]) {
        let stage = EFTStage(rawValue: draft.stage)
        stepText =
            (stage.map(NoteChoices.stageLabel) ?? "Stage \(draft.stage)") + "; "
            + NoteChoices.stepLabel(draft.step)
        partnerText = draft.stepPartnerID.map { id in partners.first { $0.id == id }?.name ?? "a partner" }
        func list(_ values: [String]) -> String {
            values.isEmpty ? "none recorded" : values.map(NoteChoices.words).joined(separator: ", ")
        }
        interventions = list(draft.interventions.map(\.rawValue))
        tangoMoves = list(draft.tangoMoves.map(\.rawValue))
        changeEvents = list(draft.changeEvents.map(\.rawValue))
        riskLevel = draft.riskLevel.map { NoteChoices.words($0.rawValue) } ?? "not recorded"
        riskDetail = draft.riskDetail
        body = draft.body
    }
}

/// `GET /notes/{id}`: a note to read (signed, or someone else's draft), its addenda and the forms
/// that still apply (an addendum; a co-signature for a supervisor).
struct NotePageView {
    var chrome: PageChrome
    var noteID: String
    var heading: NoteSessionHeading?
    var stateText: String
    var signedText: String?
    var contentHash: String?
    var cosignatureText: String?
    var cosignaturePending: Bool
    var canCosign: Bool
    var signed: Bool
    var summary: NoteSummary
    var addenda: [AddendumRow]
    var addendumError: String?
    var addendumReason: String
    var addendumText: String

    struct AddendumRow {
        var when: String
        var author: String
        var reason: String
        var text: String
    }
}

/// `GET /cosign`: signed notes of the supervisor's pre-licensed supervisees awaiting co-signature.
struct CosignQueueView {
    var chrome: PageChrome
    var rows: [Row]

    struct Row {
        var noteID: String
        var when: String
        var names: String
        var author: String
        var signed: String
    }
}

/// A psychotherapy note's pages: the form on a chart, and the note for its author.
struct PsychotherapyNotePage {
    var chrome: PageChrome
    var action: String = ""
    var error: String?
    var body: String = ""
}
