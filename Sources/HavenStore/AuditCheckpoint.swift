import Foundation
import Postgres
import Sealing

/// A practice's audit chain head (seq, hash, time), authenticated with a key derived from the master
/// key and kept outside the database (`haven audit checkpoint`). Someone who can rewrite the database
/// (its owner, a superuser) can delete the newest entries or edit one and recompute every hash after
/// it, and the chain still verifies; it no longer matches a checkpoint taken before, and they cannot
/// make a new checkpoint without the master key. Format: docs/security.md.
public struct AuditCheckpoint: Sendable, Equatable, Codable {
    /// The format's name, in the file and at the start of the authenticated message.
    public static let formatName = "haven-audit-checkpoint-v1"

    public var format: String
    public var practiceID: UUID
    /// The head's seq (0 for an empty chain).
    public var seq: Int
    /// The head's hash, lowercase hex (32 zero bytes for an empty chain).
    public var hash: String
    /// When it was taken: ISO 8601 in UTC; authenticated as this exact text.
    public var takenAt: String
    /// The master key version the MAC key was derived from.
    public var masterKeyVersion: Int
    /// HMAC-SHA-256 of `message`, lowercase hex.
    public var mac: String

    /// The head of an intact chain, authenticated with the newest loaded master key.
    public init(practiceID: UUID, seq: Int, hash: [UInt8], takenAt: Date, ring: MasterKeyring) throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        format = Self.formatName
        self.practiceID = practiceID
        self.seq = seq
        self.hash = Hex.encode(hash)
        self.takenAt = formatter.string(from: takenAt)
        masterKeyVersion = ring.currentVersion
        mac = ""
        mac = Hex.encode(try expectedMAC(ring: ring))
    }

    /// Takes a checkpoint of a practice's chain after verifying it from the start.
    ///
    /// - Throws: `AuditCheckpointError.chainBroken` when the chain is already broken.
    public static func take(
        practiceID: UUID,
        ring: MasterKeyring,
        on connection: PostgresConnection
    ) async throws -> AuditCheckpoint {
        let result = try await AuditStore.verify(practiceID: practiceID, on: connection)
        if let broken = result.firstBreak { throw AuditCheckpointError.chainBroken(broken) }
        return try AuditCheckpoint(
            practiceID: practiceID,
            seq: result.head?.seq ?? 0,
            hash: result.head?.hash ?? AuditStore.genesisHash,
            takenAt: Date(),
            ring: ring
        )
    }

    /// The authenticated message: every field but the MAC, length-prefixed (docs/security.md).
    var message: [UInt8] {
        var out: [UInt8] = []
        func field(_ bytes: [UInt8]) { appendLengthPrefixed(bytes, to: &out) }
        field(Array(format.utf8))
        field(withUnsafeBytes(of: practiceID.uuid) { Array($0) })
        field(withUnsafeBytes(of: Int64(seq).bigEndian) { Array($0) })
        field(Hex.decode(hash) ?? Array(hash.utf8))
        field(Array(takenAt.utf8))
        field(withUnsafeBytes(of: Int32(truncatingIfNeeded: masterKeyVersion).bigEndian) { Array($0) })
        return out
    }

    /// The MAC key: HKDF-Expand(master key version `masterKeyVersion`, "haven-audit-checkpoint-v1", 32).
    private func expectedMAC(ring: MasterKeyring) throws -> [UInt8] {
        guard let masterKey = ring.keys[masterKeyVersion] else {
            throw AuditCheckpointError.masterKeyNotLoaded(version: masterKeyVersion)
        }
        let key = HKDF.expand(key: masterKey, info: Array(Self.formatName.utf8), count: 32)
        return HMAC.authenticate(message, key: key, digest: .sha256)
    }

    /// Whether the checkpoint is authentic: its format is known and its MAC matches (compared in
    /// constant time).
    ///
    /// - Throws: `masterKeyNotLoaded` when its master key version is not in the ring.
    public func isAuthentic(ring: MasterKeyring) throws -> Bool {
        guard format == Self.formatName, let given = Hex.decode(mac), Hex.decode(hash)?.count == 32, seq >= 0 else {
            return false
        }
        let expected = try expectedMAC(ring: ring)
        return SecureBytes(copying: given).constantTimeEquals(SecureBytes(copying: expected))
    }

    /// What the stored chain says against an authentic checkpoint.
    public enum Finding: Sendable, Equatable {
        /// The chain is intact and still holds the checkpoint's head at its seq.
        case matches(entries: Int, head: (seq: Int, hash: [UInt8])?)
        /// The chain itself no longer verifies.
        case chainBroken(AuditStore.Break)
        /// The chain ends before the checkpoint's seq: its newest entries were deleted.
        case tailMissing(lastSeq: Int)
        /// The entry at the checkpoint's seq has another hash: the chain was rewritten up to there.
        case rewritten

        public static func == (lhs: Finding, rhs: Finding) -> Bool {
            switch (lhs, rhs) {
            case (.matches(let a, let x), .matches(let b, let y)):
                a == b && x?.seq == y?.seq && x?.hash == y?.hash
            case (.chainBroken(let a), .chainBroken(let b)): a == b
            case (.tailMissing(let a), .tailMissing(let b)): a == b
            case (.rewritten, .rewritten): true
            default: false
            }
        }
    }

    /// Verifies the practice's chain from the start with the existing verifier, then compares it
    /// with this checkpoint. Check `isAuthentic` first.
    public func check(on connection: PostgresConnection) async throws -> Finding {
        let result = try await AuditStore.verify(practiceID: practiceID, on: connection)
        if let broken = result.firstBreak { return .chainBroken(broken) }
        let lastSeq = result.head?.seq ?? 0
        guard lastSeq >= seq else { return .tailMissing(lastSeq: lastSeq) }
        if seq > 0 {
            let entry = try await AuditStore.list(
                AuditStore.Filter(practiceID: practiceID, afterSeq: seq - 1, limit: 1),
                on: connection
            ).first
            guard let entry, entry.seq == seq, Hex.encode(entry.hash) == hash else { return .rewritten }
        }
        return .matches(entries: result.count, head: result.head)
    }

    /// The checkpoint as the file holds it: one JSON object, keys sorted, ending in a newline.
    public func fileData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    private enum CodingKeys: String, CodingKey {
        case format, practiceID, seq, hash, takenAt, masterKeyVersion, mac
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(practiceID.uuidString.lowercased(), forKey: .practiceID)
        try container.encode(seq, forKey: .seq)
        try container.encode(hash, forKey: .hash)
        try container.encode(takenAt, forKey: .takenAt)
        try container.encode(masterKeyVersion, forKey: .masterKeyVersion)
        try container.encode(mac, forKey: .mac)
    }

    /// Parses a checkpoint file.
    ///
    /// - Throws: `AuditCheckpointError.unreadable` when it is not a checkpoint.
    public init(fileData: Data) throws {
        do {
            self = try JSONDecoder().decode(AuditCheckpoint.self, from: fileData)
        } catch {
            throw AuditCheckpointError.unreadable
        }
    }
}

/// Why a checkpoint could not be taken or checked.
public enum AuditCheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The chain is broken already; a checkpoint of it would vouch for the break.
    case chainBroken(AuditStore.Break)
    /// The checkpoint's master key version is not loaded.
    case masterKeyNotLoaded(version: Int)
    /// The file is not a checkpoint (not JSON, or fields missing).
    case unreadable

    public var description: String {
        switch self {
        case .chainBroken(let broken):
            "the audit chain is broken (\(broken)); run 'haven audit verify'"
        case .masterKeyNotLoaded(let version):
            "the checkpoint was authenticated with master key version \(version), which is not loaded; "
                + "add that version to the key file (--key-file)"
        case .unreadable:
            "not a Haven audit checkpoint (expected the JSON that 'haven audit checkpoint' writes)"
        }
    }
}
