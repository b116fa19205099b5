import COpenSSL

/// HMAC (RFC 2104) computed by OpenSSL's libcrypto, for one-time codes (RFC 4226, RFC 6238).
public enum HMAC {
    /// The hash function under the MAC.
    public enum Digest: String, Sendable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"

        /// The length of a MAC with this digest, in bytes.
        public var byteCount: Int {
            switch self {
            case .sha1: 20
            case .sha256: 32
            case .sha512: 64
            }
        }

        var evp: OpaquePointer? {
            switch self {
            case .sha1: EVP_sha1()
            case .sha256: EVP_sha256()
            case .sha512: EVP_sha512()
            }
        }
    }

    /// The MAC of `message` under `key`.
    public static func authenticate(_ message: [UInt8], key: SecureBytes, digest: Digest) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: digest.byteCount)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBufferPointer { input in
                mac.withUnsafeMutableBufferPointer { output in
                    COpenSSL.HMAC(
                        digest.evp,
                        keyBytes.baseAddress,
                        Int32(keyBytes.count),
                        input.baseAddress,
                        input.count,
                        output.baseAddress,
                        &length
                    )
                }
            }
        }
        precondition(result != nil && Int(length) == digest.byteCount, "HMAC(\(digest.rawValue)) failed")
        return mac
    }
}
