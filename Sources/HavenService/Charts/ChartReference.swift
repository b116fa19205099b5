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
    /// for a chart out of reach rather than empty.
    var reachCheck: PostgresQuery { "SELECT haven_require_chart(\(kind), \(id))" }
}

extension ConnectionPool {
    /// Runs a read of one chart's records whose transaction starts with `chart.reachCheck`; a chart
    /// out of reach is audited as denied and thrown as `notFound`, like a chart that does not exist.
    func readingChart<Value>(
        _ chart: ChartReference,
        action: String,
        actor: StaffActor,
        _ body: () async throws -> Value
    ) async throws -> Value {
        do {
            return try await body()
        } catch let error as PostgresError where error.sqlState == "P0002" {
            throw try await recordingDenial(
                ServiceError(.notFound, field: chart.kind, "no \(chart.kind) with this id in your caseload"),
                action: action,
                entityType: chart.kind,
                entityID: chart.id,
                actor: actor
            )
        }
    }
}
