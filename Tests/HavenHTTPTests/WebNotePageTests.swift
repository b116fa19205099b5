import Foundation
import HTTPTypes
import HavenCore
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Sealing
import Testing

@Suite("The note pages: editor, autosave, signing, addenda, co-sign queue, psychotherapy notes", .needsTestDatabase)
struct WebNotePageTests {
    typealias Browser = WebPageTests.Browser

    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// The note form's fields for stage 1, step 2, with `body`.
    static func noteFields(_ body: String, note: UUID? = nil, version: Int? = nil) -> [(String, String)] {
        [
            ("note", note.map(text) ?? ""), ("version", version.map(String.init) ?? ""), ("stage", "1"),
            ("step", "2"), ("stepPartner", ""), ("interventions.validating", "on"),
            ("changeEvents.cycle_deescalated", "on"), ("riskLevel", "low"),
            ("riskDetail", "Fictional risk detail"), ("body", body), ("action", "save"),
        ]
    }

    /// The actor's notes on a chart, read back through the service.
    static func notes(
        _ fixture: HTTPFixture,
        _ chart: ChartReference,
        _ actor: StaffActor
    ) async throws
        -> [NoteService.Note]
    {
        let service = NoteService(pool: fixture.app, keys: fixture.keys)
        var notes: [NoteService.Note] = []
        for listing in try await service.list(chart: chart, actor: actor) {
            notes.append(try await service.note(listing.id, actor: actor))
        }
        return notes
    }

    @Test func aDraftSavedThroughTheFormReadsBackSealedAndEscaped() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = "/sessions/\(Self.text(fixture.danaSession))/note"
            let editor = try await WebPageTests.get(client, dana, page)
            #expect(editor.status == .ok)
            #expect(editor.html.contains(#"<select id="stage" name="stage">"#))
            #expect(
                editor.html.contains(
                    #"<optgroup label="Stage 2 — Restructuring interactional positions" data-stage="2">"#
                )
            )
            #expect(editor.html.contains(#"<label for="interventions-reflecting-emotion">Reflecting emotion</label>"#))
            // The shared autosave script loads first: note-editor.js calls it.
            let autosave = try #require(editor.html.range(of: #"<script src="/static/autosave.js?v="#))
            let script = try #require(editor.html.range(of: #"<script src="/static/note-editor.js?v="#))
            #expect(autosave.lowerBound < script.lowerBound)
            #expect(!editor.html.contains("<script>") && !editor.html.contains("style="))
            let text = #"Fictional note <script>alert("x")</script> & more"#
            let saved = try await WebPageTests.post(client, dana, page, Self.noteFields(text))
            #expect(saved.status == .seeOther)
            #expect(saved.location == page)
            let notes = try await Self.notes(fixture, .couple(fixture.danaCouple), fixture.dana)
            let note = try #require(notes.first)
            #expect(notes.count == 1)
            #expect(note.draft.body == text)
            #expect(note.draft.interventions == [.validating])
            #expect(note.draft.changeEvents == [.cycleDeescalated])
            #expect(note.draft.riskLevel == .low)
            #expect(note.draft.riskDetail == "Fictional risk detail")
            #expect(note.version == 1 && !note.signed)
            // Sealed at rest: the stored body is not the text.
            let stored = try await fixture.owner.withConnection { connection in
                try await connection.query("SELECT body FROM progress_notes WHERE id = \(note.id)").singleRow()?
                    .decode(0, as: [UInt8].self)
            }
            #expect(try #require(stored).count > 0)
            #expect(String(decoding: try #require(stored), as: UTF8.self).contains("Fictional note") == false)
            // Shown back escaped, in the form, with its version.
            let reopened = try await WebPageTests.get(client, dana, page)
            #expect(
                reopened.html.contains("Fictional note &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more")
            )
            #expect(!reopened.html.contains("<script>alert"))
            #expect(reopened.html.contains(#"name="version" value="1""#))
            #expect(reopened.html.contains(#"<option value="low" selected>"#))
            // No clinical text in the paths the pages link, nor in the server's log of these requests.
            #expect(!(saved.location ?? "").contains("Fictional"))
            #expect(fixture.logs.entries.contains { $0.message == "request" && $0.metadata["method"] == "POST" })
            #expect(!fixture.logs.entries.contains { $0.fullText.contains("Fictional") })
        }
    }

    @Test func aSessionNotCompletedSaysWhatToDo() async throws {
        try await HTTPFixture.with { fixture, client in
            let session = try await SessionService(pool: fixture.app, keys: fixture.keys).schedule(
                .couple(fixture.danaCouple),
                start: Date().addingTimeInterval(86_400),
                durationMinutes: 50,
                format: .video,
                actor: fixture.dana
            )
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = try await WebPageTests.get(client, dana, "/sessions/\(Self.text(session))/note")
            #expect(page.status == .ok)
            #expect(page.html.contains("Mark it completed in the calendar first"))
            #expect(!page.html.contains(#"id="note-form""#))
        }
    }

    @Test func aStaleVersionIsAConflictPageThatKeepsTheText() async throws {
        try await HTTPFixture.with { fixture, client in
            let service = NoteService(pool: fixture.app, keys: fixture.keys)
            let (id, _) = try await service.writeDraft(
                .init(stage: 1, step: 1, body: "Fictional first tab"),
                session: fixture.danaSession,
                actor: fixture.dana
            )
            // Another tab saves version 2.
            _ = try await service.editDraft(
                id,
                expectedVersion: 1,
                draft: .init(stage: 1, step: 1, body: "Fictional other tab"),
                actor: fixture.dana
            )
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let page = "/sessions/\(Self.text(fixture.danaSession))/note"
            let stale = try await WebPageTests.post(
                client,
                dana,
                page,
                Self.noteFields("Fictional text typed in this tab", note: id, version: 1)
            )
            #expect(stale.status == .conflict)
            #expect(stale.html.contains("Another tab or window saved this note first"))
            #expect(stale.html.contains("Fictional text typed in this tab"))
            #expect(stale.html.contains("Fictional risk detail"))
            #expect(stale.html.contains(#"name="version" value="2""#))
            let note = try await service.note(id, actor: fixture.dana)
            #expect(note.version == 2)
            #expect(note.draft.body == "Fictional other tab")
            // A refused draft (a step outside its stage) keeps the text too.
            var fields = Self.noteFields("Fictional kept on refusal", note: id, version: 2)
            fields[3] = ("step", "7")
            let refused = try await WebPageTests.post(client, dana, page, fields)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("Fictional kept on refusal"))
            #expect(refused.html.contains("step 7 belongs to stage 2"))
            #expect(try await service.note(id, actor: fixture.dana).version == 2)
        }
    }

    @Test func signingFreezesTheNoteAndAnAddendumFollows() async throws {
        try await HTTPFixture.with { fixture, client in
            let service = NoteService(pool: fixture.app, keys: fixture.keys)
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let session = "/sessions/\(Self.text(fixture.danaSession))"
            let saved = try await WebPageTests.post(
                client,
                dana,
                "\(session)/note",
                Self.noteFields("Fictional note to sign").map { $0.0 == "action" ? ("action", "review") : $0 }
            )
            #expect(saved.location == "\(session)/note/sign")
            let note = try #require(try await Self.notes(fixture, .couple(fixture.danaCouple), fixture.dana).first)
            let confirm = try await WebPageTests.get(client, dana, "\(session)/note/sign")
            #expect(confirm.status == .ok)
            #expect(confirm.html.contains("can no longer be changed"))
            #expect(confirm.html.contains("addendum"))
            #expect(confirm.html.contains("Fictional note to sign"))
            let signed = try await WebPageTests.post(
                client,
                dana,
                "\(session)/note/sign",
                [("note", Self.text(note.id)), ("version", "1")]
            )
            #expect(signed.status == .seeOther)
            #expect(signed.location == "/notes/\(Self.text(note.id))")
            #expect(try await service.note(note.id, actor: fixture.dana).signed)
            // The editor now opens the signed note; an edit is refused and changes nothing.
            #expect(
                try await WebPageTests.get(client, dana, "\(session)/note").location == "/notes/\(Self.text(note.id))"
            )
            let edit = try await WebPageTests.post(
                client,
                dana,
                "\(session)/note",
                Self.noteFields("Fictional late change", note: note.id, version: 1)
            )
            #expect(edit.status == .conflict)
            #expect(edit.html.contains("the note is signed; add an addendum instead"))
            #expect(edit.html.contains("Fictional late change"))
            let after = try await service.note(note.id, actor: fixture.dana)
            #expect(after.draft.body == "Fictional note to sign" && after.version == 1)
            // An addendum on the signed note's page.
            let notePage = "/notes/\(Self.text(note.id))"
            #expect(try await WebPageTests.get(client, dana, notePage).html.contains("Add an addendum"))
            let empty = try await WebPageTests.post(
                client,
                dana,
                "\(notePage)/addenda",
                [("reason", "Fictional reason"), ("text", " ")]
            )
            #expect(empty.status == .unprocessableContent)
            #expect(empty.html.contains(#"value="Fictional reason""#))
            let added = try await WebPageTests.post(
                client,
                dana,
                "\(notePage)/addenda",
                [("reason", "Fictional late entry"), ("text", "Fictional <b>addendum</b>")]
            )
            #expect(added.status == .seeOther && added.location == notePage)
            let addenda = try await service.addenda(of: note.id, actor: fixture.dana)
            #expect(addenda.map(\.text) == ["Fictional <b>addendum</b>"])
            let shown = try await WebPageTests.get(client, dana, notePage)
            #expect(shown.html.contains("Fictional &lt;b&gt;addendum&lt;/b&gt;"))
            #expect(shown.html.contains("Fictional late entry"))
        }
    }

    @Test func aSupervisorCosignsFromTheQueue() async throws {
        try await HTTPFixture.with { fixture, client in
            let staff = StaffService(
                pool: fixture.owner,
                hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
            )
            let lee = try await staff.createStaff(
                .init(
                    email: "lee@harbor.example",
                    displayName: "Lee Fictional",
                    roles: [.counselor],
                    preLicensed: true,
                    password: HTTPFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            let pat = try await staff.createStaff(
                .init(
                    email: "pat@harbor.example",
                    displayName: "Pat Fictional",
                    roles: [.counselor, .supervisor],
                    password: HTTPFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            try await staff.addSupervision(
                supervisor: pat,
                supervisee: lee,
                practiceID: fixture.practiceID,
                source: "test"
            )
            let leeActor = try await staff.openSession(for: lee, practiceID: fixture.practiceID, source: "test")
            let charts = ChartService(pool: fixture.app, keys: fixture.keys)
            let intake = CalendarDate(year: 2026, month: 9, day: 1)!
            let a = try await charts.createClient(
                .init(legalName: "Fictional Cleo", intakeDate: intake),
                actor: leeActor
            )
            let b = try await charts.createClient(
                .init(legalName: "Fictional Dev", intakeDate: intake),
                actor: leeActor
            )
            let couple = try await charts.createCouple(
                partnerA: a,
                partnerB: b,
                startDate: intake,
                presentingConcerns: "Fictional concerns.",
                actor: leeActor
            )
            let sessions = SessionService(pool: fixture.app, keys: fixture.keys)
            let session = try await sessions.schedule(
                .couple(couple),
                start: Date(timeIntervalSince1970: 1_790_100_000),
                durationMinutes: 50,
                format: .video,
                actor: leeActor
            )
            try await sessions.setStatus(.completed, session: session, actor: leeActor)
            let leeBrowser = try await WebPageTests.signIn(client, "lee@harbor.example")
            let path = "/sessions/\(Self.text(session))/note"
            // Steps 5–7 record the partner: Lee picks Cleo.
            var fields = Self.noteFields("Fictional supervised note")
            fields[2] = ("stage", "2")
            fields[3] = ("step", "5")
            fields[4] = ("stepPartner", Self.text(a))
            #expect(try await WebPageTests.post(client, leeBrowser, path, fields).status == .seeOther)
            let note = try #require(try await Self.notes(fixture, .couple(couple), leeActor).first)
            #expect(note.draft.stepPartnerID == a)
            let signed = try await WebPageTests.post(
                client,
                leeBrowser,
                "\(path)/sign",
                [("note", Self.text(note.id)), ("version", "1")]
            )
            #expect(signed.location == "/notes/\(Self.text(note.id))?cosignature=pending")
            let pending = try await WebPageTests.get(client, leeBrowser, try #require(signed.location))
            #expect(pending.html.contains("waits for your supervisor"))
            let patBrowser = try await WebPageTests.signIn(client, "pat@harbor.example")
            let queue = try await WebPageTests.get(client, patBrowser, "/cosign")
            #expect(queue.status == .ok)
            #expect(queue.html.contains("Fictional Cleo &amp; Fictional Dev"))
            #expect(queue.html.contains(#"action="/notes/\#(Self.text(note.id))/cosign""#))
            let opened = try await WebPageTests.get(client, patBrowser, "/notes/\(Self.text(note.id))")
            #expect(opened.status == .ok)
            #expect(opened.html.contains("Fictional supervised note"))
            #expect(opened.html.contains("Co-sign this note"))
            let cosigned = try await WebPageTests.post(client, patBrowser, "/notes/\(Self.text(note.id))/cosign", [])
            #expect(cosigned.status == .seeOther && cosigned.location == "/cosign")
            let read = try await NoteService(pool: fixture.app, keys: fixture.keys).note(note.id, actor: leeActor)
            #expect(read.cosignature?.supervisorName == "Pat Fictional")
            #expect(
                try await WebPageTests.get(client, patBrowser, "/cosign").html.contains(
                    "Nothing awaits your co-signature"
                )
            )
            // A counselor's navigation has no co-sign section.
            #expect(!(try await WebPageTests.get(client, leeBrowser, "/today").html.contains(#"href="/cosign""#)))
        }
    }

    @Test func aPsychotherapyNoteIsItsAuthorsAlone() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let sam = try await WebPageTests.signIn(client, "sam@harbor.example")
            let form = try await WebPageTests.get(
                client,
                dana,
                "/couples/\(Self.text(fixture.danaCouple))/psychotherapy-notes/new"
            )
            #expect(form.status == .ok && form.html.contains("Only you can read them"))
            let written = try await WebPageTests.post(
                client,
                dana,
                "/couples/\(Self.text(fixture.danaCouple))/psychotherapy-notes",
                [("body", "Fictional private process note")]
            )
            #expect(written.status == .seeOther)
            let page = try #require(written.location)
            #expect(page.hasPrefix("/psychotherapy-notes/"))
            let own = try await WebPageTests.get(client, dana, page)
            #expect(own.status == .ok && own.html.contains("Fictional private process note"))
            let other = try await WebPageTests.get(client, sam, page)
            #expect(other.status == .notFound)
            #expect(!other.html.contains("Fictional private process note"))
            // Nor does it show in the author's note editor, nor may Sam open Dana's session.
            let editor = try await WebPageTests.get(client, dana, "/sessions/\(Self.text(fixture.danaSession))/note")
            #expect(!editor.html.contains("Fictional private process note"))
            #expect(
                try await WebPageTests.get(client, sam, "/sessions/\(Self.text(fixture.danaSession))/note").status
                    == .notFound
            )
            // Sam cannot write one on Dana's couple either.
            let refused = try await WebPageTests.post(
                client,
                sam,
                "/couples/\(Self.text(fixture.danaCouple))/psychotherapy-notes",
                [("body", "Fictional intrusion")]
            )
            #expect(refused.status == .notFound)
        }
    }

    @Test func theAutosaveEndpointAnswersJSONAndNeedsTheToken() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let autosave = "/sessions/\(Self.text(fixture.danaSession))/note/autosave"
            func decode(_ answer: WebPageTests.Answer) throws -> [String: String] {
                (try JSONSerialization.jsonObject(with: Data(answer.html.utf8)) as? [String: String]) ?? [:]
            }
            let first = try await WebPageTests.post(client, dana, autosave, Self.noteFields("Fictional autosaved"))
            #expect(first.status == .ok)
            #expect(first.contentType == "application/json")
            let created = try decode(first)
            #expect(created["version"] == "1")
            let id = try #require(created["note"].flatMap(UUID.init(uuidString:)))
            let second = try await WebPageTests.post(
                client,
                dana,
                autosave,
                Self.noteFields("Fictional autosaved again", note: id, version: 1)
            )
            #expect(try decode(second)["version"] == "2")
            let stale = try await WebPageTests.post(
                client,
                dana,
                autosave,
                Self.noteFields("Fictional stale tab", note: id, version: 1)
            )
            #expect(stale.status == .conflict)
            #expect(try decode(stale)["currentVersion"] == "2")
            #expect(try decode(stale)["error"]?.contains("Another tab") == true)
            let forged = try await WebPageTests.post(
                client,
                dana,
                autosave,
                Self.noteFields("Fictional forged", note: id, version: 2),
                csrf: false
            )
            #expect(forged.status == .forbidden)
            let note = try await NoteService(pool: fixture.app, keys: fixture.keys).note(id, actor: fixture.dana)
            #expect(note.version == 2 && note.draft.body == "Fictional autosaved again")
            // The script that posts it is served same-origin and sets the sign-out hook.
            try await client.execute(uri: "/static/note-editor.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(String(buffer: response.body).contains("window.havenBeforeSignOut"))
            }
        }
    }

    @Test func aNoteFormPostedAfterTheSessionLapsedComesBackWithItsText() async throws {
        try await HTTPFixture.with { fixture, client in
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            let token = try #require(dana.cookies["__Host-haven-session"])
            // The session ends elsewhere (the API here; the idle timeout in life).
            try await client.execute(
                uri: "/v1/auth/sessions/current",
                method: .delete,
                headers: HTTPFixture.bearer(token)
            ) { _ in }
            let page = "/sessions/\(Self.text(fixture.danaSession))/note"
            let lapsed = try await WebPageTests.post(
                client,
                dana,
                page,
                Self.noteFields("Fictional <i>unsaved</i> words")
            )
            #expect(lapsed.status == .unauthorized)
            #expect(lapsed.html.contains("Fictional &lt;i&gt;unsaved&lt;/i&gt; words"))
            #expect(lapsed.html.contains("Copy your text, sign in"))
            #expect(lapsed.html.contains(#"action="/sign-in""#))
            #expect(try await Self.notes(fixture, .couple(fixture.danaCouple), fixture.dana).isEmpty)
            let addendum = try await WebPageTests.post(
                client,
                dana,
                "/notes/\(Self.text(UUID()))/addenda",
                [("reason", "Fictional reason"), ("text", "Fictional unsent addendum")]
            )
            #expect(addendum.status == .unauthorized)
            #expect(addendum.html.contains("Fictional unsent addendum"))
            // The autosave script asks for JSON (note-editor.js) and gets it, without the text.
            let json = try await client.execute(
                uri: "\(page)/autosave",
                method: .post,
                headers: WebPageTests.formHeaders(dana, extra: [.accept: "application/json"]),
                body: WebPageTests.form([("csrf", dana.csrf)] + Self.noteFields("Fictional unsaved"))
            ) { response in (status: response.status, html: String(buffer: response.body)) }
            #expect(json.status == .unauthorized)
            #expect(!json.html.contains("Fictional"))
        }
    }
}
