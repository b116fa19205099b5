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
        return try await read(clientID, includePsychotherapyNotes, now, action, actor) { export, _ in export }
    }

    /// The review before release: what the client's export (as `exportClient` with the same
    /// arguments would produce it) carries about the other partner of any couple the client is in,
    /// listed without its text (`ExportReview`). Audited as `client.export.review`.
    ///
    /// - Throws: `notFound` (audited as denied) when the client is not in reach.
    public func reviewExport(
        _ clientID: UUID,
        includePsychotherapyNotes: Bool = false,
        at now: Date = Date(),
        actor: StaffActor
    ) async throws -> ExportReview {
        try await read(clientID, includePsychotherapyNotes, now, .clientExportReview, actor) { export, zone in
            ExportReview(
                clientID: clientID,
                generatedAt: now,
                items: ExportReview.items(in: export, timeZone: zone)
            )
        }
    }

    /// Reads the export in one snapshot and audits `action` in it (denied when out of reach), then
    /// makes the result of it and the practice's time zone.
    private func read<Result: Sendable>(
        _ clientID: UUID,
        _ includePsychotherapyNotes: Bool,
        _ now: Date,
        _ action: AuditEvent.Action,
        _ actor: StaffActor,
        _ make: @escaping @Sendable (ClientExport, TimeZone) -> Result
    ) async throws -> Result {
        let keys = self.keys
        let pool = self.pool
        let result = try await pool.refusingTampered(actor: actor) {
            try await pool.snapshot(as: actor) { connection -> (Result?, then: [PostgresQuery]) in
                var reader = ExportReader(clientID: clientID, keys: keys, connection: connection)
                guard let export = try await reader.read(includePsychotherapyNotes: includePsychotherapyNotes, at: now)
                else {
                    let denied = AuditEvent(action: action, entityType: .client, entityID: clientID, outcome: .denied)
                    return (nil, AuditStore.appendStatements(denied))
                }
                let zone = try await connection.query(
                    "SELECT time_zone FROM practices WHERE id = \(actor.practiceID)"
                ).singleRow()?.decode(0, as: String.self)
                let made = make(export, zone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!)
                let read = AuditEvent(action: action, entityType: .client, entityID: clientID, clientIDs: [clientID])
                return (made, AuditStore.appendStatements(read))
            }
        }
        guard let result else {
            throw ServiceError(.notFound, field: "client", "no client with this id in your caseload")
        }
        return result
    }
}
