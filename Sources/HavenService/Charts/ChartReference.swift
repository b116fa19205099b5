import Foundation
import HavenStore
import Postgres

/// A chart: a couple's or one client's. Sessions, psychotherapy notes and break-glass grants each
/// belong to one.
public enum ChartReference: Sendable, Hashable {
    case couple(UUID)
    case client(UUID)

    /// `couple` or `client`, as the database's `chart_kind` columns spell it.
    public var kind: String {
        switch self {
        case .couple: "couple"
        case .client: "client"
        }
    }

    /// `couple` or `client`, as the audit log names the chart an entry is about.
    var entityType: AuditEvent.EntityType {
        switch self {
        case .couple: .couple
        case .client: .client
        }
    }

    /// The couple's or client's id.
    public var id: UUID {
        switch self {
        case .couple(let id), .client(let id): id
        }
    }

    /// The data-key subject that seals this chart's text.
    var keySubject: KeySubject {
        KeySubject(kind: kind == "couple" ? .couple : .client, id: id.uuidString.lowercased())
    }
}

extension ChartReference {
    /// Refuses a chart out of the actor's reach inside the transaction (SQLSTATE P0002, raised by
    /// `haven_require_chart` under row-level security): sent first, so a chart's list is "not found"
    /// for a chart out of reach rather than empty. Its one row names the chart's clients
    /// (`clientIDs(fromReachCheck:)`), for the audit entry of what the transaction reads.
    var reachCheck: PostgresQuery {
        switch self {
        case .couple(let id):
            """
            SELECT haven_require_chart('couple', \(id)),
                   (SELECT ARRAY[partner_a_id, partner_b_id] FROM couples WHERE id = \(id))
            """
        case .client(let id): "SELECT haven_require_chart('client', \(id)), \([id])"
        }
    }

    /// The client ids (the client, or both partners of the couple) of a row that belongs to a chart
    /// through its `chart_kind` and `chart_id` columns (progress and psychotherapy notes), as SQL.
    static let clientIDsColumn: StaticString = """
        CASE WHEN chart_kind = 'client' THEN ARRAY[chart_id]
             ELSE coalesce((SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = chart_id), '{}')
        END
        """

    /// The chart's clients (the client, or both partners), from the rows of `reachCheck`.
    func clientIDs(fromReachCheck rows: PostgresRows) throws -> [UUID] {
        try rows.singleRow()?.decode(1, as: [UUID]?.self) ?? []
    }
}

extension ConnectionPool {
    /// Runs a read of one chart's records whose transaction starts with `chart.reachCheck`; a chart
    /// out of reach is audited as denied and thrown as `notFound`, like a chart that does not exist.
    func readingChart<Value>(
        _ chart: ChartReference,
        action: AuditEvent.Action,
        actor: StaffActor,
        _ body: () async throws -> Value
    ) async throws -> Value {
        do {
            return try await body()
        } catch let error as PostgresError where error.sqlState == "P0002" {
            throw try await recordingDenial(
                ServiceError(.notFound, field: chart.kind, "no \(chart.kind) with this id in your caseload"),
                action: action,
                entityType: chart.entityType,
                entityID: chart.id,
                actor: actor
            )
        }
    }
}
