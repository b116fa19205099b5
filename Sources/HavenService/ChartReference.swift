import Foundation
import HavenStore

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
