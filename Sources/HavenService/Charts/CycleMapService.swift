import Foundation
import HavenCore
import HavenStore
import Postgres
import Sealing

/// Each partner's cycle map (the EFT case formulation), versioned: a revision adds a version, the
/// history stays. The map's fields are sealed together for the couple; the position is plain.
public struct CycleMapService: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager

    public init(pool: ConnectionPool, keys: KeyManager) {
        self.pool = pool
        self.keys = keys
    }

    /// The formulation's fields, in the counselor's words; any of them may still be empty (nil): a
    /// map is filled in over several sessions.
    public struct Map: Sendable, Equatable, Codable {
        public var trigger: String?
        public var actionTendency: String?
        public var perceptionOfPartner: String?
        public var reactiveEmotion: String?
        public var primaryEmotion: String?
        public var unmetNeed: String?

        public init(
            trigger: String? = nil,
            actionTendency: String? = nil,
            perceptionOfPartner: String? = nil,
            reactiveEmotion: String? = nil,
            primaryEmotion: String? = nil,
            unmetNeed: String? = nil
        ) {
            self.trigger = trigger
            self.actionTendency = actionTendency
            self.perceptionOfPartner = perceptionOfPartner
            self.reactiveEmotion = reactiveEmotion
            self.primaryEmotion = primaryEmotion
            self.unmetNeed = unmetNeed
        }

        /// The fields by their JSON names, in the formulation's order.
        static var fields: [(name: String, path: WritableKeyPath<Map, String?>)] {
            [
                ("trigger", \.trigger), ("actionTendency", \.actionTendency),
                ("perceptionOfPartner", \.perceptionOfPartner), ("reactiveEmotion", \.reactiveEmotion),
                ("primaryEmotion", \.primaryEmotion), ("unmetNeed", \.unmetNeed),
            ]
        }

        /// The JSON names of the fields still empty.
        public var emptyFields: [String] {
            Self.fields.filter { self[keyPath: $0.path] == nil }.map(\.name)
        }

        /// This map with the fields `update` gives laid over it; a field given blank ("") is emptied.
        public func merging(_ update: Map) -> Map {
            var merged = self
            for field in Self.fields {
                guard let value = update[keyPath: field.path] else { continue }
                merged[keyPath: field.path] = value.allSatisfy(\.isWhitespace) ? nil : value
            }
            return merged
        }
    }

    /// One version of a partner's map.
    public struct Version: Sendable, Equatable {
        public var version: Int
        /// nil until the counselor records it.
        public var position: CyclePosition?
        public var map: Map
        public var createdAt: Date
    }

    /// Adds a new version of a partner's map: the fields given (and the position, if given) laid over
    /// the latest version's, so a map can be saved partially and filled in over several sessions.
    ///
    /// - Returns: the new version number.
    /// - Throws: `invalidInput` naming `partnerID`, or `map` when nothing is given or it is too long;
    ///   `notFound` for a couple out of reach.
    public func revise(
        couple coupleID: UUID,
        partner partnerID: UUID,
        position: CyclePosition?,
        map: Map,
        actor: StaffActor
    )
        async throws -> Int
    {
        try actor.validate()
        guard position != nil || Map.fields.contains(where: { map[keyPath: $0.path] != nil }) else {
            throw ServiceError(.invalidInput, field: "map", "give the position or at least one field")
        }
        guard try JSONEncoder().encode(map).count <= NoteService.maximumBodyBytes else {
            throw ServiceError(.invalidInput, field: "map", "is longer than \(NoteService.maximumBodyBytes / 1024) KiB")
        }
        let id = UUID()
        let keys = self.keys
        let outcome = try await pool.transaction(as: actor) { connection -> Result<Int, ServiceError> in
            guard
                let row = try await connection.query(
                    """
                    SELECT c.partner_a_id, c.partner_b_id, c.counselor_id, coalesce(m.version, 0), m.id, m.position,
                           m.map, m.key_subject
                    FROM couples c
                    LEFT JOIN LATERAL (SELECT id, version, position, map, key_subject FROM cycle_maps
                                       WHERE couple_id = c.id AND partner_id = \(partnerID)
                                       ORDER BY version DESC LIMIT 1) m ON true
                    WHERE c.id = \(coupleID) FOR UPDATE OF c
                    """
                ).singleRow()
            else {
                return .failure(ServiceError(.notFound, field: "couple", "no couple with this id in your caseload"))
            }
            let (a, b, counselor, latest) = try row.decode((UUID, UUID, UUID, Int).self)
            let (latestID, latestPosition, latestSealed, latestSubject) = try row.decode(
                (UUID?, String?, [UInt8]?, String?).self,
                from: 4
            )
            guard partnerID == a || partnerID == b else {
                return .failure(ServiceError(.invalidInput, field: "partnerID", "must be one of the couple's partners"))
            }
            var previous = Map()
            if let latestID, let latestSealed, let latestSubject {
                let json = try await keys.open(
                    latestSealed,
                    at: SealedPlace(
                        subject: try KeySubject(stored: latestSubject),
                        table: "cycle_maps",
                        column: "map",
                        rowID: latestID
                    ),
                    on: connection
                )
                previous = try JSONDecoder().decode(Map.self, from: Data(json.utf8))
            }
            let merged = previous.merging(map)
            let encoded = try JSONEncoder().encode(merged)
            guard encoded.count <= NoteService.maximumBodyBytes else {
                return .failure(
                    ServiceError(
                        .invalidInput,
                        field: "map",
                        "is longer than \(NoteService.maximumBodyBytes / 1024) KiB"
                    )
                )
            }
            let newPosition = position?.rawValue ?? latestPosition
            let subject = KeySubject(kind: .couple, id: coupleID.uuidString.lowercased())
            let (sealed, keyID) = try await keys.seal(
                String(decoding: encoded, as: UTF8.self),
                practiceID: actor.practiceID,
                at: SealedPlace(subject: subject, table: "cycle_maps", column: "map", rowID: id),
                on: connection
            )
            let statements: [PostgresQuery] = [
                "SELECT haven_require_live_keys(\([keyID]))",
                """
                INSERT INTO cycle_maps (id, practice_id, couple_id, partner_id, counselor_id, version, position, map, map_key_id)
                VALUES (\(id), \(actor.practiceID), \(coupleID), \(partnerID), \(counselor), \(Int32(latest + 1)), \
                \(newPosition), \(sealed), \(keyID))
                """,
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: .cycleMapRevise,
                    entityType: .couple,
                    entityID: coupleID,
                    clientIDs: [partnerID]
                )
            )
            return .success(latest + 1)
        }
        return try await pool.valueRecordingDenial(
            outcome,
            action: .cycleMapRevise,
            entityType: .couple,
            entityID: coupleID,
            actor: actor
        )
    }

    /// Every version of a partner's map, oldest first (audited).
    ///
    /// - Throws: `notFound` for a couple out of reach (audited as denied); `invalidInput` naming
    ///   `partnerID` for someone who is not one of the couple's partners.
    public func history(couple coupleID: UUID, partner partnerID: UUID, actor: StaffActor) async throws -> [Version] {
        try actor.validate()
        let keys = self.keys
        let outcome = try await pool.transaction(as: actor) { connection -> Result<[Version], ServiceError> in
            guard
                let couple = try await connection.query(
                    "SELECT partner_a_id, partner_b_id FROM couples WHERE id = \(coupleID)"
                ).singleRow()
            else {
                return .failure(ServiceError(.notFound, field: "couple", "no couple with this id in your caseload"))
            }
            let (a, b) = try couple.decode((UUID, UUID).self)
            guard partnerID == a || partnerID == b else {
                return .failure(ServiceError(.invalidInput, field: "partnerID", "must be one of the couple's partners"))
            }
            let rows = try await connection.query(
                """
                SELECT id, version, position, map, key_subject, created_at FROM cycle_maps
                WHERE couple_id = \(coupleID) AND partner_id = \(partnerID) ORDER BY version
                """
            )
            var versions: [Version] = []
            for row in rows {
                let (id, version, position, sealed, subject, created) = try row.decode(
                    (UUID, Int, String?, [UInt8], String, Date).self
                )
                let map = try await keys.open(
                    sealed,
                    at: SealedPlace(
                        subject: try KeySubject(stored: subject),
                        table: "cycle_maps",
                        column: "map",
                        rowID: id
                    ),
                    on: connection
                )
                versions.append(
                    Version(
                        version: version,
                        position: try position.map(CyclePosition.parse),
                        map: try JSONDecoder().decode(Map.self, from: Data(map.utf8)),
                        createdAt: created
                    )
                )
            }
            try AuditStore.appendAtCommit(
                AuditEvent(action: .cycleMapRead, entityType: .couple, entityID: coupleID, clientIDs: [partnerID]),
                on: connection
            )
            return .success(versions)
        }
        return try await pool.valueRecordingDenial(
            outcome,
            action: .cycleMapRead,
            entityType: .couple,
            entityID: coupleID,
            actor: actor
        )
    }
}
