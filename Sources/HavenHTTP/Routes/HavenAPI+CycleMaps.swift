import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// A revision: the position beside the map's own fields (`CycleMapService.Map`'s keys), any subset
    /// of them; what is left out is kept from the previous version, a field sent as "" is emptied.
    struct CycleMapBody: Decodable {
        var position: String?
        var map: CycleMapService.Map

        enum CodingKeys: String, CodingKey { case position }

        init(from decoder: any Decoder) throws {
            position = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .position)
            map = try CycleMapService.Map(from: decoder)
        }
    }

    /// One version: its number, position and time beside the map's own fields.
    struct CycleMapVersion: Encodable {
        var version: CycleMapService.Version

        enum CodingKeys: String, CodingKey { case version, position, createdAt, emptyFields }

        func encode(to encoder: any Encoder) throws {
            try version.map.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(version.version, forKey: .version)
            try container.encodeIfPresent(version.position?.rawValue, forKey: .position)
            try container.encode(
                (version.position == nil ? ["position"] : []) + version.map.emptyFields,
                forKey: .emptyFields
            )
            try container.encode(version.createdAt, forKey: .createdAt)
        }
    }

    struct Revised: Encodable {
        var version: Int
    }

    /// Each partner's cycle map (the EFT case formulation): its versions, oldest first, and a revision.
    func addCycleMaps(to v1: RouterGroup<HavenRequestContext>) {
        let maps = CycleMapService(pool: pool, keys: keys)
        v1.get("/couples/{coupleId}/cycle-maps/{partnerId}") { request, context in
            let versions = try await maps.history(
                couple: try Self.id("coupleId", context),
                partner: try Self.id("partnerId", context),
                actor: try context.requireActor()
            )
            return try APIJSON.response(
                try Page(versions, request: request, key: { String($0.version) }, line: CycleMapVersion.init)
            )
        }
        v1.post("/couples/{coupleId}/cycle-maps/{partnerId}") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(CycleMapBody.self, from: request, context: context)
            let version = try await maps.revise(
                couple: try Self.id("coupleId", context),
                partner: try Self.id("partnerId", context),
                position: try body.position.map { try Self.parse(CyclePosition.self, $0) },
                map: body.map,
                actor: actor
            )
            return try APIJSON.response(Revised(version: version), status: .created)
        }
    }
}
