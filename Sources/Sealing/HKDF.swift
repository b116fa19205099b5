/// HKDF (RFC 5869) over OpenSSL's HMAC: separate keys for separate purposes from one key.
public enum HKDF {
    /// HKDF-Expand: `count` bytes of key material for the purpose named by `info`.
    ///
    /// `key` is the pseudorandom key (PRK). A uniformly random key, such as a master key, may serve
    /// as the PRK directly, without the Extract step (RFC 5869, section 3.3).
    ///
    /// - Precondition: `count` is at most 255 times the digest's length.
    public static func expand(
        key: SecureBytes,
        info: [UInt8],
        count: Int,
        digest: HMAC.Digest = .sha256
    ) -> SecureBytes {
        precondition(count >= 0 && count <= 255 * digest.byteCount, "HKDF-Expand: too many bytes asked for")
        var output: [UInt8] = []
        var block: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < count {
            var message = block + info + [counter]
            wipe(&block)
            block = HMAC.authenticate(message, key: key, digest: digest)
            wipe(&message)
            output += block
            counter &+= 1
        }
        wipe(&block)
        let key = SecureBytes(copying: output.prefix(count))
        wipe(&output)
        return key
    }
}
