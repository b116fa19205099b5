import Foundation
import HavenStore
import Logging
import Postgres
import Sealing
import Synchronization

/// Envelope encryption for the service: finds or creates each subject's data key, seals and opens
/// values bound to their row, and runs the operator's key operations (master key rotation, data key
/// rotation, verification, shredding).
///
/// Data keys are unwrapped with the master keyring and cached in memory, at most `cacheCapacity`.
public final class KeyManager: Sendable {
    /// The master keys this process holds.
    public let ring: MasterKeyring
    let cache: DataKeyCache
    /// Each subject's active key id, so a write need not look it up; expires like `cache`. A write
    /// sends `haven_require_live_keys` in its round trip, so a key shredded meanwhile fails the write.
    let activeKeys: ActiveKeyCache
    /// Each therapy session's chart, the subject its notes are sealed for, as the database last named
    /// it: so a note write can seal before its one round trip. A hint only: the write's function checks
    /// it against the session and names the right chart when it is wrong (`NoteService.writeDraft`).
    let sessionCharts: SessionChartCache
    /// The minimum format version and when to read it again.
    private let formatFloor = Mutex<(value: Int, expires: ContinuousClock.Instant)?>(nil)
    private let logger: Logger

    /// Creates a manager over a loaded master keyring.
    /// - Parameters:
    ///   - cacheCapacity: unwrapped data keys kept in memory at most.
    ///   - cacheLifetime: how long an unwrapped key is reused before its row is read again, which bounds
    ///     how long another process's shred can go unnoticed here.
    public init(ring: MasterKeyring, cacheCapacity: Int = 4_096, cacheLifetime: Duration = .seconds(60), logger: Logger)
    {
        self.ring = ring
        self.cache = DataKeyCache(capacity: cacheCapacity, lifetime: cacheLifetime)
        self.activeKeys = ActiveKeyCache(lifetime: cacheLifetime)
        self.sessionCharts = SessionChartCache(capacity: cacheCapacity)
        self.logger = logger
    }

    /// The number of unwrapped data keys in memory.
    public var cachedKeyCount: Int { cache.count }

    // MARK: - Startup check

    /// Proves the loaded master keys are this database's: each recorded version must open its check
    /// value, every version still wrapping a data key must be loaded, and new versions are recorded.
    ///
    /// - Throws: `SealingError(.masterKey)` saying which version is wrong or missing.
    public func checkMasterKeys(on connection: PostgresConnection) async throws {
        // Record check values for versions new to this database first, then prove every loaded version
        // against what is recorded: if another process recorded the same version with a different key
        // at the same moment, only one check value exists and the other key fails here.
        let known = Set(try await KeyStore.masterKeyVersions(on: connection).map(\.version))
        for version in ring.keys.keys.sorted() where !known.contains(version) {
            let check = try ring.wrap(
                SecureBytes(copying: [UInt8](repeating: 0, count: 32)),
                context: Self.checkContext,
                version: version
            )
            try await KeyStore.recordMasterKeyVersion(version, checkValue: check.wrapped, on: connection)
        }
        let recorded = try await KeyStore.masterKeyVersions(on: connection)
        for entry in recorded where ring.keys[entry.version] != nil {
            do {
                _ = try ring.unwrap(entry.checkValue, kekVersion: entry.version, context: Self.checkContext)
            } catch {
                throw SealingError(
                    .masterKey,
                    detail:
                        "master key version \(entry.version) does not match this database; load the key file this database was set up with"
                )
            }
        }
        let needed = try await connection.query(
            "SELECT DISTINCT master_key_version FROM data_keys WHERE master_key_version IS NOT NULL ORDER BY 1"
        ).map { try $0.decode(0, as: Int.self) }
        for version in needed where ring.keys[version] == nil {
            throw SealingError(
                .masterKey,
                detail: "master key version \(version) still wraps data keys but is not loaded; add it to the key file"
            )
        }
        if let newest = recorded.map(\.version).max(), newest > ring.currentVersion {
            throw SealingError(
                .masterKey,
                detail: "this database has master key version \(newest) but the newest loaded is \(ring.currentVersion)"
            )
        }
        try await recordAttestationKeys(on: connection)
    }

    private static let checkContext = MasterKeyring.WrapContext(
        keyID: [UInt8](repeating: 0, count: 16),
        subjectKind: "master-key-check",
        subjectID: "haven"
    )

    // MARK: - Sealing and opening

    /// Seals `text` at its place in the database (`SealedPlace`: subject, table, column, row) with the
    /// subject's active data key, creating the key on first use. `open(_:at:on:)` takes the same place.
    ///
    /// - Returns: the sealed bytes, and the key's id for the value's companion `_key_id` column.
    public func seal(
        _ text: String,
        practiceID: UUID,
        at place: SealedPlace,
        on connection: PostgresConnection
    ) async throws -> (sealed: [UInt8], keyID: UUID) {
        var plaintext = Array(text.utf8)
        defer { wipe(&plaintext) }
        return try await seal(secret: plaintext, practiceID: practiceID, at: place, on: connection)
    }

    /// As `seal(_:practiceID:at:on:)` for several values of one subject (the columns of one row), with
    /// one key lookup: the values share the subject's active key, whose id is returned once.
    public func seal(
        _ values: [(text: String, place: SealedPlace)],
        practiceID: UUID,
        on connection: PostgresConnection
    ) async throws -> (sealed: [[UInt8]], keyID: UUID) {
        guard let subject = values.first?.place.subject else { return ([], UUID()) }
        let (keyID, key) = try await activeKey(practiceID: practiceID, subject: subject, on: connection)
        return (try Self.seal(values, with: key), keyID)
    }

    /// As `seal(_:practiceID:on:)` without the database, when the subject's active key is in memory:
    /// for a use case that sends its whole transaction in one round trip, sealing before it opens
    /// (the write's key guard still refuses a key shredded meanwhile).
    ///
    /// - Returns: nil when the subject's active key is not cached; the caller then seals inside its
    ///   transaction with `seal(_:practiceID:on:)`.
    public func sealWithCachedKey(
        _ values: [(text: String, place: SealedPlace)],
        practiceID: UUID
    ) throws -> (sealed: [[UInt8]], keyID: UUID)? {
        guard let subject = values.first?.place.subject,
            let keyID = activeKeys.get(practiceID: practiceID, subject: subject),
            let key = cache.get(keyID)
        else { return nil }
        return (try Self.seal(values, with: key), keyID)
    }

    private static func seal(_ values: [(text: String, place: SealedPlace)], with key: DataKey) throws -> [[UInt8]] {
        let subject = values.first?.place.subject
        precondition(values.allSatisfy { $0.place.subject == subject }, "one key seals values of one subject")
        return try values.map { text, place in
            var plaintext = Array(text.utf8)
            defer { wipe(&plaintext) }
            return try Sealer.seal(plaintext, with: key, context: place.context)
        }
    }

    /// Opens a value `seal(_:practiceID:at:on:)` wrote at the same place and returns its text; the
    /// plaintext bytes are wiped once decoded.
    ///
    /// - Throws: `SealingError` when the value does not open there (bound to another place, tampered,
    ///   its key shredded or unknown).
    public func open(_ sealed: [UInt8], at place: SealedPlace, on connection: PostgresConnection) async throws -> String
    {
        var plaintext = try await open(sealed, context: place.context, on: connection)
        defer { wipe(&plaintext) }
        return String(decoding: plaintext, as: UTF8.self)
    }

    /// As `open(_:at:on:)` from memory alone, for a value read in a transaction that has committed
    /// already: nil when its key or the format floor is not cached (the caller then opens it inside a
    /// transaction).
    public func openFromMemory(_ sealed: [UInt8], at place: SealedPlace) throws -> String? {
        guard let floor = cachedMinimumFormatVersion() else { return nil }
        let minimumFormat = UInt8(clamping: floor)
        let value = try SealedValue(parsing: sealed, minimumVersion: minimumFormat)
        guard let key = cache.get(UUID(uuid: uuidTuple(value.keyID))) else { return nil }
        var plaintext = try Sealer.open(sealed, context: place.context, minimumVersion: minimumFormat) { _ in key }
        defer { wipe(&plaintext) }
        return String(decoding: plaintext, as: UTF8.self)
    }

    /// As `seal(_:practiceID:at:on:)`, for a secret that is not text (a one-time-code secret); the
    /// caller wipes `plaintext`.
    public func seal(
        secret plaintext: [UInt8],
        practiceID: UUID,
        at place: SealedPlace,
        on connection: PostgresConnection
    ) async throws -> (sealed: [UInt8], keyID: UUID) {
        let (keyID, key) = try await activeKey(practiceID: practiceID, subject: place.subject, on: connection)
        return (try Sealer.seal(plaintext, with: key, context: place.context), keyID)
    }

    /// As `open(_:at:on:)`, for a value `seal(secret:...)` wrote: the secret, in memory that wipes itself.
    public func openSecret(
        _ sealed: [UInt8],
        at place: SealedPlace,
        on connection: PostgresConnection
    ) async throws
        -> SecureBytes
    {
        var plaintext = try await open(sealed, context: place.context, on: connection)
        defer { wipe(&plaintext) }
        return SecureBytes(copying: plaintext)
    }

    /// Opens a sealed value read from the place `context` names: the key operations, which walk every
    /// registered column, and the values sealed with a key the caller already holds.
    func open(_ sealed: [UInt8], context: SealContext, on connection: PostgresConnection) async throws -> [UInt8] {
        let minimumFormat = UInt8(clamping: try await minimumFormatVersion(on: connection))
        let value = try SealedValue(parsing: sealed, minimumVersion: minimumFormat)
        let key = try await dataKey(id: UUID(uuid: uuidTuple(value.keyID)), on: connection)
        return try Sealer.open(sealed, context: context, minimumVersion: minimumFormat) { _ in key }
    }

    /// Forgets every cached active key id (after a write found its key gone): the next write reads
    /// the subject's key again.
    public func forgetActiveKeys() {
        activeKeys.removeAll()
    }

    private func cachedMinimumFormatVersion() -> Int? {
        formatFloor.withLock { floor in
            floor.flatMap { ContinuousClock.now < $0.expires ? $0.value : nil }
        }
    }

    /// The minimum sealed-value format version, read at most once per cache lifetime.
    func minimumFormatVersion(on connection: PostgresConnection) async throws -> Int {
        if let cached = cachedMinimumFormatVersion() {
            return cached
        }
        let value = try await KeyStore.settings(on: connection).minimumFormatVersion
        let expires = ContinuousClock.now + cache.lifetime
        formatFloor.withLock { $0 = (value, expires) }
        return value
    }

    /// The subject's active data key, created (random, wrapped with the newest master key) if it has
    /// none. Safe under concurrency: two creators race on a unique index and the loser reads the
    /// winner's key.
    public func activeKey(
        practiceID: UUID,
        subject: KeySubject,
        on connection: PostgresConnection
    ) async throws -> (id: UUID, key: DataKey) {
        if let id = activeKeys.get(practiceID: practiceID, subject: subject), let key = cache.get(id) {
            return (id, key)
        }
        for _ in 0..<3 {
            if let record = try await KeyStore.activeKey(practiceID: practiceID, subject: subject, on: connection) {
                let key = try unwrap(record)
                activeKeys.put(record.id, practiceID: practiceID, subject: subject)
                return (record.id, key)
            }
            try await requireWrappingVersion(on: connection)
            let id = UUID()
            let secret = try SecureBytes(randomCount: AESGCM.keyCount)
            let wrapped = try ring.wrap(secret, context: wrapContext(id: id, subject: subject))
            let record = DataKeyRecord(
                id: id,
                practiceID: practiceID,
                subject: subject,
                state: .active,
                masterKeyVersion: wrapped.kekVersion,
                wrappedKey: wrapped.wrapped,
                createdAt: Date()
            )
            if try await KeyStore.insertActiveKey(record, on: connection) {
                let key = DataKey(id: bytes(of: id), secret: secret)
                // Not cached as the active key yet: this transaction might still roll back.
                cache.put(key, id: id)
                return (id, key)
            }
        }
        throw SealingError(.unknownKey, detail: "could not create or find the subject's active data key")
    }

    /// Refuses to wrap a new data key when the newest loaded master key is below the database's floor.
    func requireWrappingVersion(on connection: PostgresConnection) async throws {
        let minimum = try await KeyStore.settings(on: connection).minimumMasterKeyVersion
        guard ring.currentVersion >= minimum else {
            throw SealingError(
                .masterKey,
                detail:
                    "the newest loaded master key is version \(ring.currentVersion) but the database requires \(minimum)"
            )
        }
    }

    /// A data key by id, from the cache or unwrapped from the database.
    ///
    /// - Throws: `unknownKey` if there is no such key; `keyShredded` if it was destroyed.
    public func dataKey(id: UUID, on connection: PostgresConnection) async throws -> DataKey {
        if let key = cache.get(id) { return key }
        guard let record = try await KeyStore.dataKey(id: id, on: connection) else {
            throw SealingError(.unknownKey)
        }
        return try unwrap(record)
    }

    func unwrap(_ record: DataKeyRecord) throws -> DataKey {
        if let key = cache.get(record.id) { return key }
        guard record.state != .shredded, let wrapped = record.wrappedKey, let version = record.masterKeyVersion else {
            throw SealingError(.keyShredded)
        }
        let secret = try ring.unwrap(
            wrapped,
            kekVersion: version,
            context: wrapContext(id: record.id, subject: record.subject)
        )
        let key = DataKey(id: bytes(of: record.id), secret: secret)
        cache.put(key, id: record.id)
        return key
    }

    func wrapContext(id: UUID, subject: KeySubject) -> MasterKeyring.WrapContext {
        MasterKeyring.WrapContext(keyID: bytes(of: id), subjectKind: subject.kind.rawValue, subjectID: subject.id)
    }
}

/// The 16 bytes of a UUID, in RFC 4122 order.
func bytes(of id: UUID) -> [UInt8] {
    withUnsafeBytes(of: id.uuid) { Array($0) }
}

/// A UUID from 16 bytes.
func uuidTuple(_ bytes: [UInt8]) -> uuid_t {
    precondition(bytes.count == 16)
    var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes) }
    return value
}

extension KeySubject {
    /// The subject a row's stored `key_subject` text names. Haven writes only texts that parse, so a
    /// value next to one that does not was not sealed for it: it fails to open like a value bound to
    /// another place.
    ///
    /// - Throws: `SealingError(.authenticationFailed)`.
    init(stored text: String) throws {
        guard let subject = KeySubject(parsing: text) else {
            throw SealingError(.authenticationFailed, detail: "the row's key subject is not one Haven writes")
        }
        self = subject
    }
}
