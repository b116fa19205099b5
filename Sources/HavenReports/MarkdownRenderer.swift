import Foundation

/// Renders a report as Markdown: headings in order, tables with headers, every number visible.
public enum MarkdownRenderer {
    public static func render(_ report: ProgressReport) -> String {
        let labels = RendererLabels(report)
        var out: [String] = []
        let h = report.header
        out.append("# \(h.title): \(h.partners.map(\.name).joined(separator: " & "))")
        out.append("")
        out.append("\(h.practice) · \(report.periodFrom) to \(report.periodTo) · generated \(report.generatedOn)")
        out.append("")
        out.append("- Counselor: \(clinician(h.counselor))")
        if !h.supervisors.isEmpty {
            out.append("- Supervisor: \(h.supervisors.map(clinician).joined(separator: ", "))")
        }
        let a = h.attendance
        out.append(
            "- Sessions: \(a.completed) completed, \(a.cancelled) cancelled, \(a.lateCancelled) cancelled late, "
                + "\(a.noShow) missed (no-show), \(a.scheduled) scheduled"
        )
        section(&out, report.concernsAndGoals.title, report.concernsAndGoals.omitted) {
            var lines: [String] = []
            if let concerns = report.concernsAndGoals.presentingConcerns {
                lines.append("**Presenting concerns.** \(escape(concerns))")
            }
            if !report.concernsAndGoals.goals.isEmpty {
                if !lines.isEmpty { lines.append("") }
                lines += table(
                    ["Goal", "Status"],
                    report.concernsAndGoals.goals.map { [escape($0.description), $0.status] }
                )
            }
            if let note = report.concernsAndGoals.note { lines += ["", note] }
            return lines
        }
        section(&out, report.stageAndStep.title, report.stageAndStep.omitted) {
            var lines: [String] = []
            if let c = report.stageAndStep.current {
                lines += ["Now (as of \(c.asOf)): **\(c.stageName)**, step \(c.step) — \(c.stepSummary).", ""]
            }
            lines += table(
                labels.timeline,
                report.stageAndStep.timeline.map { [$0.date, "\($0.stage)", "\($0.step)"] }
            )
            return lines
        }
        section(&out, report.cycle.title, report.cycle.omitted) {
            var lines: [String] = []
            if let pattern = report.cycle.pattern { lines += ["Pattern: \(pattern).", ""] }
            for partner in report.cycle.partners {
                var parts = ["**\(partner.name)**: \(partner.position ?? "position not recorded")"]
                if let emotion = partner.primaryEmotion { parts.append("primary emotion \(escape(emotion))") }
                if let need = partner.unmetNeed { parts.append("unmet need: \(escape(need))") }
                lines.append("- " + parts.joined(separator: "; "))
            }
            return lines
        }
        section(&out, report.changeEvents.title, report.changeEvents.omitted) {
            table(["Date", "Milestone"], report.changeEvents.events.map { [$0.date, $0.label] })
        }
        section(&out, report.injuries.title, report.injuries.omitted) {
            let i = report.injuries
            return ["Identified: \(i.identified) · being repaired: \(i.inRepair) · resolved: \(i.resolved)"]
        }
        section(&out, report.measures.title, report.measures.omitted) {
            var lines: [String] = []
            if !report.measures.series.isEmpty {
                lines += table(
                    labels.measureColumns,
                    report.measures.series.map {
                        [
                            $0.partner, $0.code, number($0.baseline), number($0.latest), signed($0.change),
                        ] + labels.reliableChange($0) + [$0.cutoff.map(number) ?? "none"]
                    }
                )
                for series in report.measures.series {
                    lines += [
                        "",
                        "\(series.partner), \(series.code): "
                            + series.points.map { "\($0.date) \(number($0.total))" }.joined(separator: " · "),
                    ]
                }
            }
            for gap in report.measures.gaps {
                lines += [
                    "",
                    "Gap between partners (\(gap.code), latest): \(gap.between.joined(separator: " − ")) = \(signed(gap.gap))",
                ]
            }
            for series in report.measures.are {
                lines += ["", "\(labels.are(series.partner)):"]
                lines += series.points.map { "- \($0.date): \($0.accessible) / \($0.responsive) / \($0.engaged)" }
            }
            if let gloss = labels.measureGloss, !report.measures.series.isEmpty { lines += ["", "_\(gloss)_"] }
            for note in report.measures.notes { lines += ["", "_\(note)_"] }
            return lines
        }
        section(&out, report.homework.title, report.homework.omitted) {
            let rows = { (counts: [ProgressReport.HomeworkCounts]) in counts.map(labels.homeworkCells) }
            let header = labels.homeworkColumns
            var lines = ["\(report.homework.assignments) assignments.", ""]
            lines += table(["Partner"] + header, rows(report.homework.perPartner))
            lines += [""] + table(["Category"] + header, rows(report.homework.perCategory))
            if let note = report.homework.note { lines += ["", "_\(note)_"] }
            return lines
        }
        section(&out, report.risk.title, report.risk.omitted) {
            var lines = [report.risk.statement]
            if let detail = report.risk.detail { lines += ["", "Detail: \(escape(detail))"] }
            return lines
        }
        section(&out, report.summary.title, report.summary.omitted) {
            var lines = [escape(report.summary.text ?? "")]
            if let next = report.summary.nextReview { lines += ["", "Next review: \(next)"] }
            return lines
        }
        out += ["", "## \(report.signatures.title)", ""]
        for line in report.signatures.lines {
            out.append("- \(line.role): \(clinician(.init(name: line.name, credentials: line.credentials)))")
        }
        out += [""] + SignatureWording.lines(report.signatures)
        out += table(SignatureWording.columns, report.signatures.notes.map(SignatureWording.cells))
        return out.joined(separator: "\n")
    }

    private static func section(_ out: inout [String], _ title: String, _ omitted: String?, _ body: () -> [String]) {
        out += ["", "## \(title)", ""]
        if let omitted {
            out.append(omitted)
        } else {
            out += body()
        }
    }

    private static func clinician(_ c: ProgressReport.Clinician) -> String {
        c.credentials.isEmpty ? c.name : "\(c.name), \(c.credentials)"
    }

    private static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        guard !rows.isEmpty else { return [] }
        return ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---|" }.joined()]
            + rows.map {
                "| " + $0.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
            }
    }

    /// Clinical free text can hold Markdown syntax; shown as written, on one line.
    private static func escape(_ text: String) -> String { MarkdownEscape.line(text) }
}

/// A number as a reader expects it: no trailing `.0`, at most two decimals.
func number(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    return String(format: "%.2f", rounded).replacingOccurrences(of: #"0$"#, with: "", options: .regularExpression)
}

/// With an explicit sign for changes.
func signed(_ value: Double) -> String { value > 0 ? "+" + number(value) : number(value) }

/// A 0–1 rate as a whole percentage.
func percent(_ rate: Double) -> String { "\(Int((rate * 100).rounded()))%" }
