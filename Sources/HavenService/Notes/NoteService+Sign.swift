import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Signing: a draft becomes final, with the SHA-256 of its canonical content recorded.
extension NoteService {
    /// What signing recorded.
    public struct Signature: Sendable, Equatable {
        /// SHA-256 of the note's canonical content.
        public var contentHash: [UInt8]
        /// The author is pre-licensed: the note now awaits a supervisor's co-signature.
        public var cosignaturePending: Bool
    }

    /// Signs a draft: records the SHA-256 of its canonical content and freezes it for good.
    ///
    /// A note is signed only with its risk level recorded explicitly (`none` included): the database
    /// refuses a signed note without one too (`progress_notes_signed_has_risk_level`).
    ///
    /// - Throws: `invalidInput` naming `riskLevel` for a draft without one; `conflict` naming `version`
    ///   or `note`; `notFound` and `forbidden` (audited as denied).
    public func sign(_ noteID: UUID, expectedVersion: Int, actor: StaffActor) async throws -> Signature {
        let outcome = try await pool.transaction(as: actor) { connection -> Result<Signature, ServiceError> in
            guard let note = try await self.load(noteID, lock: true, on: connection) else {
                return try await self.refuse(
                    ServiceError(.notFound, field: "note", "no note with this id in your caseload"),
                    action: .noteSign,
                    note: noteID,
                    actor: actor,
                    on: connection
                )
            }
            guard !note.signed else {
                return .failure(ServiceError(.conflict, field: "note", "the note is already signed"))
            }
            guard note.authorID == actor.staffID else {
                return try await self.refuse(
                    ServiceError(.forbidden, field: "note", "only the note's author signs it"),
                    action: .noteSign,
                    note: noteID,
                    clients: note.clientIDs,
                    actor: actor,
                    on: connection
                )
            }
            guard note.version == expectedVersion else {
                return .failure(
                    ServiceError.staleVersion(current: note.version, "review it and sign again")
                )
            }
            guard note.draft.riskLevel != nil else {
                return .failure(
                    ServiceError(
                        .invalidInput,
                        field: RiskLevel.fieldName,
                        "is required to sign: record the risk screen (\(RiskLevel.allCases.map(\.rawValue).joined(separator: ", ")))"
                    )
                )
            }
            let hash = Self.contentHash(of: note)
            let statements: [PostgresQuery] = [
                """
                UPDATE progress_notes SET state = 'signed', content_hash = \(hash), signed_at = now() WHERE id = \(noteID)
                RETURNING coalesce((SELECT st.pre_licensed FROM staff st WHERE st.id = author_id), false)
                """
            ]
            // The entry carries the content hash: the signed content itself is then under the chain.
            let rows = try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: .noteSign,
                    entityType: .note,
                    entityID: noteID,
                    clientIDs: note.clientIDs,
                    digest: hash
                )
            )
            let pending = try rows[0].first?.decode(0, as: Bool.self) ?? false
            return .success(Signature(contentHash: hash, cosignaturePending: pending))
        }
        return try outcome.get()
    }

}
