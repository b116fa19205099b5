import Foundation
import HavenStore
import Postgres
import Sealing

/// Exports for records requests: everything held about one client, decrypted, in one consistent
/// snapshot, audited as one entry.
public struct ExportService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    /// - Parameters:
    ///   - pool: connections as the application role.
    ///   - keys: opens the sealed text.
    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// Exports a client of the actor's reach (`ClientExport` says what it holds and leaves out).
    ///
    /// - Parameters:
    ///   - includePsychotherapyNotes: add the psychotherapy notes the actor may read on the client's
    ///     charts (their own; anyone's under break-glass). Audited as a distinct action.
    /// - Throws: `notFound` (audited as denied) when the client is not in reach.
    public func exportClient(
        _ clientID: UUID,
        includePsychotherapyNotes: Bool = false,
        at now: Date = Date(),
        actor: StaffActor
    ) async throws -> ClientExport {
        let action: AuditEvent.Action = includePsychotherapyNotes ? .clientExportPsychotherapyNotes : .clientExport
        let keys = self.keys
        let pool = self.pool
        let export = try await pool.refusingTampered(actor: actor) {
            try await pool.snapshot(as: actor) { connection -> (ClientExport?, then: [PostgresQuery]) in
                var reader = ExportReader(clientID: clientID, keys: keys, connection: connection)
                guard let export = try await reader.read(includePsychotherapyNotes: includePsychotherapyNotes, at: now)
                else {
                    let denied = AuditEvent(action: action, entityType: .client, entityID: clientID, outcome: .denied)
                    return (nil, AuditStore.appendStatements(denied))
                }
                let read = AuditEvent(action: action, entityType: .client, entityID: clientID, clientIDs: [clientID])
                return (export, AuditStore.appendStatements(read))
            }
        }
        guard let export else {
            throw ServiceError(.notFound, field: "client", "no client with this id in your caseload")
        }
        return export
    }
}
