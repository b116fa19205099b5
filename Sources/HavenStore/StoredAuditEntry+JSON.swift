import Foundation
import Sealing

/// The one JSON form of an audit entry, shared by `haven audit list --json` and `GET /v1/audit`:
/// flat, ids as lowercase UUIDs, the hash in hex. Ids only, never clinical text.
extension StoredAuditEntry: Encodable {
    enum CodingKeys: String, CodingKey {
        case seq, occurredAt, staffId, roles, breakGlass, action, entityType, entityId, clientIds, outcome, source
        case requestId, hash, digest, partnerClientId
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(entry.occurredAt, forKey: .occurredAt)
        try container.encodeIfPresent(entry.staffID?.uuidString.lowercased(), forKey: .staffId)
        try container.encode(entry.staffRoles, forKey: .roles)
        try container.encode(entry.breakGlass, forKey: .breakGlass)
        try container.encode(entry.action, forKey: .action)
        try container.encodeIfPresent(entry.entityType, forKey: .entityType)
        try container.encodeIfPresent(entry.entityID?.uuidString.lowercased(), forKey: .entityId)
        try container.encode(entry.clientIDs.map { $0.uuidString.lowercased() }, forKey: .clientIds)
        try container.encode(entry.outcome.rawValue, forKey: .outcome)
        try container.encode(entry.source, forKey: .source)
        try container.encodeIfPresent(entry.requestID, forKey: .requestId)
        try container.encode(Hex.encode(hash), forKey: .hash)
        try container.encodeIfPresent(entry.digest.map(Hex.encode), forKey: .digest)
        try container.encodeIfPresent(entry.partnerClientID?.uuidString.lowercased(), forKey: .partnerClientId)
    }
}
