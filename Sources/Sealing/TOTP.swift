import COpenSSL
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as authenticator apps show them.
///
/// Haven's staff codes are six digits, 30-second steps, HMAC-SHA-1 (what every authenticator app
/// supports); the other digests exist for the RFC's test vectors.
public struct TOTP: Sendable {
    /// The shared secret. Never logged: `SecureBytes` describes itself as redacted.
    public let secret: SecureBytes
    public let digits: Int
    public let period: Int
    public let digest: HMAC.Digest

    /// The length of a new secret: 160 bits, RFC 4226's recommendation for HMAC-SHA-1.
    public static let secretByteCount = 20

    public init(secret: SecureBytes, digits: Int = 6, period: Int = 30, digest: HMAC.Digest = .sha1) {
        precondition((6...10).contains(digits) && period > 0)
        self.secret = secret
        self.digits = digits
        self.period = period
        self.digest = digest
    }

    /// A new random secret.
    public static func generate() throws -> TOTP {
        TOTP(secret: try SecureBytes(randomCount: secretByteCount))
    }

    /// The time step (RFC 6238's T) that `date` falls in.
    public func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    /// The code for a time step: RFC 4226's dynamic truncation of the HMAC of the step counter.
    public func code(step: Int64) -> String {
        var counter = [UInt8](repeating: 0, count: 8)
        var value = UInt64(bitPattern: step)
        for index in (0..<8).reversed() {
            counter[index] = UInt8(value & 0xFF)
            value >>= 8
        }
        let mac = HMAC.authenticate(counter, key: secret, digest: digest)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        var modulus: UInt64 = 1
        for _ in 0..<digits { modulus *= 10 }
        let number = String(UInt64(binary) % modulus)
        return String(repeating: "0", count: digits - number.count) + number
    }

    /// The code shown at `date`.
    public func code(at date: Date) -> String {
        code(step: step(at: date))
    }

    /// The time step a typed code belongs to, if it matches the step at `date` or one step either side
    /// (clock drift and typing time). Every candidate is compared, in constant time.
    ///
    /// The caller must refuse a step at or before the last one accepted for the secret, so a code
    /// works once (RFC 6238 §5.2).
    public func matchingStep(for typed: String, at date: Date, window: Int64 = 1) -> Int64? {
        let cleaned = Array(typed.filter { $0 != " " }.utf8)
        guard cleaned.count == digits, cleaned.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let now = step(at: date)
        var matched: Int64?
        for candidate in (now - window)...(now + window) {
            let expected = Array(code(step: candidate).utf8)
            let equal = expected.withUnsafeBufferPointer { left in
                cleaned.withUnsafeBufferPointer { right in
                    CRYPTO_memcmp(left.baseAddress, right.baseAddress, digits) == 0
                }
            }
            if equal, matched == nil { matched = candidate }
        }
        return matched
    }

    /// The secret in base32 without padding, as typed into an authenticator app.
    public var base32Secret: String {
        secret.withUnsafeBytes { Base32.encode(Array($0), padding: false) }
    }

    /// An `otpauth://` URI (the Key Uri Format authenticator apps scan as a QR code).
    public func provisioningURI(issuer: String, account: String) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~@"))
        func escaped(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        }
        let label = "\(escaped(issuer)):\(escaped(account))"
        return "otpauth://totp/\(label)?secret=\(base32Secret)&issuer=\(escaped(issuer))"
            + "&algorithm=\(digest.rawValue)&digits=\(digits)&period=\(period)"
    }
}
