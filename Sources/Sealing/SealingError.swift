/// Why a sealing operation failed. Each case is distinct so callers and tests can tell a tampered
/// value from a missing key or a downgrade. No case carries key material or plaintext.
public struct SealingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: String, Hashable, Sendable {
        /// The sealed bytes are shorter than the format's fixed parts.
        case truncated = "sealed value is truncated"
        /// The format version byte is not one this build knows.
        case unknownVersion = "unknown sealed-value format version"
        /// The format version is older than the configured minimum (a downgrade).
        case versionBelowMinimum = "sealed-value format version is below the configured minimum"
        /// The algorithm byte is not one this build knows.
        case unknownAlgorithm = "unknown sealing algorithm"
        /// The nonce length field is not 12.
        case badNonceLength = "nonce length must be 12 bytes"
        /// The GCM tag did not verify: wrong key, wrong context (row, column, table, subject) or
        /// tampered bytes. No plaintext is returned.
        case authenticationFailed = "sealed value failed authentication"
        /// The data key named in the header is not available (unknown, or shredded).
        case unknownKey = "the data key for this value is not available"
        /// The key was destroyed (`keys shred`); its values can never be opened again.
        case keyShredded = "the data key for this value was shredded"
        /// A key has the wrong length or could not be decoded.
        case invalidKey = "invalid key"
        /// The master key is missing, unreadable or unsafe.
        case masterKey = "master key problem"
        /// OpenSSL reported an internal error.
        case openSSL = "OpenSSL error"
        /// A plaintext is larger than the format allows.
        case tooLarge = "value too large to seal"
    }

    /// The kind of failure.
    public let kind: Kind
    /// Extra, secret-free detail (e.g. OpenSSL's error strings, or advice for the operator).
    public let detail: String?

    /// Creates an error.
    public init(_ kind: Kind, detail: String? = nil) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        detail.map { "\(kind.rawValue): \($0)" } ?? kind.rawValue
    }

    /// An `openSSL` error carrying (and clearing) OpenSSL's error queue.
    static func openSSL(_ operation: String) -> SealingError {
        SealingError(.openSSL, detail: "\(operation): \(OpenSSLErrorQueue.drain())")
    }
}
