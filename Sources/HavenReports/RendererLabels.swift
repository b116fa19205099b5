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

    /// The change-index and reliable-change cells of a series, in words when there is no index: a
    /// single score, or a measure without published SD and reliability (never a bare dash).
    func reliableChange(_ series: ProgressReport.MeasureSeries) -> [String] {
        if let index = series.reliableChangeIndex { return [signed(index), series.label ?? ""] }
        if series.points.count < 2 {
            return ["not computed", plain ? "needs a second score" : "one administration only"]
        }
        return [
            "not computed",
            plain ? "no published norms to judge this change by" : "no published SD and reliability",
        ]
    }

    /// Homework count columns after the name; "Kept private" only where responses can be (the
    /// client audience: the clinical record sees every response).
    var homeworkColumns: [String] {
        ["Assigned", "Completed", "Partly", "Skipped"] + (plain ? ["Kept private"] : []) + ["No response", "Done"]
    }

    func homeworkCells(_ counts: ProgressReport.HomeworkCounts) -> [String] {
        [counts.name, "\(counts.assigned)", "\(counts.completed)", "\(counts.partlyCompleted)", "\(counts.skipped)"]
            + (plain ? ["\(counts.keptPrivate)"] : [])
            + [
                "\(counts.noResponse)",
                counts.assigned > 0 && counts.assigned == counts.keptPrivate
                    ? "kept private" : percent(counts.completionRate),
            ]
    }
}
