import Foundation
import HavenCore
import HavenStore
import Postgres

extension SessionService {
    /// One session in the actor's reach, as a schedule shows it (no clinical text), audited as
    /// `session.read` with the chart's clients. Part of the calendar: a scheduler reads any of the
    /// practice's sessions this way.
    ///
    /// - Throws: `notFound` naming `session` when it is not in reach (audited as denied).
    public func show(session id: UUID, actor: StaffActor) async throws -> Listing {
        try await pool.auditedTransaction(as: actor, reach: .calendar) { connection -> Result<Listing, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT \(unescaped: Self.listingColumns), \(unescaped: Self.namesColumns)
                    FROM therapy_sessions s WHERE s.id = \(id)
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "session", "no session with this id in your caseload"),
                    audited: AuditEvent(action: .sessionRead, entityType: .session, entityID: id)
                )
            }
            let listing = try Self.listing(row)
            let clients = try row.decode(13, as: [UUID]?.self)
            try await connection.commit(
                audited: AuditEvent(action: .sessionRead, entityType: .session, entityID: id, clientIDs: clients ?? [])
            )
            return .success(listing)
        }
    }
}
