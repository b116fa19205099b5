import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite(
    "The homework and measures pages: library, assign with the high-risk override, responses, CSI",
    .needsTestDatabase
)
struct WebHomeworkPageTests {
    typealias Browser = WebPageTests.Browser

    static func prompt(_ fixture: HTTPFixture, joint: Bool) async throws -> HomeworkService.Prompt {
        try #require(
            try await HomeworkService(pool: fixture.app, keys: fixture.keys).library(actor: fixture.dana)
                .first { $0.joint == joint }
        )
    }

    static func assignments(_ fixture: HTTPFixture) async throws -> [HomeworkService.Assignment] {
        try await HomeworkService(pool: fixture.app, keys: fixture.keys).assignments(
            couple: fixture.danaCouple,
            today: CalendarDate(year: 2026, month: 12, day: 1)!,
            actor: fixture.dana
        )
    }

    static func id(_ id: UUID) -> String { id.uuidString.lowercased() }

    @Test func assigningThroughTheFormCreatesTheHomeworkAndWarnsOfADuplicate() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = "/couples/\(Self.id(fixture.danaCouple))/homework/new"
            let form = try await WebPageTests.get(client, browser, page)
            #expect(form.status == .ok)
            #expect(form.html.contains("Fictional A &amp; Fictional B"))
            #expect(!form.html.contains("Open high-risk flag"))
            #expect(form.html.contains(#"<option value="\#(Self.id(fixture.danaSession))" selected>"#))
            let prompt = try await Self.prompt(fixture, joint: false)
            let fields = [
                ("prompt", Self.id(prompt.id)), ("partner", "both"), ("session", Self.id(fixture.danaSession)),
                ("dueOn", "2099-01-01"), ("recurrence", "weekly"),
            ]
            let first = try await WebPageTests.post(client, browser, page, fields)
            #expect(first.status == .seeOther)
            #expect(first.location == page + "?assigned=1")
            let assigned = try await Self.assignments(fixture)
            #expect(assigned.map(\.promptTitle) == [prompt.title])
            #expect(assigned.first?.recurrence == "weekly")
            #expect(assigned.first?.partnerID == nil)
            let second = try await WebPageTests.post(client, browser, page, fields)
            #expect(second.location == page + "?assigned=1&duplicate=1")
            let warned = try await WebPageTests.get(client, browser, second.location ?? "/")
            #expect(warned.html.contains("already assigned to this partner (or the couple) and still open"))
            // The open list on /homework names the couple and links to the chart.
            let library = try await WebPageTests.get(client, browser, "/homework")
            #expect(
                library.html.contains(
                    #"<a href="/couples/\#(Self.id(fixture.danaCouple))">Fictional A &amp; Fictional B</a>"#
                )
            )
            #expect(library.html.contains(prompt.title))
        }
    }

    @Test func aJointExerciseForAHighRiskCoupleNeedsTheReasonAndARefusalKeepsTheForm() async throws {
        try await HTTPFixture.with { fixture, client in
            let auth = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            let note =
                #"{"sessionId": "\#(fixture.danaSession)", "stage": 1, "step": 2, "riskLevel": "high", "riskDetail": "Fictional.", "body": "Fictional note."}"#
            try await client.execute(uri: "/v1/notes", method: .post, headers: auth, body: ByteBuffer(string: note)) {
                #expect($0.status == .created)
            }
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = "/couples/\(Self.id(fixture.danaCouple))/homework/new"
            let form = try await WebPageTests.get(client, browser, page)
            #expect(form.html.contains("Open high-risk flag"))
            #expect(form.html.contains(#"<textarea id="riskOverrideReason" name="riskOverrideReason""#))
            let joint = try await Self.prompt(fixture, joint: true)
            let fields = [
                ("prompt", Self.id(joint.id)), ("partner", "both"), ("session", Self.id(fixture.danaSession)),
                ("dueOn", "2099-02-03"), ("recurrence", "daily"),
            ]
            let refused = try await WebPageTests.post(client, browser, page, fields)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("this couple has an open high-risk flag"))
            #expect(refused.html.contains(#"<option value="\#(Self.id(joint.id))" selected>"#))
            #expect(refused.html.contains(#"value="2099-02-03""#))
            #expect(refused.html.contains(#"<option value="daily" selected>"#))
            #expect(refused.html.contains(#"aria-invalid="true""#))
            let short = try await WebPageTests.post(
                client,
                browser,
                page,
                fields + [("riskOverrideReason", "Fictional <b>")]
            )
            #expect(short.status == .unprocessableContent)
            #expect(short.html.contains("must say why, in 20 to 1000 characters"))
            #expect(short.html.contains(">Fictional &lt;b&gt;</textarea>"))
            #expect(try await Self.assignments(fixture).isEmpty)
            let reasoned = try await WebPageTests.post(
                client,
                browser,
                page,
                fields + [("riskOverrideReason", "Fictional: safety plan reviewed with both.")]
            )
            #expect(reasoned.status == .seeOther)
            #expect(try await Self.assignments(fixture).map(\.promptTitle) == [joint.title])
        }
    }

    @Test func aPartnersResponseIsRecordedAndARefusedOneKeepsItsText() async throws {
        try await HTTPFixture.with { fixture, client in
            let prompt = try await Self.prompt(fixture, joint: false)
            let assigned = try await HomeworkService(pool: fixture.app, keys: fixture.keys).assign(
                prompt: prompt.id,
                couple: fixture.danaCouple,
                session: fixture.danaSession,
                dueOn: CalendarDate(year: 2099, month: 1, day: 1)!,
                today: CalendarDate(year: 2026, month: 12, day: 1)!,
                actor: fixture.dana
            )
            let couple = try await ChartService(pool: fixture.app, keys: fixture.keys).couple(
                fixture.danaCouple,
                actor: fixture.dana
            )
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let uri = "/homework/\(Self.id(assigned.id))/responses"
            let text = "Fictional: we named the cycle <together>."
            let refused = try await WebPageTests.post(
                client,
                browser,
                uri,
                [
                    ("couple", Self.id(fixture.danaCouple)), ("partner", Self.id(UUID())), ("completion", "completed"),
                    ("text", text),
                ]
            )
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("Not recorded"))
            #expect(refused.html.contains("Fictional: we named the cycle &lt;together&gt;.</textarea>"))
            let recorded = try await WebPageTests.post(
                client,
                browser,
                uri,
                [
                    ("couple", Self.id(fixture.danaCouple)), ("partner", Self.id(couple.partnerA)),
                    ("completion", "partly_completed"), ("text", text), ("shared", "on"),
                ]
            )
            #expect(recorded.status == .seeOther)
            #expect(recorded.location == "/couples/\(Self.id(fixture.danaCouple))/homework/new?responded=1")
            let response = try #require(try await Self.assignments(fixture).first?.responses.first)
            #expect(response.partnerID == couple.partnerA)
            #expect(response.completion == .partlyCompleted)
            #expect(response.text == text)
            #expect(response.sharedWithPartner)
            let page = try await WebPageTests.get(client, browser, recorded.location ?? "/")
            #expect(page.html.contains("Fictional: we named the cycle &lt;together&gt;."))
        }
    }

    @Test func anotherCounselorsCoupleIsTheNotFoundPageAndAFormWithoutTheTokenChangesNothing() async throws {
        try await HTTPFixture.with { fixture, client in
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let prompt = try await Self.prompt(fixture, joint: false)
            for uri in [
                "/couples/\(Self.id(fixture.samCouple))/homework/new",
                "/couples/\(Self.id(fixture.samCouple))/measures/new",
                "/couples/not-a-uuid/homework/new",
            ] {
                let answer = try await WebPageTests.get(client, browser, uri)
                #expect(answer.status == .notFound, "\(uri)")
                #expect(answer.html.contains("not in your caseload"), "\(uri)")
            }
            let fields = [
                ("prompt", Self.id(prompt.id)), ("session", Self.id(fixture.danaSession)), ("dueOn", "2099-01-01"),
            ]
            let foreign = try await WebPageTests.post(
                client,
                browser,
                "/couples/\(Self.id(fixture.samCouple))/homework/new",
                fields
            )
            #expect(foreign.status == .notFound)
            let forged = try await WebPageTests.post(
                client,
                browser,
                "/couples/\(Self.id(fixture.danaCouple))/homework/new",
                fields,
                csrf: false
            )
            #expect(forged.status == .forbidden)
            #expect(try await Self.assignments(fixture).isEmpty)
        }
    }

    @Test func theLibraryFiltersByStageCategoryAndKind() async throws {
        try await HTTPFixture.with { fixture, client in
            let library = try await HomeworkService(pool: fixture.app, keys: fixture.keys).library(actor: fixture.dana)
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let all = try await WebPageTests.get(client, browser, "/homework")
            #expect(all.status == .ok)
            #expect(all.html.contains("\(library.count) of \(library.count) prompts"))
            let joint = try await WebPageTests.get(client, browser, "/homework?stage=&category=&kind=joint")
            #expect(joint.html.contains("\(library.filter(\.joint).count) of \(library.count) prompts"))
            #expect(joint.html.contains(#"<option value="joint" selected>"#))
            let stage2 = library.filter { $0.stages.contains(.restructuring) && $0.category == library[0].category }
            let filtered = try await WebPageTests.get(
                client,
                browser,
                "/homework?stage=2&category=\(library[0].category.rawValue)&kind="
            )
            #expect(filtered.html.contains("\(stage2.count) of \(library.count) prompts"))
            // An unknown value is no filter at all, not an error.
            let unknown = try await WebPageTests.get(client, browser, "/homework?stage=9&category=%3Cscript%3E")
            #expect(unknown.html.contains("\(library.count) of \(library.count) prompts"))
            WebPageTests.expectNothingInline(unknown.html)
        }
    }

    @Test func aCSI4RecordedThroughTheFormIsScoredAsTheServiceScoresIt() async throws {
        try await HTTPFixture.with { fixture, client in
            let couple = try await ChartService(pool: fixture.app, keys: fixture.keys).couple(
                fixture.danaCouple,
                actor: fixture.dana
            )
            let browser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = "/couples/\(Self.id(fixture.danaCouple))/measures/new"
            let form = try await WebPageTests.get(client, browser, page + "?form=CSI-4")
            #expect(form.status == .ok)
            #expect(form.html.contains("Item 1 (answer 0 to 6)"))
            #expect(form.html.contains("Item 4 (answer 0 to 5)"))
            #expect(!form.html.contains("Item 5"))
            let sixteen = try await WebPageTests.get(client, browser, page + "?form=CSI-16")
            #expect(sixteen.html.contains("Item 16 (answer 0 to 5)"))
            let partner = Self.id(couple.partnerB)
            let base = [("form", "CSI-4"), ("partner", partner), ("administeredOn", "2026-10-01")]
            let refused = try await WebPageTests.post(
                client,
                browser,
                page,
                base + [("item1", "5"), ("item2", "7"), ("item3", "3"), ("item4", "2")]
            )
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("item 2 is scored 0–5"))
            #expect(
                refused.html.contains(
                    #"name="item2" type="number" inputmode="numeric" min="0" max="5" step="1" required value="7""#
                )
            )
            #expect(refused.html.contains(#"<option value="\#(partner)" selected>"#))
            #expect(refused.html.contains(#"value="2026-10-01""#))
            let items = [5, 4, 3, 2]
            let recorded = try await WebPageTests.post(
                client,
                browser,
                page,
                base + items.enumerated().map { ("item\($0.offset + 1)", "\($0.element)") }
            )
            #expect(recorded.status == .seeOther)
            let result = "/couples/\(Self.id(fixture.danaCouple))/measures?partner=\(partner)&form=CSI-4&recorded=1"
            #expect(recorded.location == result)
            let expected = try CouplesSatisfactionIndex.csi4.score(items).total
            let measures = MeasureService(pool: fixture.app, keys: fixture.keys)
            let trend = try await measures.trend(
                measure: try await measures.definitionID(code: "CSI-4", actor: fixture.dana),
                client: couple.partnerB,
                actor: fixture.dana
            )
            #expect(trend.points.map(\.total) == [Double(expected)])
            let shown = try await WebPageTests.get(client, browser, result)
            #expect(shown.status == .ok)
            #expect(shown.html.contains("\(expected) of 21 on 2026-10-01: at or above the cut-off"))
            #expect(shown.html.contains("13.5 (totals below it"))
            #expect(shown.html.contains(#"<a href="/couples/\#(Self.id(fixture.danaCouple))">Back to the chart"#))
        }
    }
}
