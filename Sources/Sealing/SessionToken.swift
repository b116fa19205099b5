import Foundation

/// A bearer token for a staff session or API client: 256 random bits, shown to its owner once,
/// stored only as its SHA-256 hash.
public struct SessionToken: Sendable, CustomStringConvertible {
    /// The token as the client presents it (base64url, no padding). Show once; never log.
    public let value: String

    /// A new random token.
    public static func generate() throws -> SessionToken {
        let bytes = try SecureRandom.bytes(32)
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return SessionToken(value: text)
    }

    /// Wraps a token a client presented.
    public init(value: String) {
        self.value = value
    }

    /// The SHA-256 of the token text: what the database stores and looks up.
    public var storageHash: [UInt8] { SHA256.hash(value) }

    public var description: String { "<redacted token>" }
}
