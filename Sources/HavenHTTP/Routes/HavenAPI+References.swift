import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    struct ReferenceView: Encodable {
        var kind: String
        var id: String
    }

    /// The `kind` query value of a reference kind: its name with hyphens (`psychotherapy-note`).
    static func referenceKind(_ kind: ReferenceResolver.Kind) -> String {
        kind.rawValue.replacingOccurrences(of: " ", with: "-")
    }

    /// Id prefixes, as the CLI accepts them: the one record in the caller's reach whose id starts
    /// with the prefix (`ReferenceResolver`, whose messages the problems carry).
    func addReferences(to v1: RouterGroup<HavenRequestContext>) {
        let resolver = ReferenceResolver(pool: pool)
        v1.get("/references") { request, context in
            let actor = try context.requireActor()
            let kindText = Self.queryText(request, "kind")
            guard let kind = ReferenceResolver.Kind.allCases.first(where: { Self.referenceKind($0) == kindText }) else {
                throw Self.badParameter(
                    "kind",
                    "is one of: \(ReferenceResolver.Kind.allCases.map(Self.referenceKind).joined(separator: ", "))"
                )
            }
            let prefix = Self.queryText(request, "prefix") ?? ""
            let id = try await Self.naming([kind.rawValue: "prefix"]) {
                try await resolver.resolve(prefix, as: kind, actor: actor)
            }
            return try APIJSON.response(ReferenceView(kind: Self.referenceKind(kind), id: id.uuidString.lowercased()))
        }
    }
}
