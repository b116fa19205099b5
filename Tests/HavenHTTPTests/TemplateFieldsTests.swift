import Foundation
import HavenReports
import HavenTestSupport
import Mustache
import Testing

@testable import HavenHTTP
@testable import HavenService

/// The views that answer the templates through `MustacheParent` switches (`ChartView+Template.swift`,
/// `PageChrome+Template.swift`) answer every stored property, with its value, as swift-mustache's
/// `Mirror` lookup did: a property added without its case would print nothing.
@Suite("The chart page's views answer every template name as Mirror would", .needsTestDatabase)
struct TemplateFieldsTests {
    /// Each labelled property of `value` (and, inside it, of every `MustacheParent` value or array of
    /// them) compared with what `child(named:)` answers. Returns how many properties it compared.
    @discardableResult
    static func expectAnswersLikeMirror(_ value: Any, path: String = "view") -> Int {
        var compared = 0
        if let list = value as? [Any] {
            for (index, element) in list.enumerated() {
                compared += expectAnswersLikeMirror(element, path: "\(path)[\(index)]")
            }
            return compared
        }
        guard let parent = value as? any MustacheParent else { return 0 }
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            let mirrored = flattened(child.value)
            let answered = parent.child(named: label).flatMap(flattened)
            #expect(
                answered.map { String(describing: $0) } == mirrored.map { String(describing: $0) },
                "\(path).\(label)"
            )
            compared += 1
            if let mirrored { compared += expectAnswersLikeMirror(mirrored, path: "\(path).\(label)") }
        }
        #expect(parent.child(named: "noSuchName") == nil, "\(path)")
        return compared
    }

    /// `value` without its optional wrapping (nil for none), as the template sees it.
    static func flattened(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map { flattened($0.value) } ?? nil
    }

    @Test func everyRowTypeAnswersEachOfItsProperties() {
        // Memberwise: a property added to a row breaks this until its value is given here too.
        let rows: [Any] = [
            ChartView.Link(href: "h", label: "l"),
            ChartView.Partner(name: "n", detail: "d"),
            ChartView.Goal(description: "d", status: "s"),
            ChartView.TimelineRow(date: "d", stage: "s", step: "t", events: "e", href: "h"),
            ChartView.CycleMap(
                partner: "p",
                position: "o",
                fields: [ChartView.Field(label: "l", value: "v")],
                history: [ChartView.CycleVersion(version: "1", date: "d", position: "p", summary: "s")],
                headingID: "c"
            ),
            ChartView.Injury(partner: "p", description: "d", identified: "i", status: "s", step: "t", resolved: "r"),
            ChartView.ARERow(partner: "p", date: "d", accessible: "1", responsive: "2", engaged: "3"),
            ChartView.SessionRow(when: "w", status: "s", format: "f", href: "h"),
            ChartView.NoteRow(when: "w", state: "s", author: "a", stageStep: "t", risk: "r", href: "h"),
            ChartView.Assignment(
                title: "t",
                category: "c",
                who: "w",
                due: "d",
                status: "s",
                responses: [
                    ChartView.Response(partner: "p", completion: "c", text: "t", sharing: "s", recorded: "r"),
                    ChartView.Response(partner: "p", completion: "c", text: nil, sharing: "s", recorded: "r"),
                ]
            ),
            ChartView.Measure(
                heading: "h",
                svg: "<svg/>",
                rows: [
                    ChartView.MeasureRow(
                        partner: "p",
                        baseline: "b",
                        latest: "l",
                        change: "c",
                        index: "i",
                        meaning: "m",
                        cutoff: "o"
                    )
                ]
            ),
            PageChrome.NavLink(label: "l", href: "h", current: true),
            PageChrome.BreakGlassBanner(chartLabel: "l", chartHref: "h", remaining: "r", closeAction: "a"),
        ]
        #expect(Self.expectAnswersLikeMirror(rows) == 76)
    }

    @Test func aRealChartsViewAndItsChromeAnswerEachOfTheirProperties() async throws {
        try await HTTPFixture.with { fixture, _ in
            let (couple, _) = try await WebChartPageTests.riskyCouple(fixture)
            let record = try await ChartService(pool: fixture.app, keys: fixture.keys)
                .record(.couple(couple), actor: fixture.dana)
            let grant = BreakGlassService.Grant(
                id: UUID(),
                chart: .couple(couple),
                grantedAt: Date(),
                expiresAt: Date().addingTimeInterval(600)
            )
            let chrome = PageChrome(
                title: "t",
                actor: fixture.dana,
                csrf: "c",
                section: "/caseload",
                session: WebSessionFacts(name: "Dana", idleSeconds: 60, grants: [grant])
            )
            let view = ChartView(
                record: record,
                report: ProgressReport.build(from: record.facts, generatedOn: record.today),
                chrome: chrome
            )
            #expect(view.riskDetail != nil && view.concerns != nil && !view.measures.isEmpty)
            #expect(Self.expectAnswersLikeMirror(view) >= 100)
        }
    }
}
