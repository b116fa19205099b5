import COpenSSL

/// SHA-256 digests computed by OpenSSL's libcrypto.
///
/// Used wherever Haven needs a content fingerprint: migration checksums today, signed-note
/// content hashes and token hashes later.
public enum SHA256 {
    /// The length of a SHA-256 digest in bytes.
    public static let byteCount = 32

    /// Returns the SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let status = bytes.withContiguousStorageIfAvailable { input in
            digest.withUnsafeMutableBufferPointer { output in
                // An empty buffer may have a nil base address; EVP_Digest accepts NULL with length 0.
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        if let status {
            precondition(status == 1 && length == byteCount, "EVP_Digest(SHA-256) failed")
            return digest
        }
        return hash(Array(bytes))
    }

    /// Returns the SHA-256 digest of the UTF-8 encoding of `text`.
    public static func hash(_ text: String) -> [UInt8] {
        hash(Array(text.utf8))
    }

    /// Returns the lowercase hexadecimal form of the SHA-256 digest of `text`.
    public static func hexDigest(_ text: String) -> String {
        Hex.encode(hash(text))
    }
}
