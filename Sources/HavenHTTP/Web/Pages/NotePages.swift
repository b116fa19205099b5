import Foundation
import HTTPTypes
import HavenCore
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// Progress notes in the browser (docs/web.md, "Notes"): the editor on a completed session with
    /// its draft saved by form or by the autosave script, signing behind a confirmation, addenda,
    /// the supervisor's co-sign queue, and psychotherapy notes on pages of their own. Every write is
    /// the `/v1` route's `NoteService` or `PsychotherapyNoteService` call.
    func addNotePages(to web: RouterGroup<HavenRequestContext>) {
        let notes = NoteService(pool: pool, keys: keys)
        web.get("/sessions/{id}/note") { request, context in
            let user = try SignedIn(request, context)
            let desk = try await self.noteDesk(session: try Self.pageID("id", context), actor: user.actor)
            if let note = desk.note, note.signed { return WebPage.redirect(to: "/notes/\(Self.text(note.id))") }
            return Self.editorPage(desk, user: user, fields: desk.note.map { NoteFields($0.draft) } ?? NoteFields())
        }
        web.post("/sessions/{id}/note") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            let fields = NoteFields(form)
            let user = try SignedIn(request, context)
            let sessionID = try Self.pageID("id", context)
            do {
                _ = try await self.saveDraft(fields, form: form, session: sessionID, actor: user.actor)
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                let desk = try await self.noteDesk(session: sessionID, actor: user.actor)
                return Self.editorPage(desk, user: user, fields: fields, form: form, refusal: error)
            }
            let next = form["action"] == "review" ? "/note/sign" : "/note"
            return WebPage.redirect(to: "/sessions/\(Self.text(sessionID))\(next)")
        }
        web.post("/sessions/{id}/note/autosave") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            guard context.actor != nil else {
                return Self.json(
                    [
                        "error":
                            "You were signed out, so this draft was not saved. Copy your text, sign in, and paste it."
                    ],
                    status: .unauthorized
                )
            }
            let user = try SignedIn(request, context)
            do {
                let saved = try await self.saveDraft(
                    NoteFields(form),
                    form: form,
                    session: try Self.pageID("id", context),
                    actor: user.actor
                )
                return Self.json(["note": Self.text(saved.id), "version": String(saved.version)])
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                var answer = ["error": error.description]
                if let current = error.currentVersion {
                    answer["error"] = Self.conflictText
                    answer["currentVersion"] = String(current)
                }
                return Self.json(answer, status: error.kind == .conflict ? .conflict : .unprocessableContent)
            }
        }
        web.get("/sessions/{id}/note/sign") { request, context in
            let user = try SignedIn(request, context)
            let sessionID = try Self.pageID("id", context)
            let desk = try await self.noteDesk(session: sessionID, actor: user.actor)
            guard let note = desk.note else { return WebPage.redirect(to: "/sessions/\(Self.text(sessionID))/note") }
            if note.signed { return WebPage.redirect(to: "/notes/\(Self.text(note.id))") }
            return Self.signPage(desk, note: note, user: user)
        }
        web.post("/sessions/{id}/note/sign") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            let user = try SignedIn(request, context)
            let sessionID = try Self.pageID("id", context)
            guard let noteID = form["note"].flatMap(UUID.init(uuidString:)),
                let version = form["version"].flatMap(Int.init)
            else { return WebPage.redirect(to: "/sessions/\(Self.text(sessionID))/note") }
            let signature: NoteService.Signature
            do {
                signature = try await notes.sign(noteID, expectedVersion: version, actor: user.actor)
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                let desk = try await self.noteDesk(session: sessionID, actor: user.actor)
                guard let note = desk.note, !note.signed else { throw error }
                let message = error.currentVersion != nil ? Self.conflictText : error.description
                return Self.signPage(desk, note: note, user: user, error: message, status: .conflict)
            }
            let pending = signature.cosignaturePending ? "?cosignature=pending" : ""
            return WebPage.redirect(to: "/notes/\(Self.text(noteID))\(pending)")
        }
        web.get("/notes/{id}") { request, context in
            let user = try SignedIn(request, context)
            let noteID = try Self.pageID("id", context)
            let note = try await notes.note(noteID, actor: user.actor)
            if !note.signed && note.authorID == user.actor.staffID {
                return WebPage.redirect(to: "/sessions/\(Self.text(note.sessionID))/note")
            }
            let pending = request.uri.queryParameters.get("cosignature") == "pending"
            return try await self.notePage(note, user: user, cosignaturePending: pending)
        }
        web.post("/notes/{id}/addenda") { request, context in
            var request = request
            let form = try await WebForm(request: &request)
            let reason = form["reason"] ?? ""
            let text = form["text"] ?? ""
            let user = try SignedIn(request, context)
            let noteID = try Self.pageID("id", context)
            do {
                _ = try await notes.addAddendum(to: noteID, reason: reason, text: text, actor: user.actor)
            } catch let error as ServiceError where error.kind == .invalidInput || error.kind == .conflict {
                let note = try await notes.note(noteID, actor: user.actor)
                return try await self.notePage(
                    note,
                    user: user,
                    addendum: (error.description, reason, text),
                    status: .unprocessableContent
                )
            }
            return WebPage.redirect(to: "/notes/\(Self.text(noteID))")
        }
        web.post("/notes/{id}/cosign") { request, context in
            let user = try SignedIn(request, context)
            try await notes.cosign(try Self.pageID("id", context), actor: user.actor)
            return WebPage.redirect(to: "/cosign")
        }
        web.get("/cosign") { request, context in
            let user = try SignedIn(request, context)
            let day = try await TodayService(pool: pool).day(actor: user.actor)
            let zone = TimeZone(identifier: day.timeZone) ?? .gmt
            let format = Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: zone)
            let view = CosignQueueView(
                chrome: user.chrome("Co-sign", section: "/cosign"),
                rows: day.toCosign.map {
                    CosignQueueView.Row(
                        noteID: Self.text($0.id),
                        when: $0.sessionStart.formatted(format),
                        names: $0.chart.names.joined(separator: " & "),
                        author: $0.authorName,
                        signed: $0.signedAt.map { "signed \($0.formatted(format))" } ?? ""
                    )
                }
            )
            return WebPage.html(WebTemplates.render(view, template: "cosign"))
        }
        addPsychotherapyNotePages(to: web)
    }

    /// Psychotherapy notes: a form on a chart, and the note's own page, which only its author opens
    /// (anyone else gets the 404 page: `PsychotherapyNoteService.read` says not found).
    private func addPsychotherapyNotePages(to web: RouterGroup<HavenRequestContext>) {
        let service = PsychotherapyNoteService(pool: pool, keys: keys)
        for kind in ["couples", "clients"] {
            web.get("/\(kind)/{id}/psychotherapy-notes/new") { request, context in
                let user = try SignedIn(request, context)
                let id = try Self.pageID("id", context)
                let view = PsychotherapyNotePage(
                    chrome: user.chrome("Psychotherapy note", section: "/caseload"),
                    action: "/\(kind)/\(Self.text(id))/psychotherapy-notes"
                )
                return WebPage.html(WebTemplates.render(view, template: "psychotherapy-note-new"))
            }
            web.post("/\(kind)/{id}/psychotherapy-notes") { request, context in
                var request = request
                let form = try await WebForm(request: &request)
                let body = form["body"] ?? ""
                let user = try SignedIn(request, context)
                let id = try Self.pageID("id", context)
                let chart: ChartReference = kind == "couples" ? .couple(id) : .client(id)
                do {
                    let note = try await service.write(body, chart: chart, actor: user.actor)
                    return WebPage.redirect(to: "/psychotherapy-notes/\(Self.text(note))")
                } catch let error as ServiceError where error.kind == .invalidInput {
                    let view = PsychotherapyNotePage(
                        chrome: user.chrome("Psychotherapy note", section: "/caseload"),
                        action: "/\(kind)/\(Self.text(id))/psychotherapy-notes",
                        error: error.description,
                        body: body
                    )
                    return WebPage.html(
                        WebTemplates.render(view, template: "psychotherapy-note-new"),
                        status: .unprocessableContent
                    )
                }
            }
        }
        web.get("/psychotherapy-notes/{id}") { request, context in
            let user = try SignedIn(request, context)
            let body = try await service.read(try Self.pageID("id", context), actor: user.actor)
            let view = PsychotherapyNotePage(
                chrome: user.chrome("Psychotherapy note", section: "/caseload"),
                body: body
            )
            return WebPage.html(WebTemplates.render(view, template: "psychotherapy-note"))
        }
    }

    // MARK: - What the pages read

    /// A session as the note pages need it: the session, the practice's time zone, the chart's
    /// people (for steps 5–7), and the actor's own note on it (their signed one, else their latest
    /// draft), each read through the service the `/v1` routes use.
    struct NoteDesk {
        var session: SessionService.Listing
        var zone: TimeZone
        var partners: [(id: UUID, name: String)]
        var note: NoteService.Note?
    }

    func noteDesk(session sessionID: UUID, actor: StaffActor) async throws -> NoteDesk {
        let session = try await SessionService(pool: pool, keys: keys).show(session: sessionID, actor: actor)
        let practice = try await PracticeService(pool: pool).practice(actor: actor)
        let partners: [(id: UUID, name: String)]
        switch session.chart {
        case .couple(let id):
            let couple = try await ChartService(pool: pool, keys: keys).couple(id, actor: actor)
            partners = [(couple.partnerA, couple.partnerAName), (couple.partnerB, couple.partnerBName)]
        case .client(let id):
            partners = [(id, session.chartName)]
        }
        let notes = NoteService(pool: pool, keys: keys)
        let mine = try await notes.list(chart: session.chart, actor: actor).filter {
            $0.sessionID == sessionID && $0.authorID == actor.staffID
        }
        let note = try await (mine.first(where: \.signed) ?? mine.last).asyncMap {
            try await notes.note($0.id, actor: actor)
        }
        return NoteDesk(
            session: session,
            zone: TimeZone(identifier: practice.timeZone) ?? .gmt,
            partners: partners,
            note: note
        )
    }

    /// Writes the form's draft: a new note when the form has none yet, else an edit of the version
    /// the form was based on (the API's `If-Match`).
    func saveDraft(
        _ fields: NoteFields,
        form: WebForm,
        session: UUID,
        actor: StaffActor
    ) async throws -> (id: UUID, version: Int) {
        let notes = NoteService(pool: pool, keys: keys)
        let draft = try fields.draft()
        guard let noteID = form["note"].flatMap(UUID.init(uuidString:)) else {
            return try await notes.writeDraft(draft, session: session, actor: actor)
        }
        guard let version = form["version"].flatMap(Int.init) else {
            throw ServiceError(.invalidInput, field: "version", "the form lost the note's version; reload the page")
        }
        return (noteID, try await notes.editDraft(noteID, expectedVersion: version, draft: draft, actor: actor))
    }

    // MARK: - Pages

    /// What a stale version says, on the page and in the autosave answer.
    static let conflictText =
        "Another tab or window saved this note first. Nothing of yours was lost: your text is still here."

    static func editorPage(
        _ desk: NoteDesk,
        user: SignedIn,
        fields: NoteFields,
        form: WebForm? = nil,
        refusal: ServiceError? = nil
    ) -> Response {
        let sessionID = text(desk.session.id)
        var view = NoteEditorView(
            chrome: user.chrome("Progress note", section: "/today"),
            sessionID: sessionID,
            heading: NoteSessionHeading(desk.session, zone: desk.zone)
        )
        guard desk.session.status == SessionStatus.completed.rawValue else {
            view.notCompleted =
                "Notes are written on completed sessions; this one is \(NoteChoices.words(desk.session.status).lowercased()). "
                + "Mark it completed in the calendar first, then come back to write the note."
            return WebPage.html(WebTemplates.render(view, template: "note-editor"), status: .ok)
        }
        // After a refusal the form keeps what was typed and the ids it was based on; on a stale
        // version it moves to the version now current, so saving again replaces it knowingly.
        var noteID = desk.note.map { text($0.id) } ?? ""
        var version = desk.note.map { String($0.version) } ?? ""
        if let form {
            noteID = form["note"] ?? noteID
            version = form["version"] ?? version
        }
        if let current = refusal?.currentVersion { version = String(current) }
        let chart = desk.session.chart
        view.form = NoteEditorView.Form(
            noteID: noteID,
            version: version,
            savedText: desk.note.map { "Draft saved, version \($0.version)." } ?? "Not saved yet.",
            error: refusal.flatMap { $0.currentVersion == nil ? $0.description : nil },
            conflictVersion: refusal?.currentVersion.map(String.init),
            controls: fields.controls(partners: desk.partners),
            psychotherapyHref:
                "/\(chart.kind == "couple" ? "couples" : "clients")/\(text(chart.id))/psychotherapy-notes/new"
        )
        let status: HTTPResponse.Status =
            refusal == nil ? .ok : refusal?.kind == .conflict ? .conflict : .unprocessableContent
        return WebPage.html(WebTemplates.render(view, template: "note-editor"), status: status)
    }

    static func signPage(
        _ desk: NoteDesk,
        note: NoteService.Note,
        user: SignedIn,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let view = NoteSignView(
            chrome: user.chrome("Sign the note", section: "/today"),
            sessionID: text(desk.session.id),
            heading: NoteSessionHeading(desk.session, zone: desk.zone),
            noteID: text(note.id),
            version: String(note.version),
            error: error,
            summary: NoteSummary(note.draft, partners: desk.partners)
        )
        return WebPage.html(WebTemplates.render(view, template: "note-sign"), status: status)
    }

    func notePage(
        _ note: NoteService.Note,
        user: SignedIn,
        cosignaturePending: Bool = false,
        addendum: (error: String, reason: String, text: String)? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let notes = NoteService(pool: pool, keys: keys)
        let addenda = note.signed ? try await notes.addenda(of: note.id, actor: user.actor) : []
        let practice = try await PracticeService(pool: pool).practice(actor: user.actor)
        let zone = TimeZone(identifier: practice.timeZone) ?? .gmt
        let format = Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: zone)
        // The heading is decoration: a reader who may open the note but not the session's schedule
        // row still reads the note.
        let session = try? await SessionService(pool: pool, keys: keys).show(session: note.sessionID, actor: user.actor)
        let view = NotePageView(
            chrome: user.chrome("Progress note", section: "/today"),
            noteID: Self.text(note.id),
            heading: session.map { NoteSessionHeading($0, zone: zone) },
            stateText: note.signed ? "Signed" : "Draft (by \(note.authorName))",
            signedText: note.signedAt.map { "Signed by \(note.authorName), \($0.formatted(format))" },
            contentHash: note.contentHash.map(Hex.encode),
            cosignatureText: note.cosignature.map {
                "Co-signed by \($0.supervisorName), \($0.cosignedAt.formatted(format))"
            },
            cosignaturePending: cosignaturePending && note.cosignature == nil,
            canCosign: note.signed && note.cosignature == nil && user.actor.roles.contains(.supervisor)
                && note.authorID != user.actor.staffID,
            signed: note.signed,
            summary: NoteSummary(note.draft, partners: []),
            addenda: addenda.map {
                NotePageView.AddendumRow(
                    when: $0.createdAt.formatted(format),
                    author: $0.authorName,
                    reason: $0.reason,
                    text: $0.text
                )
            },
            addendumError: addendum?.error,
            addendumReason: addendum?.reason ?? "",
            addendumText: addendum?.text ?? ""
        )
        return WebPage.html(WebTemplates.render(view, template: "note"), status: status)
    }

    /// A small JSON answer for the autosave script.
    static func json(_ fields: [String: String], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
