import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Appointments: schedule a couple or individual session, then record what happened to it.
public struct SessionService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager?

    /// - Parameters:
    ///   - pool: connections as the application role.
    ///   - keys: seals risk-override reasons; without it, a high-risk couple's conjoint session
    ///     cannot be overridden.
    public init(pool: ConnectionPool, keys: KeyManager? = nil) {
        self.pool = pool
        self.keys = keys
    }

    /// Which chart a session belongs to.
    public typealias Chart = ChartReference

    /// Schedules a session with the actor as its counselor. A conjoint (couple) session for a couple
    /// whose latest note records high risk needs `riskOverrideReason`, sealed and audited.
    ///
    /// - Throws: `invalidInput` naming `durationMinutes` or `riskOverrideReason`; `notFound` when the
    ///   chart is not in reach.
    public func schedule(
        _ chart: Chart,
        start: Date,
        durationMinutes: Int,
        format: SessionFormat,
        riskOverrideReason: String? = nil,
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
        let keys = self.keys
        let outcome = try await pool.transaction(as: actor) { connection -> ServiceError? in
            let reachable = try await connection.query(
                """
                SELECT (SELECT count(*) FROM couples WHERE id = \(coupleID)) + (SELECT count(*) FROM clients WHERE id = \(clientID)),
                       \(coupleID)::uuid IS NOT NULL AND haven_couple_high_risk(\(coupleID))
                """
            )[0].decode((Int, Bool).self)
            guard reachable.0 == 1 else {
                return ServiceError(.notFound, field: "chart", "no such couple or client in your caseload")
            }
            var sealedReason: [UInt8]?
            var reasonKey: UUID?
            if reachable.1, let coupleID {
                guard let reason = riskOverrideReason, !reason.allSatisfy(\.isWhitespace), let keys else {
                    try await AuditStore.append(
                        AuditEntry(
                            actor: actor,
                            action: "session.schedule",
                            entityType: "couple",
                            entityID: coupleID,
                            outcome: .denied
                        ),
                        on: connection
                    )
                    return ServiceError(
                        .invalidInput,
                        field: "riskOverrideReason",
                        "this couple has an open high-risk flag; a conjoint session needs an explicit override with a reason"
                    )
                }
                let sealed = try await keys.seal(
                    Array(reason.utf8),
                    practiceID: actor.practiceID,
                    subject: KeySubject(kind: .couple, id: coupleID.uuidString.lowercased()),
                    table: "therapy_sessions",
                    column: "risk_override_reason",
                    rowID: id.uuidString.lowercased(),
                    on: connection
                )
                (sealedReason, reasonKey) = (sealed.sealed, sealed.keyID)
            }
            var statements: [PostgresQuery] = []
            if let reasonKey { statements.append("SELECT haven_require_live_keys(\([reasonKey]))") }
            statements.append(
                """
                INSERT INTO therapy_sessions (id, practice_id, couple_id, client_id, counselor_id, scheduled_start,
                                              duration_minutes, format, risk_override_reason, risk_override_key_id)
                VALUES (\(id), \(actor.practiceID), \(coupleID), \(clientID), \(actor.staffID), \(start), \
                \(Int32(durationMinutes)), \(format.rawValue), \(sealedReason), \(reasonKey))
                """
            )
            statements += AuditStore.appendStatements(
                AuditEntry(
                    actor: actor,
                    action: reasonKey == nil ? "session.schedule" : "session.schedule.risk_override",
                    entityType: "session",
                    entityID: id
                )
            )
            _ = try await connection.pipeline(statements)
            return nil
        }
        if let outcome { throw outcome }
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
