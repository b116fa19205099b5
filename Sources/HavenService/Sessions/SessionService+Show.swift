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
                    SELECT s.couple_id, s.client_id, s.counselor_id, s.scheduled_start, s.duration_minutes, s.format,
                           s.session_type, s.service_code, s.status,
                           EXISTS (SELECT 1 FROM progress_notes n WHERE n.session_id = s.id),
                           \(unescaped: Self.namesColumns)
                    FROM therapy_sessions s WHERE s.id = \(id)
                    """
                ).singleRow()
            else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "session", "no session with this id in your caseload"),
                    audited: AuditEvent(action: .sessionRead, entityType: .session, entityID: id)
                )
            }
            let (
                couple, client, counselor, start, minutes, format, type, code, status, noted, names, counselorName,
                clients
            ) =
                try row.decode(
                    (UUID?, UUID?, UUID, Date, Int32, String, String, String?, String, Bool, [String], String?, [UUID]?)
                        .self
                )
            try await connection.commit(
                audited: AuditEvent(action: .sessionRead, entityType: .session, entityID: id, clientIDs: clients ?? [])
            )
            return .success(
                Listing(
                    id: id,
                    chart: couple.map(ChartReference.couple) ?? .client(client ?? id),
                    counselorID: counselor,
                    start: start,
                    durationMinutes: Int(minutes),
                    format: format,
                    sessionType: type,
                    serviceCode: code,
                    status: status,
                    noted: noted,
                    names: names,
                    counselorName: counselorName
                )
            )
        }
    }
}
