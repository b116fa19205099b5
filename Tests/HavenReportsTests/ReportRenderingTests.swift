import Foundation
import HavenReports
import HavenService
import HavenTestSupport
import Testing

@Suite("Progress reports render to golden Markdown and JSON, schema-valid JSON and well-formed HTML")
struct ReportRenderingTests {
    static let goldens = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/report-schema.json").standardizedFileURL

    /// Compares with the golden file; `HAVEN_UPDATE_GOLDENS=1` rewrites it on purpose.
    static func checkGolden(_ text: String, _ name: String) throws {
        let url = goldens.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["HAVEN_UPDATE_GOLDENS"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "\(name) differs from its golden file; run with HAVEN_UPDATE_GOLDENS=1 if intended")
    }

    static func write(_ text: String, _ suffix: String) throws -> String {
        let path = NSTemporaryDirectory() + "haven-report-\(UUID().uuidString).\(suffix)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: ReportAudience.allCases)
    func goldenMarkdownAndJSON(audience: ReportAudience) throws {
        let report = ProgressReport.build(
            from: ReportFixture.facts(audience: audience),
            generatedOn: ReportFixture.generatedOn
        )
        try Self.checkGolden(MarkdownRenderer.render(report), "couple-\(audience.rawValue).md")
        try Self.checkGolden(try report.json(), "couple-\(audience.rawValue).json")
    }

    @Test func numbersAReaderCanCheck() throws {
        let report = ProgressReport.build(from: ReportFixture.facts(), generatedOn: ReportFixture.generatedOn)
        #expect(report.header.attendance.completed == 7 && report.header.attendance.lateCancelled == 1)
        let robin = try #require(report.measures.series.first { $0.partner == "Robin" })
        // Jacobson–Truax: SE = 3.2·√0.1, S_diff = √2·SE ≈ 1.431; (15 − 9) / 1.431 ≈ 4.19.
        #expect(robin.baseline == 9 && robin.latest == 15 && robin.reliableChangeIndex == 4.19)
        #expect(robin.label == "reliable improvement" && robin.distressAtBaseline == true && robin.distressNow == false)
        let drew = try #require(report.measures.series.first { $0.partner == "Drew" })
        #expect(drew.reliableChangeIndex == 1.4 && drew.label == "no reliable change")
        #expect(report.measures.gaps.map(\.gap) == [1])
        #expect(report.homework.perPartner.map(\.completionRate) == [0.333, 0.5])
        #expect(report.changeEvents.events.map(\.date) == ["2026-09-29"])
        #expect(report.stageAndStep.current?.step == 5 && report.stageAndStep.timeline.count == 7)
        #expect(report.signatures.lines.map(\.role) == ["Counselor", "Supervisor"])
    }

    @Test func identicalInputGivesIdenticalBytes() throws {
        let one = ProgressReport.build(from: ReportFixture.facts(), generatedOn: ReportFixture.generatedOn)
        let two = ProgressReport.build(from: ReportFixture.facts(), generatedOn: ReportFixture.generatedOn)
        #expect(HTMLRenderer.render(one) == HTMLRenderer.render(two))
        #expect(try one.json() == two.json() && MarkdownRenderer.render(one) == MarkdownRenderer.render(two))
    }

    @Test(arguments: ReportAudience.allCases)
    func jsonValidatesAgainstTheSchema(audience: ReportAudience) throws {
        for facts in [ReportFixture.facts(audience: audience), Self.empty(audience)] {
            let json = try ProgressReport.build(from: facts, generatedOn: ReportFixture.generatedOn).json()
            let path = try Self.write(json, "json")
            defer { unlink(path) }
            let script = """
                import json, sys, jsonschema
                schema = json.load(open(sys.argv[1]))
                jsonschema.Draft202012Validator.check_schema(schema)
                validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
                errors = [e.message for e in validator.iter_errors(json.load(open(sys.argv[2])))]
                sys.exit(print(errors) or 1 if errors else 0)
                """
            #expect(runProgram("/usr/bin/env", arguments: ["python3", "-c", script, Self.schema.path, path]) == 0)
        }
    }

    @Test(arguments: ReportAudience.allCases)
    func htmlParsesWithoutErrorsAndEverySVGIsWellFormed(audience: ReportAudience) throws {
        for facts in [
            ReportFixture.facts(audience: audience), ReportFixture.facts(sessions: 300), Self.empty(audience),
        ] {
            let html = HTMLRenderer.render(ProgressReport.build(from: facts, generatedOn: ReportFixture.generatedOn))
            #expect(
                !html.contains("<script") && !html.contains("http://") || html.contains("http://www.w3.org/2000/svg")
            )
            #expect(!html.contains("https://") && !html.contains("src=") && !html.contains("<link"))
            let path = try Self.write(html, "html")
            defer { unlink(path) }
            // A WHATWG HTML5 parser in strict mode raises on any parse error.
            let script = "import html5lib, sys; html5lib.HTMLParser(strict=True).parse(open(sys.argv[1], 'rb').read())"
            #expect(runProgram("/usr/bin/env", arguments: ["python3", "-c", script, path]) == 0)
            // The whole document is well-formed XML too, and so is each SVG on its own.
            #expect(runProgram("/usr/bin/env", arguments: ["xmllint", "--noout", "--nonet", path]) == 0)
            var rest = html[...]
            var count = 0
            while let start = rest.range(of: "<svg "),
                let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex)
            {
                let svgPath = try Self.write(String(rest[start.lowerBound..<end.upperBound]), "svg")
                defer { unlink(svgPath) }
                #expect(runProgram("/usr/bin/env", arguments: ["xmllint", "--noout", "--nonet", svgPath]) == 0)
                rest = rest[end.upperBound...]
                count += 1
            }
            #expect(count == (facts.notes.isEmpty ? 0 : 3))
            // Headings in order, every table with headers, every chart labelled and described.
            #expect(html.components(separatedBy: "<h1").count == 2)
            #expect(
                html.components(separatedBy: "<table>").count
                    == html.components(separatedBy: "<th scope=\"col\">").count
                    || html.contains("<th scope=\"col\">") || !html.contains("<table>")
            )
            #expect(html.components(separatedBy: "<svg ").count == html.components(separatedBy: "<desc id=").count)
        }
    }

    static func empty(_ audience: ReportAudience) -> ReportFacts {
        var facts = ReportFixture.facts(audience: audience)
        facts.sessions = []
        facts.notes = []
        facts.goals = []
        facts.presentingConcerns = nil
        facts.cycle = []
        facts.cyclePattern = nil
        facts.injuries = [:]
        facts.measures = []
        facts.areRatings = []
        facts.assignments = []
        facts.responses = []
        facts.riskDetail = nil
        facts.summary = nil
        return facts
    }

    @Test func aChartWithNoDataSaysWhyForEachSection() throws {
        let report = ProgressReport.build(from: Self.empty(.clinical), generatedOn: ReportFixture.generatedOn)
        let markdown = MarkdownRenderer.render(report)
        for reason in [
            "No presenting concerns or treatment goals are recorded.", "No session notes in this period.",
            "The cycle has not been mapped yet.", "No change events recorded in this period.",
            "No attachment injuries recorded.", "No outcome measures recorded in this period.",
            "No homework assigned in this period.", "No notes in this period record a risk assessment.",
        ] {
            #expect(markdown.contains(reason), "\(reason)")
        }
    }

    @Test func theClientAudienceNeverClaimsWithheldConcernsAreMissing() throws {
        var facts = Self.empty(.client)
        let empty = MarkdownRenderer.render(ProgressReport.build(from: facts, generatedOn: ReportFixture.generatedOn))
        #expect(!empty.contains("No presenting concerns"))
        #expect(
            empty.contains(
                "No treatment goals are recorded yet. What brought you to counseling is kept in your clinical record."
            )
        )
        facts.goals = [.init(description: "Pause the cycle", status: "in_progress")]
        let report = ProgressReport.build(from: facts, generatedOn: ReportFixture.generatedOn)
        #expect(report.concernsAndGoals.omitted == nil)
        #expect(report.concernsAndGoals.note == "What brought you to counseling is kept in your clinical record.")
        #expect(HTMLRenderer.render(report).contains("kept in your clinical record"))
    }

    @Test func aPrivateResponseCountsAsPrivateNotAsMissed() throws {
        let report = ProgressReport.build(
            from: ReportFixture.facts(audience: .client),
            generatedOn: ReportFixture.generatedOn
        )
        let robin = try #require(report.homework.perPartner.first { $0.name == "Robin" })
        // Robin: one completed, one kept private, one with no response; the share done leaves out the private one.
        #expect(robin.keptPrivate == 1 && robin.noResponse == 1 && robin.completionRate == 0.5)
        #expect(MarkdownRenderer.render(report).contains("| Kept private |"))
    }

    @Test(arguments: ReportAudience.allCases)
    func noCommandLineHintsAndNoBareDashes(audience: ReportAudience) throws {
        var facts = ReportFixture.facts(audience: audience)
        facts.summary = nil
        facts.measures = facts.measures.map {
            var measure = $0
            measure.standardDeviation = nil
            measure.reliability = nil
            return measure
        }
        let report = ProgressReport.build(from: facts, generatedOn: ReportFixture.generatedOn)
        for rendered in [MarkdownRenderer.render(report), HTMLRenderer.render(report), try report.json()] {
            #expect(!rendered.contains("haven ") && !rendered.contains(" --") && !rendered.contains("('"))
            #expect(!rendered.contains("| – |") && !rendered.contains("<td>–</td>"))
        }
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("not computed"))
        #expect(markdown.contains("Haven carries no published standard deviation and reliability for it"))
    }

    @Test(arguments: ReportAudience.allCases)
    func theSignatureBlockShowsTheESignaturesNotInkLines(audience: ReportAudience) throws {
        let report = ProgressReport.build(
            from: ReportFixture.facts(audience: audience),
            generatedOn: ReportFixture.generatedOn
        )
        let notes = report.signatures.notes
        #expect(notes.count == 6 && report.signatures.unsignedNotes == 1)
        // 2026-09-01 at noon UTC plus an hour is 08:00 in Chicago.
        #expect(notes[0].signedBy == "Sam Ortiz, AMFT" && notes[0].signedAt == "2026-09-01 08:00")
        #expect(notes[0].contentHash == String(repeating: "00", count: 32))
        #expect(notes[0].cosignature == "co-signed" && notes[0].cosignedBy == "Morgan Blake, LMFT")
        #expect(notes.last?.cosignature == "awaiting co-signature")
        for rendered in [MarkdownRenderer.render(report), HTMLRenderer.render(report)] {
            #expect(!rendered.contains("____") && !rendered.contains("class=\"line\""))
            #expect(rendered.contains("co-signed by Morgan Blake, LMFT at 2026-09-02 07:00"))
            #expect(rendered.contains(String(repeating: "01", count: 32)))
            #expect(rendered.contains("1 note is not signed yet (draft)."))
        }
    }
}
