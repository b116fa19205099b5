import Foundation
import HavenStore
import Postgres

extension ConnectionPool {
    /// Records a refusal as a denied audit entry, in a transaction of its own (the refused one wrote
    /// nothing), and hands the error back to be thrown. Only refusals of reach or role (`notFound`,
    /// `forbidden`) are denials; other errors pass through unrecorded.
    func recordingDenial(
        _ error: ServiceError,
        action: AuditEvent.Action,
        entityType: AuditEvent.EntityType,
        entityID: UUID,
        actor: StaffActor
    ) async throws -> ServiceError {
        // The second-factor refusal was audited where it was made.
        guard error.kind == .notFound || error.kind == .forbidden, error != .totpEnrollmentDue else { return error }
        try await transaction(as: actor) { connection in
            try AuditStore.appendAtCommit(
                AuditEvent(action: action, entityType: entityType, entityID: entityID, outcome: .denied),
                on: connection
            )
        }
        return error
    }

    /// `result`'s value, or its refusal recorded (`recordingDenial`) and thrown.
    func valueRecordingDenial<Value>(
        _ result: Result<Value, ServiceError>,
        action: AuditEvent.Action,
        entityType: AuditEvent.EntityType,
        entityID: UUID,
        actor: StaffActor
    ) async throws -> Value {
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            throw try await recordingDenial(
                error,
                action: action,
                entityType: entityType,
                entityID: entityID,
                actor: actor
            )
        }
    }
}

extension ConnectionPool {
    /// Runs `body`; a refusal it throws is recorded (`recordingDenial`) and rethrown.
    func recordingDenials<Value>(
        action: AuditEvent.Action,
        entityType: AuditEvent.EntityType,
        entityID: UUID,
        actor: StaffActor,
        _ body: () async throws -> Value
    ) async throws -> Value {
        do {
            return try await body()
        } catch let error as ServiceError {
            throw try await recordingDenial(
                error,
                action: action,
                entityType: entityType,
                entityID: entityID,
                actor: actor
            )
        }
    }
}
