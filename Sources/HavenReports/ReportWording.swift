import HavenCore
import HavenService

/// What each section is called and how things are said, per audience: clinical terms for the
/// record; plain language, with a short gloss for any EFT term, for the clients.
struct ReportWording {
    let audience: ReportAudience

    var plain: Bool { audience == .client }

    var reportTitle: String { plain ? "Your progress in couple therapy" : "Progress report" }
    var concerns: String { plain ? "What brought you here and your goals" : "Presenting concerns and goals" }
    var stage: String { plain ? "Where you are in therapy" : "EFT stage and step" }
    var cycle: String { plain ? "The pattern you are working on" : "Cycle formulation" }
    var changeEvents: String { plain ? "Milestones" : "Change events" }
    var injuries: String { plain ? "Hurts you are healing" : "Attachment injuries" }
    var measures: String { plain ? "How you rated your relationship" : "Outcome measures" }
    var homework: String { plain ? "Practice between sessions" : "Homework" }
    var risk: String { plain ? "Safety" : "Risk and safety" }
    var summary: String { plain ? "Your counselor's summary" : "Counselor's summary and recommendations" }
    var signatures: String { "Signatures" }

    func stageName(_ stage: Int) -> String {
        switch (stage, plain) {
        case (1, false): "Stage 1 — cycle de-escalation"
        case (2, false): "Stage 2 — restructuring interactional positions"
        case (3, false): "Stage 3 — consolidation"
        case (1, true): "Part 1 of 3: calming the pattern that pulls you apart"
        case (2, true): "Part 2 of 3: new ways of reaching for each other"
        case (3, true): "Part 3 of 3: making the changes last"
        default: "Stage \(stage)"
        }
    }

    func stepSummary(_ step: Int) -> String {
        guard let value = try? EFTStep(step) else { return "" }
        if !plain { return value.summary }
        return switch step {
        case 1: "getting to know you and what you each struggle with"
        case 2: "naming the pattern your arguments follow"
        case 3: "finding the feelings underneath each of your reactions"
        case 4: "seeing the pattern, not each other, as the problem"
        case 5: "each of you putting deeper feelings and needs into words"
        case 6: "each of you taking in what the other shares"
        case 7: "asking for what you need and responding to each other"
        case 8: "finding new solutions to old problems"
        default: "keeping the new, closer ways of relating"
        }
    }

    func changeEvent(_ raw: String) -> String {
        switch (raw, plain) {
        case ("cycle_deescalated", false): "Cycle de-escalated"
        case ("withdrawer_reengagement", false): "Withdrawer re-engagement"
        case ("blamer_softening", false): "Blamer softening"
        case ("attachment_injury_resolved", false): "Attachment injury resolved"
        case ("cycle_deescalated", true): "Your arguments calmed: the pattern no longer takes over"
        case ("withdrawer_reengagement", true): "The partner who pulled back started reaching out again"
        case ("blamer_softening", true): "The partner who pushed started asking softly for closeness"
        case ("attachment_injury_resolved", true): "An old hurt was talked through and healed"
        default: raw.replacingOccurrences(of: "_", with: " ")
        }
    }

    func position(_ raw: String) -> String {
        switch (raw, plain) {
        case ("pursuer", false): "pursuer"
        case ("withdrawer", false): "withdrawer"
        case ("pursuer", true): "reaches out, sometimes pushing, when feeling distant"
        case ("withdrawer", true): "steps back to keep the peace when things heat up"
        case ("alternating", _): plain ? "sometimes reaches out, sometimes steps back" : "alternating"
        default: raw
        }
    }

    func pattern(_ raw: String) -> String {
        switch (raw, plain) {
        case ("pursue_withdraw", false): "pursue–withdraw"
        case ("attack_attack", false): "attack–attack"
        case ("withdraw_withdraw", false): "withdraw–withdraw"
        case ("alternating", false): "alternating"
        case ("pursue_withdraw", true): "one of you reaches out, the other steps back"
        case ("attack_attack", true): "you both push hard when hurt"
        case ("withdraw_withdraw", true): "you both step back when hurt"
        default: "the pattern shifts between you"
        }
    }

    func label(_ raw: String) -> String {
        guard plain else { return raw }
        return switch raw {
        case "reliable improvement": "a real improvement (larger than the measure's normal ups and downs)"
        case "reliable deterioration": "a real decline (larger than the measure's normal ups and downs)"
        default: "no change beyond the measure's normal ups and downs"
        }
    }

    func completion(_ raw: String) -> String {
        raw.replacingOccurrences(of: "_", with: " ")
    }
}
