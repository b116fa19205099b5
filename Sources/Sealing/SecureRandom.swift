import COpenSSL

/// Random bytes from OpenSSL's CSPRNG (`RAND_bytes`).
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        if count == 0 { return bytes }
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw SealingError.openSSL("RAND_bytes") }
        return bytes
    }
}
