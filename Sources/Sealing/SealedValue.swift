import COpenSSL

/// The byte format of a sealed value (format version 1), parsed and checked before any
/// cryptography runs. See docs/encryption.md for the exact layout.
///
/// ```
/// offset  size  field
///      0     1  format version (1)
///      1     1  algorithm (1 = AES-256-GCM)
///      2    16  data key id (UUID, RFC 4122 byte order)
///     18     1  nonce length (must be 12)
///     19    12  nonce
///     31     n  ciphertext (n = plaintext length)
///   31+n    16  GCM tag
/// ```
public struct SealedValue: Sendable, Equatable {
    /// The only format version this build writes.
    public static let currentVersion: UInt8 = 1
    /// AES-256-GCM.
    public static let aes256GCM: UInt8 = 1
    /// Bytes before the ciphertext.
    public static let headerCount = 31
    /// The smallest valid sealed value: a header and a tag (empty plaintext).
    public static let minimumCount = headerCount + AESGCM.tagCount

    public let version: UInt8
    public let algorithm: UInt8
    /// The id of the data key that sealed it (16 bytes).
    public let keyID: [UInt8]
    public let nonce: [UInt8]
    /// The header bytes exactly as stored (they are authenticated).
    public let header: [UInt8]
    /// The whole value, for slicing the body without copying.
    public let bytes: [UInt8]

    /// The ciphertext followed by the tag.
    public var body: ArraySlice<UInt8> { bytes[Self.headerCount...] }

    /// Parses and validates a stored value.
    ///
    /// - Parameter minimumVersion: reject values in an older format (downgrade protection).
    /// - Throws: `truncated`, `unknownVersion`, `versionBelowMinimum`, `unknownAlgorithm` or
    ///   `badNonceLength`; each before OpenSSL sees anything.
    public init(parsing bytes: [UInt8], minimumVersion: UInt8 = 1) throws {
        guard bytes.count >= 19 else { throw SealingError(.truncated) }
        let version = bytes[0]
        guard version >= 1, version <= Self.currentVersion else {
            throw SealingError(version < minimumVersion ? .versionBelowMinimum : .unknownVersion)
        }
        guard version >= minimumVersion else { throw SealingError(.versionBelowMinimum) }
        guard bytes[1] == Self.aes256GCM else { throw SealingError(.unknownAlgorithm) }
        guard Int(bytes[18]) == AESGCM.nonceCount else { throw SealingError(.badNonceLength) }
        guard bytes.count >= Self.minimumCount else { throw SealingError(.truncated) }
        self.version = version
        self.algorithm = bytes[1]
        self.keyID = Array(bytes[2..<18])
        self.nonce = Array(bytes[19..<31])
        self.header = Array(bytes[0..<Self.headerCount])
        self.bytes = bytes
    }

    /// The header for a new value.
    static func makeHeader(keyID: [UInt8], nonce: [UInt8]) -> [UInt8] {
        precondition(keyID.count == 16 && nonce.count == AESGCM.nonceCount)
        return [currentVersion, aes256GCM] + keyID + [UInt8(AESGCM.nonceCount)] + nonce
    }

    /// The additional authenticated data: the header followed by the encoded context.
    static func aad(header: [UInt8], context: SealContext) -> [UInt8] {
        header + context.encoded
    }
}

/// A data key (DEK) ready for use: its id and its secret bytes.
public struct DataKey: Sendable, CustomStringConvertible {
    /// The key's id (16 bytes, a UUID).
    public let id: [UInt8]
    /// The 32 secret bytes.
    public let secret: SecureBytes

    public init(id: [UInt8], secret: SecureBytes) {
        precondition(id.count == 16, "a data key id is 16 bytes")
        self.id = id
        self.secret = secret
    }

    public var description: String { "DataKey(<redacted>)" }
}

/// Seals and opens values with data keys, binding each to its `SealContext`.
public enum Sealer {
    /// Seals `plaintext` with `key` for the place `context` names.
    public static func seal(_ plaintext: [UInt8], with key: DataKey, context: SealContext) throws -> [UInt8] {
        let header = SealedValue.headerCount
        let total = header + plaintext.count + AESGCM.tagCount
        let encodedContext = context.encoded
        return try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            // Header: version, algorithm, key id, nonce length, then a fresh nonce straight from RAND_bytes.
            buffer[0] = SealedValue.currentVersion
            buffer[1] = SealedValue.aes256GCM
            for index in 0..<16 { buffer[2 + index] = key.id[index] }
            buffer[18] = UInt8(AESGCM.nonceCount)
            guard RAND_bytes(buffer.baseAddress! + 19, Int32(AESGCM.nonceCount)) == 1 else {
                throw SealingError.openSSL("RAND_bytes")
            }
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var aad = Array(UnsafeRawBufferPointer(rebasing: raw[0..<header]))
            aad.append(contentsOf: encodedContext)
            try plaintext.withUnsafeBytes { input in
                try aad.withUnsafeBytes { aadBytes in
                    try AESGCM.seal(
                        input,
                        key: key.secret,
                        nonce: UnsafeRawBufferPointer(rebasing: raw[19..<header]),
                        aad: aadBytes,
                        into: UnsafeMutableRawBufferPointer(rebasing: raw[header...])
                    )
                }
            }
            initialized = total
        }
    }

    /// Opens a sealed value read from the place `context` names.
    ///
    /// - Parameters:
    ///   - key: looks up a data key by its 16-byte id (throws `unknownKey` / `keyShredded` itself).
    /// - Throws: a parse error, the lookup's error, or `authenticationFailed`.
    public static func open(
        _ sealed: [UInt8],
        context: SealContext,
        minimumVersion: UInt8 = 1,
        key: (_ id: [UInt8]) throws -> DataKey
    ) throws -> [UInt8] {
        let value = try SealedValue(parsing: sealed, minimumVersion: minimumVersion)
        let dataKey = try key(value.keyID)
        guard dataKey.id == value.keyID else { throw SealingError(.unknownKey) }
        return try AESGCM.open(
            value.body,
            key: dataKey.secret,
            nonce: value.nonce,
            aad: SealedValue.aad(header: value.header, context: context)
        )
    }
}
