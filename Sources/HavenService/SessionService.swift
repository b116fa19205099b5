import Foundation
import HavenCore
import HavenStore
import Postgres

/// Appointments: schedule a couple or individual session, then record what happened to it.
public struct SessionService: Sendable {
    let pool: ConnectionPool

    /// - Parameter pool: connections as the application role.
    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// Which chart a session belongs to.
    public enum Chart: Sendable, Equatable {
        case couple(UUID)
        case client(UUID)
    }

    /// Schedules a session with the actor as its counselor.
    ///
    /// - Throws: `invalidInput` naming `durationMinutes`; `notFound` when the chart is not in reach.
    public func schedule(
        _ chart: Chart,
        start: Date,
        durationMinutes: Int,
        format: SessionFormat,
        actor: StaffActor
    ) async throws -> UUID {
        guard (5...480).contains(durationMinutes) else {
            throw ServiceError(.invalidInput, field: "durationMinutes", "must be 5 to 480 minutes")
        }
        let id = UUID()
        let (coupleID, clientID): (UUID?, UUID?) =
            switch chart {
            case .couple(let couple): (couple, nil)
            case .client(let client): (nil, client)
            }
        try await pool.transaction(as: actor) { connection in
            let reachable = try await connection.query(
                """
                SELECT (SELECT count(*) FROM couples WHERE id = \(coupleID)) + (SELECT count(*) FROM clients WHERE id = \(clientID))
                """
            )[0].decode(0, as: Int.self)
            guard reachable == 1 else {
                throw ServiceError(.notFound, field: "chart", "no such couple or client in your caseload")
            }
            var statements: [PostgresQuery] = [
                """
                INSERT INTO therapy_sessions (id, practice_id, couple_id, client_id, counselor_id, scheduled_start,
                                              duration_minutes, format)
                VALUES (\(id), \(actor.practiceID), \(coupleID), \(clientID), \(actor.staffID), \(start), \
                \(Int32(durationMinutes)), \(format.rawValue))
                """
            ]
            statements += AuditStore.appendStatements(
                AuditEntry(actor: actor, action: "session.schedule", entityType: "session", entityID: id)
            )
            _ = try await connection.pipeline(statements)
        }
        return id
    }

    /// Records how a session went: completed, cancelled, late-cancelled or no-show.
    public func setStatus(_ status: SessionStatus, session id: UUID, actor: StaffActor) async throws {
        guard status != .scheduled else {
            throw ServiceError(
                .invalidInput,
                field: "status",
                "a session can be completed, cancelled, late_cancelled or no_show"
            )
        }
        try await pool.transaction(as: actor) { connection in
            let updated = try await connection.execute(
                "UPDATE therapy_sessions SET status = \(status.rawValue) WHERE id = \(id) AND status = 'scheduled'"
            )
            guard updated == 1 else {
                throw ServiceError(.notFound, field: "session", "no scheduled session with this id in your caseload")
            }
            try await AuditStore.append(
                AuditEntry(actor: actor, action: "session.\(status.rawValue)", entityType: "session", entityID: id),
                on: connection
            )
        }
    }
}

extension AuditEntry {
    /// An entry for an action of `actor`.
    init(
        actor: StaffActor,
        action: String,
        entityType: String,
        entityID: UUID,
        clients: [UUID] = [],
        outcome: Outcome = .success
    ) {
        self.init(
            practiceID: actor.practiceID,
            staffID: actor.staffID,
            staffRoles: actor.roleNames,
            breakGlass: actor.breakGlass,
            action: action,
            entityType: entityType,
            entityID: entityID,
            clientIDs: clients,
            outcome: outcome,
            source: actor.source,
            requestID: actor.requestID
        )
    }
}
