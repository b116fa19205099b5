import Foundation
import HavenReports
import HavenService

/// The report page: the audience switch, downloads, the summary form (clinical reports only) and the
/// report itself as `HTMLRenderer` made it (escaped there; shown with `{{{reportHTML}}}`).
struct ReportPageView {
    var chrome: PageChrome
    var names: String
    var chartHref: String
    var audiences: [Link]
    var downloads: [Link]
    var pdfUnavailable: Bool
    var clinical: Bool
    var summaryAction: String
    var summaryText: String
    var from: String
    var to: String
    var nextReview: String
    var error: String?
    var notice: String?
    var reportHTML: String

    struct Link {
        var label: String
        var href: String
        var current: Bool
    }

    /// What the summary form sent (kept when the service refuses it).
    struct SummaryForm {
        var text = ""
        var from = ""
        var to = ""
        var nextReview = ""
        var error: String?
    }

    init(
        chrome: PageChrome,
        names: String,
        path: String,
        chartPath: String,
        audience: ReportAudience,
        report: ProgressReport,
        reportHTML: String,
        pdf: Bool,
        summary: SummaryForm,
        notice: String?
    ) {
        self.chrome = chrome
        self.names = names
        chartHref = chartPath
        audiences = [(ReportAudience.clinical, "Clinical (for the record)"), (.client, "Client (for the couple)")].map {
            Link(label: $0.1, href: "\(path)?audience=\($0.0.rawValue)", current: $0.0 == audience)
        }
        let formats: [(ReportService.Format, String)] =
            [(.html, "HTML"), (.md, "Markdown"), (.json, "JSON")] + (pdf ? [(.pdf, "PDF")] : [])
        downloads = formats.map {
            Link(label: $0.1, href: "\(path).\($0.0.rawValue)?audience=\(audience.rawValue)", current: false)
        }
        pdfUnavailable = !pdf
        clinical = audience == .clinical
        summaryAction = "\(path)/summary"
        summaryText = summary.text.isEmpty && summary.error == nil ? (report.summary.text ?? "") : summary.text
        from = summary.from.isEmpty ? report.periodFrom : summary.from
        to = summary.to.isEmpty ? report.periodTo : summary.to
        nextReview =
            summary.error == nil && summary.nextReview.isEmpty ? (report.summary.nextReview ?? "") : summary.nextReview
        error = summary.error
        self.notice = notice
        self.reportHTML = reportHTML
    }
}
