/// The report's charts as server-made SVG for pages that show them outside a report (the web app's
/// chart page): the same builders, titles and descriptions the HTML report draws them with, so a
/// chart looks the same wherever it is shown. Every text in the SVG is escaped by `SVGChart`.
public enum ReportCharts {
    /// The EFT step by session with the stages named and change events numbered.
    public static func stageAndStep(_ report: ProgressReport) -> String {
        let timeline = report.stageAndStep.timeline
        return SVGChart.steps(
            id: "chart-stage",
            title: "Stage and step by session",
            description:
                "Step chart of the EFT step (1 to 9) recorded at each of \(timeline.count) sessions, "
                + "with \(report.changeEvents.events.count) change events marked.",
            points: timeline.map { ($0.date, $0.step) },
            events: report.changeEvents.events.map { ($0.date, $0.label) },
            stageNames: RendererLabels(report).stageBands
        )
    }

    /// The measures the report charts, in its order (by code).
    public static func measureCodes(_ report: ProgressReport) -> [String] {
        report.measures.series.map(\.code).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }

    /// One measure's totals per partner over time, with the cut-off line and the distress range
    /// shaded; `index` keeps the element ids of several charts on one page apart.
    public static func measure(_ report: ProgressReport, code: String, index: Int) -> String {
        let series = report.measures.series.filter { $0.code == code }
        let first = series.first
        return SVGChart.lines(
            id: "chart-measure-\(index)",
            title: "\(code) scores over time",
            description: "\(code) totals per partner over time"
                + (first?.cutoff.map {
                    ", with the distress cut-off at \(number($0)) and the distress range shaded"
                } ?? "")
                + ".",
            series: series.map { .init(name: $0.partner, points: $0.points.map { ($0.date, $0.total) }) },
            cutoff: first?.cutoff,
            distressBelow: first?.higherIsBetter ?? true
        )
    }

    /// A series' change index and reliable-change cells as the report words them (never a bare dash).
    public static func reliableChange(_ series: ProgressReport.MeasureSeries, in report: ProgressReport) -> [String] {
        RendererLabels(report).reliableChange(series)
    }
}
