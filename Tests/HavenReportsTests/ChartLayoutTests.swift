import Foundation
import HavenCore
import HavenService
import Testing

@testable import HavenReports

/// The charts read well with one point, two, and hundreds: value ticks 1, 2 or 5 × 10ⁿ apart, the
/// step axis labelled 1–9 with the stages named, dates at even intervals, and no label outside the
/// view box or on top of another. Labels are measured as the renderer lays them out (0.6 em a
/// character, one em high).
@Suite("Report charts: nice ticks, named stages, dated axes, no clipped or colliding labels")
struct ChartLayoutTests {
    struct Label {
        var role: String?
        var text: String
        var x0: Double
        var x1: Double
        var y0: Double
        var y1: Double
    }

    struct Chart {
        var id: String
        var width: Double
        var height: Double
        var labels: [Label]

        func labels(_ role: String) -> [Label] { labels.filter { $0.role == role } }
    }

    /// Each chart of the HTML report, with its text labels' boxes.
    static func charts(_ html: String) throws -> [Chart] {
        let svgPattern = try NSRegularExpression(
            pattern: #"<svg [^>]*aria-labelledby="([a-z0-9-]+)-title[^>]*viewBox="0 0 ([0-9.]+) ([0-9.]+)"(.*?)</svg>"#,
            options: [.dotMatchesLineSeparators]
        )
        let textPattern = try NSRegularExpression(
            pattern:
                #"<text(?: class="([a-z-]+)")? x="([0-9.-]+)" y="([0-9.-]+)" text-anchor="([a-z]+)" font-size="([0-9.]+)"[^>]*>([^<]*)</text>"#
        )
        let ns = html as NSString
        return svgPattern.matches(in: html, range: NSRange(location: 0, length: ns.length)).map { match in
            let body = ns.substring(with: match.range(at: 4))
            let bodyNS = body as NSString
            let labels = textPattern.matches(in: body, range: NSRange(location: 0, length: bodyNS.length)).map {
                text -> Label in
                func group(_ index: Int) -> String? {
                    text.range(at: index).location == NSNotFound ? nil : bodyNS.substring(with: text.range(at: index))
                }
                let content = group(6)!.replacingOccurrences(of: "&amp;", with: "&")
                let x = Double(group(2)!)!
                let y = Double(group(3)!)!
                let size = Double(group(5)!)!
                let width = Double(content.count) * size * 0.6
                let x0 = group(4) == "end" ? x - width : group(4) == "middle" ? x - width / 2 : x
                return Label(
                    role: group(1),
                    text: content,
                    x0: x0,
                    x1: x0 + width,
                    y0: y - size * 0.8,
                    y1: y + size * 0.2
                )
            }
            return Chart(
                id: ns.substring(with: match.range(at: 1)),
                width: Double(ns.substring(with: match.range(at: 2)))!,
                height: Double(ns.substring(with: match.range(at: 3)))!,
                labels: labels
            )
        }
    }

    /// The fixture couple with `sessions` weekly sessions and `administrations` CSI-4 scores each.
    static func facts(sessions: Int, administrations: Int) -> ReportFacts {
        var facts = ReportFixture.facts(sessions: sessions)
        let template = facts.measures
        facts.measures = [ReportFixture.robin, ReportFixture.drew].flatMap { partner in
            (0..<administrations).map { index in
                var measure = template[0]
                measure.partnerID = partner
                measure.date = ReportFixture.date("2026-09-01").adding(days: 14 * index)
                measure.total = Double((index * 7 + (partner == ReportFixture.robin ? 3 : 5)) % 22)
                return measure
            }
        }
        return facts
    }

    static let sizes = [(1, 1), (2, 2), (300, 150)]

    @Test(arguments: [0, 1, 2])
    func labelsStayInsideTheViewBoxAndNeverOverlap(size: Int) throws {
        let (sessions, administrations) = Self.sizes[size]
        for audience in ReportAudience.allCases {
            var facts = Self.facts(sessions: sessions, administrations: administrations)
            facts.audience = audience
            let html = HTMLRenderer.render(ProgressReport.build(from: facts, generatedOn: ReportFixture.generatedOn))
            if let directory = ProcessInfo.processInfo.environment["HAVEN_REPORT_PREVIEW_DIR"] {
                try html.write(
                    toFile: "\(directory)/report-\(sessions)-\(audience.rawValue).html",
                    atomically: true,
                    encoding: .utf8
                )
            }
            let charts = try Self.charts(html)
            #expect(charts.map(\.id) == ["chart-stage", "chart-measure-0", "chart-homework"])
            for chart in charts {
                for label in chart.labels {
                    #expect(
                        label.x0 >= 0 && label.x1 <= chart.width && label.y0 >= 0 && label.y1 <= chart.height,
                        "\(chart.id): '\(label.text)' leaves the view box"
                    )
                }
                for (index, one) in chart.labels.enumerated() {
                    for other in chart.labels[(index + 1)...] {
                        let apart = one.x1 <= other.x0 || other.x1 <= one.x0 || one.y1 <= other.y0 || other.y1 <= one.y0
                        #expect(apart, "\(chart.id): '\(one.text)' and '\(other.text)' overlap")
                    }
                }
            }
        }
    }

    @Test(arguments: [0, 1, 2])
    func valueTicksAreOneTwoOrFiveTimesAPowerOfTen(size: Int) throws {
        let (sessions, administrations) = Self.sizes[size]
        let html = HTMLRenderer.render(
            ProgressReport.build(
                from: Self.facts(sessions: sessions, administrations: administrations),
                generatedOn: ReportFixture.generatedOn
            )
        )
        let measure = try #require(try Self.charts(html).first { $0.id == "chart-measure-0" })
        let ticks = measure.labels("tick-y").map { Double($0.text)! }
        #expect(ticks.count >= 3 && ticks.count <= 8, "\(ticks)")
        #expect(ticks.first == 0)
        let step = ticks[1] - ticks[0]
        let magnitude = pow(10, floor(log10(step)))
        #expect([1.0, 2, 5].contains((step / magnitude * 1000).rounded() / 1000), "step \(step)")
        for (low, high) in zip(ticks, ticks.dropFirst()) { #expect(abs(high - low - step) < 1e-9) }
        // The axis reaches the highest score and the cut-off (13.5).
        let highest = Self.facts(sessions: sessions, administrations: administrations).measures.map(\.total).max()!
        #expect(ticks.last! >= max(highest, 13.5))
        #expect(!html.contains(">4.25<") && !html.contains(">8.5<") && !html.contains(">12.75<"))
    }

    @Test(arguments: ReportAudience.allCases)
    func theStepAxisIsLabelledOneToNineWithTheStagesNamed(audience: ReportAudience) throws {
        var facts = ReportFixture.facts()
        facts.audience = audience
        let html = HTMLRenderer.render(ProgressReport.build(from: facts, generatedOn: ReportFixture.generatedOn))
        let stage = try #require(try Self.charts(html).first { $0.id == "chart-stage" })
        #expect(stage.labels("tick-y").map(\.text) == (1...9).map(String.init))
        let names = stage.labels("stage").map(\.text)
        #expect(names.count == 3)
        #expect(names.enumerated().allSatisfy { $0.element.contains("\($0.offset + 1)") })
        if audience == .clinical { #expect(names.first == "Stage 1: de-escalation") }
        // The change event is numbered on the chart and named in the key below it.
        #expect(stage.labels("event").map(\.text) == ["1"])
        #expect(
            stage.labels.contains {
                $0.text
                    == "1  2026-09-29  \(facts.audience == .clinical ? "Cycle de-escalated" : "Your arguments calmed: the pattern no longer takes over")"
            }
        )
    }

    /// Coordinates print exactly as `String(format: "%.1f")` printed them (ties, negatives, big ones).
    @Test func coordinatesPrintAsPrintfDoes() {
        let values: [Double] = [0, -0.0, 0.05, 0.15, 0.25, 0.35, -0.05, -2.25, 1.45, 2.675, 99.95, 12_345.678, 1e15]
        for value in values + (0..<500).map({ Double($0) * 0.731 - 91.3 }) {
            #expect(SVGChart.f(value) == String(format: "%.1f", value), "\(value)")
        }
    }

    @Test func datesFallAtEvenIntervalsForShortAndLongPeriods() throws {
        for (sessions, expected) in [(1, "day"), (8, "week"), (300, "year")] {
            let html = HTMLRenderer.render(
                ProgressReport.build(
                    from: Self.facts(sessions: sessions, administrations: 2),
                    generatedOn: ReportFixture.generatedOn
                )
            )
            let stage = try #require(try Self.charts(html).first { $0.id == "chart-stage" })
            let labels = stage.labels("tick-x").map(\.text)
            #expect(labels.count >= 2, "\(sessions): \(labels)")
            switch expected {
            case "day", "week":
                let days = labels.map { CalendarDate(iso8601: $0)!.daysSince1970 }
                let steps = Set(zip(days, days.dropFirst()).map { $1 - $0 })
                #expect(steps.count == 1, "\(labels)")
                if expected == "week" { #expect(days.allSatisfy { ($0 - 4) % 7 == 0 }, "Mondays: \(labels)") }
            default:
                #expect(labels.allSatisfy { Int($0) != nil }, "\(labels)")
            }
        }
    }
}
