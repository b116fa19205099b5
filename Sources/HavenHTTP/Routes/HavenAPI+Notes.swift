import Foundation
import HTTPTypes
import HavenCore
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// A draft as clients send it: the session (on create), EFT stage and step, tags, risk, body.
    public struct DraftBody: Codable, Sendable {
        public var sessionId: UUID?
        public var stage: Int
        public var step: Int
        public var stepPartnerId: UUID?
        public var interventions: [String]?
        public var tangoMoves: [String]?
        public var changeEvents: [String]?
        /// `none`, `low`, `moderate` or `high`; a draft may lack it, signing needs it.
        public var riskLevel: String?
        public var riskDetail: String?
        public var body: String

        public init(
            sessionId: UUID? = nil,
            stage: Int,
            step: Int,
            stepPartnerId: UUID? = nil,
            interventions: [String]? = nil,
            tangoMoves: [String]? = nil,
            changeEvents: [String]? = nil,
            riskLevel: String? = nil,
            riskDetail: String? = nil,
            body: String
        ) {
            self.sessionId = sessionId
            self.stage = stage
            self.step = step
            self.stepPartnerId = stepPartnerId
            self.interventions = interventions
            self.tangoMoves = tangoMoves
            self.changeEvents = changeEvents
            self.riskLevel = riskLevel
            self.riskDetail = riskDetail
            self.body = body
        }

        func draft() throws -> NoteService.Draft {
            do {
                return NoteService.Draft(
                    stage: stage,
                    step: step,
                    stepPartnerID: stepPartnerId,
                    interventions: try (interventions ?? []).map(Intervention.parse),
                    tangoMoves: try (tangoMoves ?? []).map(TangoMove.parse),
                    changeEvents: try (changeEvents ?? []).map(ChangeEvent.parse),
                    riskLevel: try riskLevel.map(RiskLevel.parse),
                    riskDetail: riskDetail,
                    body: body
                )
            } catch let error as DomainError {
                throw ServiceError(.invalidInput, field: error.field, error.message)
            }
        }
    }

    /// `GET /v1/notes/{noteId}`'s answer (the CLI decodes the same type). Ids are lowercase UUID text.
    public struct NoteView: Codable, Sendable {
        public var id: String
        public var sessionId: String
        public var authorId: String
        /// `draft` or `signed`.
        public var state: String
        public var version: Int
        public var stage: Int
        public var step: Int
        public var stepPartnerId: String?
        public var interventions: [String]
        public var tangoMoves: [String]
        public var changeEvents: [String]
        /// Absent on a draft whose risk level is not recorded yet.
        public var riskLevel: String?
        public var riskDetail: String?
        public var body: String
        /// SHA-256 of the signed content, hex; absent on drafts.
        public var contentHash: String?
        /// The author's display name.
        public var authorName: String?
        /// When the note was signed; absent on drafts.
        public var signedAt: Date?
        /// The supervisor's co-signature; absent until a supervisor co-signs.
        public var cosignature: CosignatureView?
    }

    /// A co-signature as the API shows it: the supervisor (id and name) and when they co-signed.
    public struct CosignatureView: Codable, Sendable {
        public var supervisorId: String
        public var supervisorName: String
        public var cosignedAt: Date
    }

    /// What a note write or edit answers: the note's id and its new version (also its ETag).
    public struct Written: Codable, Sendable {
        public var id: String
        public var version: Int
    }

    /// What signing a note answers: its id and the SHA-256 content hash (hex) recorded with it.
    public struct Signed: Codable, Sendable {
        public var id: String
        public var contentHash: String
        /// The author is pre-licensed: the note awaits a supervisor's co-signature.
        public var cosignaturePending: Bool
    }

    func addNotes(to v1: RouterGroup<HavenRequestContext>) {
        let notes = NoteService(pool: pool, keys: keys)
        v1.post("/notes") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(DraftBody.self, from: request, context: context)
            guard let session = body.sessionId else {
                throw ServiceError(.invalidInput, field: "sessionId", "is required when writing a note")
            }
            let (id, version) = try await notes.writeDraft(try body.draft(), session: session, actor: actor)
            var headers = HTTPFields()
            headers[.eTag] = "\"\(version)\""
            headers[.location] = "/v1/notes/\(id.uuidString.lowercased())"
            return try APIJSON.response(
                Written(id: id.uuidString.lowercased(), version: version),
                status: .created,
                headers: headers
            )
        }
        v1.get("/notes/{noteId}") { _, context in
            let note = try await notes.note(try Self.id("noteId", context), actor: try context.requireActor())
            var headers = HTTPFields()
            headers[.eTag] = "\"\(note.version)\""
            return try APIJSON.response(
                NoteView(
                    id: note.id.uuidString.lowercased(),
                    sessionId: note.sessionID.uuidString.lowercased(),
                    authorId: note.authorID.uuidString.lowercased(),
                    state: note.signed ? "signed" : "draft",
                    version: note.version,
                    stage: note.draft.stage,
                    step: note.draft.step,
                    stepPartnerId: note.draft.stepPartnerID?.uuidString.lowercased(),
                    interventions: note.draft.interventions.map(\.rawValue),
                    tangoMoves: note.draft.tangoMoves.map(\.rawValue),
                    changeEvents: note.draft.changeEvents.map(\.rawValue),
                    riskLevel: note.draft.riskLevel?.rawValue,
                    riskDetail: note.draft.riskDetail,
                    body: note.draft.body,
                    contentHash: note.contentHash.map(Hex.encode),
                    authorName: note.authorName,
                    signedAt: note.signedAt,
                    cosignature: note.cosignature.map {
                        CosignatureView(
                            supervisorId: $0.supervisorID.uuidString.lowercased(),
                            supervisorName: $0.supervisorName,
                            cosignedAt: $0.cosignedAt
                        )
                    }
                ),
                headers: headers
            )
        }
        // Edits carry the version they were based on in If-Match; a stale one is 409 and changes nothing.
        v1.put("/notes/{noteId}") { request, context in
            let actor = try context.requireActor()
            let expected = try Self.ifMatch(request)
            let body = try await APIJSON.decode(DraftBody.self, from: request, context: context)
            let id = try Self.id("noteId", context)
            let version = try await notes.editDraft(
                id,
                expectedVersion: expected,
                draft: try body.draft(),
                actor: actor
            )
            var headers = HTTPFields()
            headers[.eTag] = "\"\(version)\""
            return try APIJSON.response(Written(id: id.uuidString.lowercased(), version: version), headers: headers)
        }
        v1.post("/notes/{noteId}/sign") { request, context in
            let actor = try context.requireActor()
            let id = try Self.id("noteId", context)
            let signature = try await notes.sign(id, expectedVersion: try Self.ifMatch(request), actor: actor)
            return try APIJSON.response(
                Signed(
                    id: id.uuidString.lowercased(),
                    contentHash: Hex.encode(signature.contentHash),
                    cosignaturePending: signature.cosignaturePending
                )
            )
        }
    }

    /// The version in `If-Match: "N"`.
    static func ifMatch(_ request: Request) throws -> Int {
        guard let header = request.headers[.ifMatch] else {
            throw APIError(
                status: .preconditionRequired,
                kind: "version-required",
                detail: "send If-Match with the note's ETag (its version)",
                field: "If-Match"
            )
        }
        guard let version = Int(header.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))), version >= 1 else {
            throw APIError(
                status: .badRequest,
                kind: "bad-version",
                detail: "If-Match is the note's ETag, e.g. \"3\"",
                field: "If-Match"
            )
        }
        return version
    }
}
