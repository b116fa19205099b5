/// Column and caption wording the renderers share, per audience: clinical shorthand, or plain
/// language with the technical term glossed.
struct RendererLabels {
    let plain: Bool

    init(_ report: ProgressReport) { plain = report.audience == "client" }

    var timeline: [String] {
        plain ? ["Session date", "Part (of 3)", "Step (of 9)"] : ["Session date", "Stage", "Step"]
    }
    /// The three stages' names beside the step chart's bands (steps 1–4, 5–7, 8–9).
    var stageBands: [String] {
        plain
            ? ["Part 1: calming the pattern", "Part 2: reaching out anew", "Part 3: making it last"]
            : ["Stage 1: de-escalation", "Stage 2: restructuring", "Stage 3: consolidation"]
    }
    var measureColumns: [String] {
        plain
            ? [
                "Partner", "Questionnaire", "First", "Latest", "Change", "Change index (RCI)", "What it means",
                "Distress line",
            ]
            : ["Partner", "Measure", "Baseline", "Latest", "Change", "RCI", "Reliable change", "Cut-off"]
    }
    var measureGloss: String? {
        plain
            ? "Scores below the distress line are typical of couples in distress. The change index (RCI) compares "
                + "the change with the questionnaire's normal ups and downs: beyond ±1.96 it is a real change."
            : nil
    }
    func are(_ partner: String) -> String {
        plain
            ? "How open (accessible), responsive and engaged \(partner) was in sessions, as your counselor saw it (1–5)"
            : "A.R.E. ratings, \(partner) (accessible / responsive / engaged, 1–5)"
    }
}
