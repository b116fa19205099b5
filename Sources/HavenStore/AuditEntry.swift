import Foundation
import Postgres
import Sealing

/// One audit-log entry: who did what to which record, when, from where, and how it ended. Ids
/// only: never a name, never clinical text.
public struct AuditEntry: Sendable, Equatable {
    /// How the action ended.
    public enum Outcome: String, Sendable {
        case success
        case denied
        case failed
    }

    public var practiceID: UUID
    public var occurredAt: Date
    public var staffID: UUID?
    public var staffRoles: [String]
    public var breakGlass: Bool
    /// A dotted verb, e.g. `note.write`, `keys.shred`, `staff.login`.
    public var action: String
    public var entityType: String?
    public var entityID: UUID?
    public var clientIDs: [UUID]
    public var outcome: Outcome
    /// Where the request came from: `cli:user@host` or the HTTP client's address.
    public var source: String
    public var requestID: String?
    /// A SHA-256 digest of what the entry is about, when it has one: a signed note's content hash on
    /// its `note.sign` entry, which puts the signed content itself under the chain.
    public var digest: [UInt8]?
    /// The partner (a `clients` id) who acted through the portal, when the actor is a partner rather
    /// than a staff member (then `staffID` is nil and `staffRoles` empty).
    public var partnerClientID: UUID?

    public init(
        practiceID: UUID,
        occurredAt: Date = Date(),
        staffID: UUID?,
        staffRoles: [String] = [],
        breakGlass: Bool = false,
        action: String,
        entityType: String? = nil,
        entityID: UUID? = nil,
        clientIDs: [UUID] = [],
        outcome: Outcome,
        source: String,
        requestID: String? = nil,
        digest: [UInt8]? = nil,
        partnerClientID: UUID? = nil
    ) {
        self.practiceID = practiceID
        self.occurredAt = occurredAt
        self.staffID = staffID
        self.staffRoles = staffRoles
        self.breakGlass = breakGlass
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.clientIDs = clientIDs
        self.outcome = outcome
        self.source = source
        self.requestID = requestID
        self.digest = digest
        self.partnerClientID = partnerClientID
    }

    /// Microseconds since 2000-01-01 UTC, computed exactly as the instant is sent to PostgreSQL, so a
    /// stored entry read back re-encodes to the same bytes.
    var occurredAtMicroseconds: Int64 {
        Int64(((occurredAt.timeIntervalSince1970 - 946_684_800) * 1_000_000).rounded())
    }

    /// The canonical encoding the hash covers (docs/security.md): a label, then every field
    /// length-prefixed, in declaration order; an entry with a digest is labelled v2 and ends with it;
    /// a partner's entry is labelled v3 and ends with the digest (empty when none) and the partner's id
    /// (`haven_audit_canonical` in the database computes the same bytes).
    public var canonicalBytes: [UInt8] {
        let label = partnerClientID != nil ? "haven-audit-v3" : digest == nil ? "haven-audit-v1" : "haven-audit-v2"
        var out = Array(label.utf8)
        func field(_ bytes: [UInt8]) { appendLengthPrefixed(bytes, to: &out) }
        func uuid(_ id: UUID?) -> [UInt8] {
            guard let id else { return [] }
            return withUnsafeBytes(of: id.uuid) { Array($0) }
        }
        field(uuid(practiceID))
        field(withUnsafeBytes(of: occurredAtMicroseconds.bigEndian) { Array($0) })
        field(uuid(staffID))
        field(Array(staffRoles.joined(separator: ",").utf8))
        field([breakGlass ? 1 : 0])
        field(Array(action.utf8))
        field(Array((entityType ?? "").utf8))
        field(uuid(entityID))
        field(clientIDs.flatMap { uuid($0) })
        field(Array(outcome.rawValue.utf8))
        field(Array(source.utf8))
        field(Array((requestID ?? "").utf8))
        if let partnerClientID {
            field(digest ?? [])
            field(uuid(partnerClientID))
        } else if let digest {
            field(digest)
        }
        return out
    }

    /// The hash of an entry at `seq` following `previousHash`: SHA-256(previous || seq (8 bytes, big
    /// endian) || canonical bytes).
    public func hash(seq: Int, previousHash: [UInt8]) -> [UInt8] {
        SHA256.hash(previousHash + withUnsafeBytes(of: Int64(seq).bigEndian) { Array($0) } + canonicalBytes)
    }
}

/// An entry as stored, with its place in the chain.
public struct StoredAuditEntry: Sendable, Equatable {
    public var seq: Int
    public var entry: AuditEntry
    public var previousHash: [UInt8]
    public var hash: [UInt8]
}
