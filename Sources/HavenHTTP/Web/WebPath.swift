import Foundation
import HavenService
import Hummingbird

/// Ids in the web app's paths: pages name records by id only (docs/web.md), lowercase.
extension HavenAPI {
    /// An id from the path; a malformed one is the 404 page, as a missing record is.
    static func pageID(_ name: String, _ context: HavenRequestContext) throws -> UUID {
        guard let id = context.parameters.get(name).flatMap(UUID.init(uuidString:)) else {
            throw ServiceError(.notFound, field: name, "there is nothing here")
        }
        return id
    }

    /// An id as the pages print it in paths and forms.
    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// A chart's page (`/couples/{id}` or `/clients/{id}`): the one place chart paths are built; a
    /// chart's other pages are this path and their own part (`chartPath(chart) + "/measures"`).
    static func chartPath(_ chart: ChartReference) -> String {
        "/\(chart.kind == "couple" ? "couples" : "clients")/\(text(chart.id))"
    }
}
