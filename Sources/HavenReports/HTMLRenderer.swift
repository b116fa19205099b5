import Foundation

/// Renders a report as one self-contained, printable HTML file: inline CSS and SVG, no scripts,
/// no external requests; headings in order, tables with headers and captions, every chart labelled
/// by its title and description and followed by a table of its data. The markup is also well-formed
/// XML (void elements closed), so XML tools can check it.
public enum HTMLRenderer {
    public static func render(_ report: ProgressReport) -> String {
        let h = report.header
        let out: [String] =
            [
                "<!DOCTYPE html>",
                "<html lang=\"en\">",
                "<head>",
                "<meta charset=\"utf-8\" />",
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />",
                "<title>\(e(h.title)): \(h.partners.map { e($0.name) }.joined(separator: " &amp; "))</title>",
                "<style>\(stylesheet)</style>",
                "</head>",
                "<body>",
                "<main class=\"report\">",
            ] + contentLines(report) + ["</main>", "</body>", "</html>", ""]
        return out.joined(separator: "\n")
    }

    /// The report's content without the document around it (what `render` puts in `<main>`): for a
    /// page that shows the report in its own layout, inside an element of class `report`, with
    /// `stylesheet` as a file.
    public static func content(_ report: ProgressReport) -> String {
        contentLines(report).joined(separator: "\n")
    }

    private static func contentLines(_ report: ProgressReport) -> [String] {
        let labels = RendererLabels(report)
        let h = report.header
        let names = h.partners.map(\.name).joined(separator: " &amp; ")
        var out: [String] = [
            "<header>",
            "<h1>\(e(h.title)): \(names)</h1>",
            "<p class=\"meta\">\(e(h.practice)) · \(report.periodFrom) to \(report.periodTo) · generated \(report.generatedOn)</p>",
            "<dl>",
            "<dt>Counselor</dt><dd>\(e(clinician(h.counselor)))</dd>",
        ]
        if !h.supervisors.isEmpty {
            out.append("<dt>Supervisor</dt><dd>\(h.supervisors.map { e(clinician($0)) }.joined(separator: ", "))</dd>")
        }
        let a = h.attendance
        out += [
            "</dl>",
            table(
                caption: "Sessions in this period",
                header: ["Completed", "Cancelled", "Cancelled late", "Missed (no-show)", "Scheduled"],
                rows: [["\(a.completed)", "\(a.cancelled)", "\(a.lateCancelled)", "\(a.noShow)", "\(a.scheduled)"]]
            ),
            "</header>",
        ]
        section(&out, "concerns", report.concernsAndGoals.title, report.concernsAndGoals.omitted) {
            var parts: [String] = []
            if let concerns = report.concernsAndGoals.presentingConcerns {
                parts.append("<p><strong>Presenting concerns.</strong> \(e(concerns))</p>")
            }
            if !report.concernsAndGoals.goals.isEmpty {
                parts.append(
                    table(
                        caption: "Goals",
                        header: ["Goal", "Status"],
                        rows: report.concernsAndGoals.goals.map { [$0.description, $0.status] }
                    )
                )
            }
            if let note = report.concernsAndGoals.note { parts.append("<p class=\"note\">\(e(note))</p>") }
            return parts
        }
        section(&out, "stage", report.stageAndStep.title, report.stageAndStep.omitted) {
            var parts: [String] = []
            if let c = report.stageAndStep.current {
                parts.append(
                    "<p>Now (as of \(c.asOf)): <strong>\(e(c.stageName))</strong>, step \(c.step) — \(e(c.stepSummary)).</p>"
                )
            }
            let timeline = report.stageAndStep.timeline
            parts.append(
                figure(
                    ReportCharts.stageAndStep(report),
                    caption: "Stage and step by session date; numbered lines mark change events (key below the chart).",
                    table: table(
                        caption: "Stage and step by session",
                        header: labels.timeline,
                        rows: timeline.map { [$0.date, "\($0.stage)", "\($0.step)"] }
                    )
                )
            )
            return parts
        }
        section(&out, "cycle", report.cycle.title, report.cycle.omitted) {
            var parts: [String] = []
            if let pattern = report.cycle.pattern { parts.append("<p>Pattern: \(e(pattern)).</p>") }
            if !report.cycle.partners.isEmpty {
                parts.append("<ul>")
                for partner in report.cycle.partners {
                    var items = [
                        "<strong>\(e(partner.name))</strong>: \(e(partner.position ?? "position not recorded"))"
                    ]
                    if let emotion = partner.primaryEmotion { items.append("primary emotion \(e(emotion))") }
                    if let need = partner.unmetNeed { items.append("unmet need: \(e(need))") }
                    parts.append("<li>\(items.joined(separator: "; "))</li>")
                }
                parts.append("</ul>")
            }
            return parts
        }
        section(&out, "events", report.changeEvents.title, report.changeEvents.omitted) {
            [
                table(
                    caption: report.changeEvents.title,
                    header: ["Date", "Milestone"],
                    rows: report.changeEvents.events.map { [$0.date, $0.label] }
                )
            ]
        }
        section(&out, "injuries", report.injuries.title, report.injuries.omitted) {
            let i = report.injuries
            return [
                table(
                    caption: report.injuries.title,
                    header: ["Identified", "Being repaired", "Resolved"],
                    rows: [["\(i.identified)", "\(i.inRepair)", "\(i.resolved)"]]
                )
            ]
        }
        section(&out, "measures", report.measures.title, report.measures.omitted) { measures(report, labels) }
        section(&out, "homework", report.homework.title, report.homework.omitted) { homework(report, labels) }
        section(&out, "risk", report.risk.title, report.risk.omitted) {
            var parts = ["<p class=\"\(report.risk.openHighRiskFlag ? "flag" : "")\">\(e(report.risk.statement))</p>"]
            if let detail = report.risk.detail { parts.append("<p>Detail: \(e(detail))</p>") }
            return parts
        }
        section(&out, "summary", report.summary.title, report.summary.omitted) {
            var parts = ["<p>\(e(report.summary.text ?? ""))</p>"]
            if let next = report.summary.nextReview { parts.append("<p>Next review: \(next)</p>") }
            return parts
        }
        out.append("<section class=\"signatures\" aria-labelledby=\"signatures\">")
        out.append("<h2 id=\"signatures\">\(e(report.signatures.title))</h2>")
        out.append("<ul>")
        for line in report.signatures.lines {
            out.append(
                "<li>\(e(line.role)): \(e(clinician(.init(name: line.name, credentials: line.credentials))))</li>"
            )
        }
        out.append("</ul>")
        out += SignatureWording.lines(report.signatures).filter { !$0.isEmpty }.map { "<p>\(e($0))</p>" }
        out.append(
            table(
                caption: "E-signatures of the session notes",
                header: SignatureWording.columns,
                rows: report.signatures.notes.map(SignatureWording.cells)
            )
        )
        out.append("</section>")
        return out
    }

    private static func measures(_ report: ProgressReport, _ labels: RendererLabels) -> [String] {
        var parts: [String] = []
        let m = report.measures
        for (index, code) in ReportCharts.measureCodes(report).enumerated() {
            let series = m.series.filter { $0.code == code }
            let first = series[0]
            parts.append("<h3>\(e(first.name)) (\(e(code)))</h3>")
            parts.append(
                figure(
                    ReportCharts.measure(report, code: code, index: index),
                    caption: "\(code) per partner; the dashed line is the cut-off, the shaded band the distress range.",
                    table: table(
                        caption: "\(code) scores",
                        header: ["Partner", "Date", "Total"],
                        rows: series.flatMap { s in s.points.map { [s.partner, $0.date, number($0.total)] } }
                    )
                )
            )
            parts.append(
                table(
                    caption: "\(code): baseline to latest",
                    header: labels.measureColumns.filter {
                        $0 != labels.measureColumns[1] && $0 != labels.measureColumns[7]
                    },
                    rows: series.map {
                        [$0.partner, number($0.baseline), number($0.latest), signed($0.change)]
                            + labels.reliableChange($0)
                    }
                )
            )
            for gap in m.gaps where gap.code == code {
                parts.append(
                    "<p>Gap between partners (latest): \(gap.between.map(e).joined(separator: " − ")) = \(signed(gap.gap))</p>"
                )
            }
        }
        for series in m.are {
            parts.append(
                table(
                    caption: labels.are(series.partner),
                    header: ["Date", "Accessible", "Responsive", "Engaged"],
                    rows: series.points.map { [$0.date, "\($0.accessible)", "\($0.responsive)", "\($0.engaged)"] }
                )
            )
        }
        if let gloss = labels.measureGloss, !m.series.isEmpty { parts.append("<p class=\"note\">\(e(gloss))</p>") }
        for note in m.notes { parts.append("<p class=\"note\">\(e(note))</p>") }
        return parts
    }

    private static func homework(_ report: ProgressReport, _ labels: RendererLabels) -> [String] {
        let hw = report.homework
        let header = labels.homeworkColumns
        func rows(_ counts: [ProgressReport.HomeworkCounts]) -> [[String]] { counts.map(labels.homeworkCells) }
        var parts = [
            "<p>\(hw.assignments) assignments.</p>",
            figure(
                SVGChart.bars(
                    id: "chart-homework",
                    title: "Homework done per partner",
                    description: "Share of homework completed or partly completed by each partner.",
                    bars: hw.perPartner.map { ($0.name, $0.completionRate) }
                ),
                caption: "Homework completed or partly completed, per partner.",
                table: table(caption: "Homework per partner", header: ["Partner"] + header, rows: rows(hw.perPartner))
            ),
            table(caption: "Homework per category", header: ["Category"] + header, rows: rows(hw.perCategory)),
        ]
        if let note = hw.note { parts.append("<p class=\"note\">\(e(note))</p>") }
        return parts
    }

    private static func section(
        _ out: inout [String],
        _ id: String,
        _ title: String,
        _ omitted: String?,
        _ body: () -> [String]
    ) {
        out.append("<section aria-labelledby=\"\(id)\">")
        out.append("<h2 id=\"\(id)\">\(e(title))</h2>")
        if let omitted {
            out.append("<p class=\"omitted\">\(e(omitted))</p>")
        } else {
            out += body()
        }
        out.append("</section>")
    }

    private static func figure(_ svg: String, caption: String, table: String) -> String {
        "<figure>\n\(svg)\n<figcaption>\(e(caption))</figcaption>\n</figure>\n\(table)"
    }

    private static func table(caption: String, header: [String], rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "" }
        var out = ["<table>", "<caption>\(e(caption))</caption>", "<thead><tr>"]
        out += header.map { "<th scope=\"col\">\(e($0))</th>" }
        out += ["</tr></thead>", "<tbody>"]
        for row in rows {
            out.append("<tr>" + row.map { "<td>\(e($0))</td>" }.joined() + "</tr>")
        }
        out += ["</tbody>", "</table>"]
        return out.joined(separator: "\n")
    }

    private static func clinician(_ c: ProgressReport.Clinician) -> String {
        c.credentials.isEmpty ? c.name : "\(c.name), \(c.credentials)"
    }

    private static func e(_ text: String) -> String { HTMLEscape.text(text) }

    /// The report's one stylesheet: inline in the self-contained file `render` makes, and the web app's
    /// `/static/report.css` (its pages allow no inline style) as it is. Every rule but the page margin
    /// is under `.report`, the element the report's content sits in (the file's `<main>`, the page's
    /// `<article>`), so in the app it styles the report and nothing else.
    public static let stylesheet = """
        body{margin:0}\
        .report{font-family:Georgia,'Times New Roman',serif;color:#1b1b1b;background:#fff;max-width:46rem;margin:2rem auto;\
        padding:0 1rem}\
        .report h1{font-size:1.6rem;margin-bottom:.2rem}\
        .report h2{font-size:1.25rem;border-bottom:1px solid #ccd;padding-bottom:.2rem;margin-top:2rem}\
        .report h3{font-size:1.05rem}.report .meta{color:#555;margin-top:0}\
        .report dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}.report dt{font-weight:bold}\
        .report dd{margin:0}\
        .report table{border-collapse:collapse;margin:.8rem 0;font-family:Helvetica,Arial,sans-serif;font-size:.85rem}\
        .report caption{text-align:left;font-weight:bold;padding-bottom:.3rem}\
        .report th,.report td{border:1px solid #ccd;padding:.25rem .5rem;text-align:left}.report th{background:#eef3f7}\
        .report figure{margin:1rem 0}.report figcaption{font-size:.85rem;color:#555}.report svg{max-width:100%;height:auto}\
        .report .omitted,.report .note{color:#555;font-style:italic}.report .flag{color:#8a1c0c;font-weight:bold}\
        .report .signatures td:nth-child(4){font-family:monospace;font-size:.75rem;word-break:break-all}\
        @media print{.report{font-size:11pt;margin:0;max-width:none}\
        .report section{break-before:page}.report section.signatures{break-before:auto}\
        .report figure,.report table{break-inside:avoid}}
        """
}
