import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

extension PortalService {
    /// What the partner reads of the chosen couple chart's answers: their own (submitted and drafts) and
    /// what the other partner shared with them, which is nothing while the chart is in safety mode.
    public struct Answers: Sendable, Equatable {
        /// The partner's submitted answer to an assignment.
        public struct Own: Sendable, Equatable {
            public var assignmentID: UUID
            public var text: String?
            public var completion: HomeworkService.Completion
            public var sharedWithPartner: Bool
            /// The counselor has read it: the answer and its sharing are final.
            public var counselorRead: Bool
        }

        /// The partner's draft, with the version its next save must name.
        public struct Draft: Sendable, Equatable {
            public var assignmentID: UUID
            public var id: UUID
            public var version: Int
            public var text: String
            public var sharedWithPartner: Bool
        }

        /// An answer the other partner shared.
        public struct Shared: Sendable, Equatable {
            public var assignmentID: UUID
            public var text: String?
        }

        public var own: [Own]
        public var drafts: [Draft]
        public var shared: [Shared]
        /// An open high-risk flag on the couple: sharing is off and nothing is shared.
        public var safetyMode: Bool
    }

    /// What a portal write answered (the database's outcome, migration 0045).
    public enum AnswerOutcome: String, Sendable, Equatable {
        case saved, submitted, shared, unshared, conflict, read
        /// No assignment addressed to this partner on the chosen chart (or no answer to share).
        case notFound = "not-found"
        /// Sharing refused: the couple has an open high-risk flag.
        case safetyMode = "safety-mode"
    }

    /// The partner's answers and what was shared with them, opened (audited `portal.answer.read`).
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live.
    public func answers(_ actor: PartnerActor) async throws -> Answers {
        let keys = try answerKeys()
        return try await pool.transaction(asPartner: actor) { connection, context in
            let safety = try await connection.query("SELECT haven_portal_safety_mode()")[0].decode(0, as: Bool.self)
            var result = Answers(own: [], drafts: [], shared: [], safetyMode: safety)
            guard case .couple(let couple) = context.chart else { return result }
            let subject = KeySubject(kind: .couple, id: couple.uuidString.lowercased())
            let rows = try await connection.query(
                """
                SELECT assignment_id, id, own, draft_version, completion, body, body_key_id, shared_with_partner,
                       counselor_read
                FROM haven_portal_answers()
                """
            )
            for row in rows {
                let (assignment, id, own, version, completion) = try row.decode((UUID, UUID, Bool, Int?, String?).self)
                let (sealed, keyID, shared, read) = try row.decode(([UInt8]?, UUID?, Bool, Bool?).self, from: 5)
                let place = SealedPlace(
                    subject: subject,
                    table: version == nil ? "homework_responses" : "portal_answer_drafts",
                    column: version == nil ? "response" : "body",
                    rowID: id
                )
                var text: String?
                if let sealed, let keyID {
                    text = try await keys.openForPartner(sealed, keyID: keyID, at: place, on: connection)
                }
                if let version {
                    result.drafts.append(
                        Answers.Draft(
                            assignmentID: assignment,
                            id: id,
                            version: version,
                            text: text ?? "",
                            sharedWithPartner: shared
                        )
                    )
                } else if own {
                    result.own.append(
                        Answers.Own(
                            assignmentID: assignment,
                            text: text,
                            completion: HomeworkService.Completion(rawValue: completion ?? "") ?? .completed,
                            sharedWithPartner: shared,
                            counselorRead: read ?? false
                        )
                    )
                } else {
                    result.shared.append(Answers.Shared(assignmentID: assignment, text: text))
                }
            }
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: .portalAnswerRead,
                    entityType: context.chart?.entityType,
                    entityID: context.chart?.id,
                    clientIDs: context.chartClientIDs
                ),
                on: connection
            )
            return result
        }
    }

    /// Saves the partner's draft of an answer, sealed on the server. `draft` is the draft's id from
    /// `answers` (nil for a first save) and `expectedVersion` its version (0 for a first save); a stale
    /// version answers `conflict`, as the note editor does.
    ///
    /// - Returns: the outcome and, when saved, the new version.
    public func saveDraft(
        assignment: UUID,
        draft: UUID?,
        expectedVersion: Int,
        text: String,
        share: Bool,
        actor: PartnerActor
    ) async throws -> (outcome: AnswerOutcome, version: Int?) {
        let keys = try answerKeys()
        try Self.checkLength(text)
        return try await pool.transaction(asPartner: actor) { connection, context in
            guard case .couple(let couple) = context.chart else { return (.notFound, nil) }
            let id = draft ?? UUID()
            let (sealed, keyID) = try await keys.sealForPartner(
                text,
                at: SealedPlace(
                    subject: KeySubject(kind: .couple, id: couple.uuidString.lowercased()),
                    table: "portal_answer_drafts",
                    column: "body",
                    rowID: id
                ),
                on: connection
            )
            let row = try await connection.query(
                """
                SELECT outcome, version FROM haven_portal_save_draft(\(assignment), \(id), \(Int32(expectedVersion)),
                                                                     \(sealed), \(keyID), \(share))
                """
            )[0]
            let (outcome, version) = try row.decode((String, Int?).self)
            return (AnswerOutcome(rawValue: outcome) ?? .conflict, version)
        }
    }

    /// Submits the partner's draft at `expectedVersion` as their answer (with the draft's sharing).
    public func submit(
        assignment: UUID,
        expectedVersion: Int,
        completion: HomeworkService.Completion = .completed,
        actor: PartnerActor
    ) async throws -> AnswerOutcome {
        let keys = try answerKeys()
        return try await pool.transaction(asPartner: actor) { connection, context in
            guard case .couple(let couple) = context.chart else { return .notFound }
            let subject = KeySubject(kind: .couple, id: couple.uuidString.lowercased())
            guard
                let row = try await connection.query(
                    """
                    SELECT id, body, body_key_id FROM haven_portal_answers()
                    WHERE assignment_id = \(assignment) AND draft_version IS NOT NULL
                    """
                ).singleRow()
            else { return .conflict }
            let (draftID, draftBody, draftKey) = try row.decode((UUID, [UInt8], UUID).self)
            let text = try await keys.openForPartner(
                draftBody,
                keyID: draftKey,
                at: SealedPlace(subject: subject, table: "portal_answer_drafts", column: "body", rowID: draftID),
                on: connection
            )
            let response = UUID()
            let (sealed, keyID) = try await keys.sealForPartner(
                text,
                at: SealedPlace(subject: subject, table: "homework_responses", column: "response", rowID: response),
                on: connection
            )
            let outcome = try await connection.query(
                """
                SELECT haven_portal_submit_answer(\(assignment), \(response), \(Int32(expectedVersion)), \(sealed),
                                                  \(keyID), \(completion.rawValue))
                """
            )[0].decode(0, as: String.self)
            return AnswerOutcome(rawValue: outcome) ?? .conflict
        }
    }

    /// Shares the partner's submitted answer with the other partner, or stops sharing it, while the
    /// counselor has not read it (`read` after); sharing answers `safetyMode` in safety mode.
    public func share(assignment: UUID, _ share: Bool, actor: PartnerActor) async throws -> AnswerOutcome {
        try await pool.transaction(asPartner: actor) { connection, _ in
            let outcome = try await connection.query("SELECT haven_portal_share_answer(\(assignment), \(share))")[0]
                .decode(0, as: String.self)
            return AnswerOutcome(rawValue: outcome) ?? .notFound
        }
    }

    private func answerKeys() throws -> KeyManager {
        guard let keys else { throw ServiceError(.conflict, field: "keys", "the portal was started without keys") }
        return keys
    }

    private static func checkLength(_ text: String) throws {
        if text.utf8.count > NoteService.maximumBodyBytes {
            throw ServiceError(
                .invalidInput,
                field: "text",
                "is longer than \(NoteService.maximumBodyBytes / 1024) KiB"
            )
        }
    }
}
